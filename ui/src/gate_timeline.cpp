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

#include "mlsan/model/reliance.h"
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

QString interactionText(int interaction, int dominant) {
  switch (interaction) {
    case 0: return GateTimeline::tr("%1 dominates").arg(QString::fromLatin1(model::modalityName(dominant)));
    case 1: return GateTimeline::tr("complement");
    case 2: return GateTimeline::tr("conflict");
    case 3: return GateTimeline::tr("additive");
    case 4: return GateTimeline::tr("weak (the modalities barely move the prediction)");
    default: return GateTimeline::tr("not measured");
  }
}

GateTimeline::GateTimeline(StudioState& state, QWidget* parent) : QWidget(parent), state_(state) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(2, 2, 2, 2);
  auto* top = new QHBoxLayout;
  top->addWidget(new QLabel(tr("Show")));
  modeBox_ = new QComboBox;
  modeBox_->setObjectName("gateMode");
  modeBox_->addItem(tr("Gate: audio / visual share of the mean gates"));
  modeBox_->addItem(tr("Gate: mean gates"));
  modeBox_->addItem(tr("Gate: gain on the features"));
  modeBox_->addItem(tr("Gate: weighted by downstream use"));
  modeBox_->addItem(tr("Reliance (measured)"));
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
          [this](int i) { setMode(static_cast<Mode>(i)); });
  connect(&state_, &StudioState::corpusChanged, this, [this] { shownDialogue_ = -1; rebuild(); });
  connect(&state_, &StudioState::runsChanged, this, [this] { shownDialogue_ = -1; rebuild(); });
  connect(&state_, &StudioState::speakingChanged, this, [this] { moveCursor(); });
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
  modeBox_->setCurrentIndex(static_cast<int>(mode));
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
  const bool reliance = mode_ == Mode::Reliance;
  const RunData* run = reliance && state_.relianceRun() ? state_.relianceRun() : state_.primaryRun();
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
  if (reliance && !run->hasReliance()) {
    message_->setText(tr("%1's modality reliance is not measured yet: the studio measures it in the background after a run "
                         "loads (the status line shows its progress), or run mlsan explain %2.").arg(run->name, run->dir));
    stack_->setCurrentWidget(message_);
    return;
  }
  if (!reliance && !run->hasGate) {
    message_->setText(tr("%1 has no speaker gate, so there is nothing to draw here: it weighs audio and visual the "
                         "same way for every speaker. Load an ML-SAN run to see the gate, or show Reliance (measured), "
                         "which any model has.").arg(run->name));
    stack_->setCurrentWidget(message_);
    return;
  }
  const auto& c = *state_.corpus();
  const auto& d = c.dialogues[static_cast<std::size_t>(shownDialogue_)];
  const bool raw = mode_ == Mode::RawGates;
  const QString what = reliance ? tr("reliance") : raw ? tr("gate") : mode_ == Mode::Gain ? tr("gain")
                       : mode_ == Mode::Used ? tr("use-weighted gate") : tr("weight");
  // Per row: audio and visual (and text under reliance).
  auto audioOf = [&](std::size_t row) -> double {
    switch (mode_) {
      case Mode::Weights: return run->weightAudio[row];
      case Mode::RawGates: return run->gateAudio[row];
      case Mode::Gain: return run->gainAudio[row];
      case Mode::Used: return run->usedAudio[row];
      case Mode::Reliance: return run->relianceAudio[row];
    }
    return NAN;
  };
  auto visualOf = [&](std::size_t row) -> double {
    switch (mode_) {
      case Mode::Weights: return run->weightVisual[row];
      case Mode::RawGates: return run->gateVisual[row];
      case Mode::Gain: return run->gainVisual[row];
      case Mode::Used: return run->usedVisual[row];
      case Mode::Reliance: return run->relianceVisual[row];
    }
    return NAN;
  };
  QLineSeries* textLine = nullptr;
  QList<QPointF> textPoints;
  if (reliance) {
    textLine = new QLineSeries;
    textLine->setName(tr("text reliance"));
    textLine->setPen(QPen(QColor(130, 130, 130), 2, Qt::DotLine));
  }
  auto* audioLine = new QLineSeries;
  audioLine->setName(tr("audio %1").arg(what));
  audioLine->setPen(QPen(QColor(40, 40, 40), 2));
  auto* visualLine = new QLineSeries;
  visualLine->setName(tr("visual %1").arg(what));
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
    const double a = audioOf(row);
    const double v = visualOf(row);
    if (!std::isfinite(a) || !std::isfinite(v)) continue;
    const double x = static_cast<double>(u) + 1;
    if (textLine) {
      const double t = run->relianceText[row];
      textPoints.append({x, t});
      lo = std::min(lo, t);
      hi = std::max(hi, t);
    }
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
    delete textLine;
    for (auto& [s, p] : bySpeaker) { delete p.first; delete p.second; }
    message_->setText(reliance ? tr("%1's reliance is not measured for dialogue %2.").arg(run->name, QString::fromStdString(d.key))
                               : tr("%1 has no gate values for dialogue %2.").arg(run->name, QString::fromStdString(d.key)));
    stack_->setCurrentWidget(message_);
    return;
  }
  if (textLine) textLine->replace(textPoints);
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
  // Zoom to the data with a margin, never below 0 (nor above 1, but for the gain, and gates of the
  // identity form, which reach 2).
  const double pad = std::max(0.02, (hi - lo) * 0.15);
  const double top = hi > 1.0 ? 2.0 : 1.0;
  // Signed reliance shares reach below 0 (a modality that pushes against the prediction).
  ay->setRange(std::max(reliance ? -1.0 : 0.0, lo - pad), std::min(top, hi + pad));
  ay->setTitleText(reliance ? tr("share") : mode_ == Mode::Gain ? tr("||g h|| / ||h||")
                  : mode_ == Mode::Used ? tr("use-weighted gate") : raw ? tr("mean gate") : tr("share"));
  auto add = [&](QXYSeries* s) {
    chart->addSeries(s);
    s->attachAxis(ax);
    s->attachAxis(ay);
  };
  if (textLine) add(textLine);
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
      QString text = tr("Utterance %1, %2").arg(u + 1).arg(who);
      if (run->hasGate && std::isfinite(run->gateAudio[row]))
        text += tr("\ngate share: audio %1, visual %2\nmean gates: audio %3, visual %4\ngain: audio %5, visual %6")
                    .arg(run->weightAudio[row], 0, 'f', 3).arg(run->weightVisual[row], 0, 'f', 3)
                    .arg(run->gateAudio[row], 0, 'f', 3).arg(run->gateVisual[row], 0, 'f', 3)
                    .arg(run->gainAudio[row], 0, 'f', 3).arg(run->gainVisual[row], 0, 'f', 3);
      if (std::isfinite(run->relianceText[row]))
        text += tr("\nreliance (signed shares of the Shapley values; a removed modality drawn from the speaker's training "
                   "utterances): text %1, audio %2, visual %3 (%4)")
                    .arg(run->relianceText[row], 0, 'f', 2).arg(run->relianceAudio[row], 0, 'f', 2)
                    .arg(run->relianceVisual[row], 0, 'f', 2).arg(interactionText(run->interaction[row], run->dominant[row]));
      QToolTip::showText(QCursor::pos(), text, view_);
    };
    connect(p.first, &QScatterSeries::hovered, this, tip);
    connect(p.second, &QScatterSeries::hovered, this, tip);
  }
  view_->cursor = new QLineSeries;
  view_->cursor->setName(tr("current"));
  view_->cursor->setPen(QPen(QColor(200, 30, 30), 2));
  add(view_->cursor);
  view_->utterances = static_cast<int>(d.size());
  chart->setTitle(reliance ? tr("Dialogue %1: %2's measured modality reliance (circles audio, squares visual, dotted text)")
                                 .arg(QString::fromStdString(d.key), run->name)
                           : tr("Dialogue %1: %2's speaker gate (circles audio, squares visual)")
                                 .arg(QString::fromStdString(d.key), run->name));
  stack_->setCurrentWidget(view_);
  moveCursor();
}

void GateTimeline::moveCursor() {
  if (!view_->cursor) return;
  QValueAxis* ay = ay_;
  // Between utterances of an episode, the cursor stands after the last one spoken, dashed.
  const bool nobody = state_.nobodySpeaking();
  const double x = state_.currentUtterance() + (nobody ? 1.5 : 1.0);
  const double y0 = ay ? ay->min() : 0.0, y1 = ay ? ay->max() : 1.0;
  view_->cursor->replace(QList<QPointF>{{x, y0}, {x, y1}});
  QPen pen = view_->cursor->pen();
  pen.setStyle(nobody ? Qt::DashLine : Qt::SolidLine);
  view_->cursor->setPen(pen);
  view_->chart()->setTitle(nobody ? tr("Nobody is speaking") : QString());
}

}  // namespace mlsan::ui
