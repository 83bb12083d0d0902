// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/gate_timeline.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QStackedWidget>
#include <QToolTip>
#include <QVBoxLayout>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLineSeries>
#include <QtCharts/QScatterSeries>
#include <QtCharts/QValueAxis>
#include <cmath>
#include <map>

#include "mlsan/ui/speaker_colors.h"
#include "mlsan/ui/studio_state.h"
#include "mlsan/ui/view_timer.h"

namespace mlsan::ui {

/// The chart, with clicks mapped to utterances.
class GateChartView : public QChartView {
 public:
  GateChartView(StudioState& state, QChart* chart) : QChartView(chart), state_(state) {
    setRenderHint(QPainter::Antialiasing);
    setMouseTracking(true);
  }
  QLineSeries* cursor = nullptr;
  int utterances = 0;

 protected:
  void mousePressEvent(QMouseEvent* e) override {
    if (e->button() == Qt::LeftButton && utterances > 0 && !chart()->series().isEmpty()) {
      const QPointF v = chart()->mapToValue(e->position(), chart()->series().front());
      const int u = static_cast<int>(std::lround(v.x())) - 1;
      if (u >= 0 && u < utterances && chart()->plotArea().contains(e->position())) {
        state_.setCurrent(state_.currentDialogue(), u);
        e->accept();
        return;
      }
    }
    QChartView::mousePressEvent(e);
  }

 private:
  StudioState& state_;
};

GateTimeline::GateTimeline(StudioState& state, QWidget* parent) : QWidget(parent), state_(state) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(2, 2, 2, 2);
  auto* top = new QHBoxLayout;
  top->addWidget(new QLabel(tr("Show")));
  modeBox_ = new QComboBox;
  modeBox_->setObjectName("gateMode");
  modeBox_->addItem(tr("Audio / visual weight (normalised shares)"));
  modeBox_->addItem(tr("Raw mean gates"));
  top->addWidget(modeBox_);
  top->addStretch();
  layout->addLayout(top);
  stack_ = new QStackedWidget;
  message_ = new QLabel;
  message_->setObjectName("gateMessage");
  message_->setAlignment(Qt::AlignCenter);
  message_->setWordWrap(true);
  stack_->addWidget(message_);
  auto* chart = new QChart;
  chart->legend()->setAlignment(Qt::AlignRight);
  chart->setMargins(QMargins(4, 4, 4, 4));
  view_ = new GateChartView(state_, chart);
  view_->setObjectName("gateChart");
  ax_ = new QValueAxis;
  ax_->setTickType(QValueAxis::TicksDynamic);
  ax_->setTickAnchor(1);
  ax_->setTickInterval(1);
  ax_->setLabelFormat("%d");
  ax_->setTitleText(tr("utterance"));
  ay_ = new QValueAxis;
  ay_->setLabelFormat("%.2f");
  chart->addAxis(ax_, Qt::AlignBottom);
  chart->addAxis(ay_, Qt::AlignLeft);
  view_->setMinimumHeight(180);
  stack_->addWidget(view_);
  layout->addWidget(stack_, 1);
  connect(modeBox_, qOverload<int>(&QComboBox::currentIndexChanged), this,
          [this](int i) { setMode(i == 0 ? Mode::Weights : Mode::RawGates); });
  connect(&state_, &StudioState::corpusChanged, this, [this] { shownDialogue_ = -1; rebuild(); });
  connect(&state_, &StudioState::runsChanged, this, [this] { shownDialogue_ = -1; rebuild(); });
  connect(&state_, &StudioState::currentChanged, this, [this] {
    ViewTimer timing("gate timeline");
    if (state_.currentDialogue() != shownDialogue_) rebuild();
    else moveCursor();
  });
  rebuild();
}

void GateTimeline::setMode(Mode mode) {
  if (mode == mode_) return;
  mode_ = mode;
  modeBox_->setCurrentIndex(mode == Mode::Weights ? 0 : 1);
  shownDialogue_ = -1;
  rebuild();
  emit modeChanged(mode);
}

QChartView* GateTimeline::chartView() const { return view_; }

QString GateTimeline::message() const { return stack_->currentWidget() == message_ ? message_->text() : QString(); }

double GateTimeline::cursorX() const {
  if (!view_->cursor || view_->cursor->count() == 0) return 0;
  return view_->cursor->at(0).x();
}

void GateTimeline::rebuild() {
  QChart* chart = view_->chart();
  // The axes live as long as the chart (removing and re-adding axes leaves stale labels in
  // Qt Charts 6.4); a rebuild replaces only the series.
  chart->removeAllSeries();
  view_->cursor = nullptr;
  view_->utterances = 0;
  plotted_ = 0;
  shownDialogue_ = state_.currentDialogue();
  const RunData* run = state_.primaryRun();
  if (!state_.hasCorpus() || shownDialogue_ < 0) {
    message_->setText(tr("No corpus open."));
    stack_->setCurrentWidget(message_);
    return;
  }
  if (!run) {
    message_->setText(tr("No run loaded. Open an ML-SAN run (File \u203A Open run) to see how its speaker gate "
                         "weighs audio against visual, utterance by utterance."));
    stack_->setCurrentWidget(message_);
    return;
  }
  if (!run->hasGate) {
    message_->setText(tr("%1 has no speaker gate, so there is nothing to draw here: it weighs audio and visual the "
                         "same way for every speaker. Load an ML-SAN run to see the gate.").arg(run->name));
    stack_->setCurrentWidget(message_);
    return;
  }
  const auto& c = *state_.corpus();
  const auto& d = c.dialogues[static_cast<std::size_t>(shownDialogue_)];
  const bool raw = mode_ == Mode::RawGates;
  auto* audioLine = new QLineSeries;
  audioLine->setName(raw ? tr("audio gate") : tr("audio weight"));
  audioLine->setPen(QPen(QColor(40, 40, 40), 2));
  auto* visualLine = new QLineSeries;
  visualLine->setName(raw ? tr("visual gate") : tr("visual weight"));
  visualLine->setPen(QPen(QColor(40, 40, 40), 2, Qt::DashLine));
  std::map<int, std::pair<QScatterSeries*, QScatterSeries*>> bySpeaker;  // audio (circles), visual (squares)
  // Points are collected first and handed to each series in one replace() (house style: charts
  // are fed in bulk, never point by point).
  QList<QPointF> audioPoints, visualPoints;
  std::map<int, std::pair<QList<QPointF>, QList<QPointF>>> speakerPoints;
  double lo = 1, hi = 0;
  for (std::size_t u = 0; u < d.size(); ++u) {
    const std::size_t row = d.firstRow + u;
    if (!run->has(row)) continue;
    const double a = raw ? run->gateAudio[row] : run->weightAudio[row];
    const double v = raw ? run->gateVisual[row] : run->weightVisual[row];
    if (!std::isfinite(a) || !std::isfinite(v)) continue;
    const double x = static_cast<double>(u) + 1;
    audioPoints.append({x, a});
    visualPoints.append({x, v});
    lo = std::min({lo, a, v});
    hi = std::max({hi, a, v});
    const int s = d.utterances[u].speaker;
    auto& pair = bySpeaker[s];
    if (!pair.first) {
      const QColor col = speakerColor(s, static_cast<int>(c.speakers.size()));
      pair.first = new QScatterSeries;
      pair.first->setName(s >= 0 && s < static_cast<int>(c.speakers.size()) ? QString::fromStdString(c.speakers[static_cast<std::size_t>(s)]) : tr("?"));
      pair.first->setMarkerShape(QScatterSeries::MarkerShapeCircle);
      pair.first->setMarkerSize(11);
      pair.first->setColor(col);
      pair.first->setBorderColor(col.darker(150));
      pair.second = new QScatterSeries;
      pair.second->setMarkerShape(QScatterSeries::MarkerShapeRectangle);
      pair.second->setMarkerSize(10);
      pair.second->setColor(col.lighter(130));
      pair.second->setBorderColor(col.darker(150));
    }
    speakerPoints[s].first.append({x, a});
    speakerPoints[s].second.append({x, v});
    ++plotted_;
  }
  if (plotted_ == 0) {
    delete audioLine;
    delete visualLine;
    for (auto& [s, p] : bySpeaker) { delete p.first; delete p.second; }
    message_->setText(tr("%1 has no gate values for dialogue %2.").arg(run->name, QString::fromStdString(d.key)));
    stack_->setCurrentWidget(message_);
    return;
  }
  audioLine->replace(audioPoints);
  visualLine->replace(visualPoints);
  for (auto& [s, p] : bySpeaker) {
    p.first->replace(speakerPoints[s].first);
    p.second->replace(speakerPoints[s].second);
  }
  QValueAxis* ax = ax_;
  QValueAxis* ay = ay_;
  ax->setRange(0.5, static_cast<double>(d.size()) + 0.5);
  ax->setTickInterval(d.size() > 16 ? 2 : 1);
  // Normalised shares sit around 0.5: zoom to the data with a margin, never past [0, 1].
  const double pad = std::max(0.02, (hi - lo) * 0.15);
  ay->setRange(std::max(0.0, lo - pad), std::min(1.0, hi + pad));
  ay->setTitleText(raw ? tr("mean gate") : tr("weight"));
  auto add = [&](QXYSeries* s) {
    chart->addSeries(s);
    s->attachAxis(ax);
    s->attachAxis(ay);
  };
  add(audioLine);
  add(visualLine);
  for (auto& [s, p] : bySpeaker) {
    add(p.first);
    add(p.second);
    for (QLegendMarker* m : chart->legend()->markers(p.second)) m->setVisible(false);
    const QString who = p.first->name();
    auto tip = [this, run, who, &d](const QPointF& pt, bool on) {
      if (!on) { QToolTip::hideText(); return; }
      const int u = static_cast<int>(std::lround(pt.x())) - 1;
      const std::size_t row = d.firstRow + static_cast<std::size_t>(u);
      QToolTip::showText(QCursor::pos(),
                         tr("Utterance %1, %2\naudio weight %3, visual weight %4\nmean gates: audio %5, visual %6")
                             .arg(u + 1).arg(who)
                             .arg(run->weightAudio[row], 0, 'f', 3).arg(run->weightVisual[row], 0, 'f', 3)
                             .arg(run->gateAudio[row], 0, 'f', 3).arg(run->gateVisual[row], 0, 'f', 3),
                         view_);
    };
    connect(p.first, &QScatterSeries::hovered, this, tip);
    connect(p.second, &QScatterSeries::hovered, this, tip);
  }
  view_->cursor = new QLineSeries;
  view_->cursor->setName(tr("current"));
  view_->cursor->setPen(QPen(QColor(200, 30, 30), 2));
  add(view_->cursor);
  view_->utterances = static_cast<int>(d.size());
  chart->setTitle(tr("Dialogue %1: %2's speaker gate (circles audio, squares visual)")
                      .arg(QString::fromStdString(d.key), run->name));
  stack_->setCurrentWidget(view_);
  moveCursor();
}

void GateTimeline::moveCursor() {
  if (!view_->cursor) return;
  QValueAxis* ay = ay_;
  const double x = state_.currentUtterance() + 1.0;
  const double y0 = ay ? ay->min() : 0.0, y1 = ay ? ay->max() : 1.0;
  view_->cursor->replace(QList<QPointF>{{x, y0}, {x, y1}});
}

}  // namespace mlsan::ui
