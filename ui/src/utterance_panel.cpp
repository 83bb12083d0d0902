#include "mlsan/ui/utterance_panel.h"

#include <QFontMetrics>
#include <QLabel>
#include <QPainter>
#include <QScrollArea>
#include <QVBoxLayout>
#include <cmath>

#include "mlsan/ui/studio_state.h"

namespace mlsan::ui {

ProbabilityBars::ProbabilityBars(QWidget* parent) : QWidget(parent) {
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
}

void ProbabilityBars::setData(const QStringList& labels, const std::vector<float>& probabilities, int gold, int predicted) {
  labels_ = labels;
  p_ = probabilities;
  gold_ = gold;
  predicted_ = predicted;
  updateGeometry();
  update();
}

QSize ProbabilityBars::sizeHint() const {
  const int row = fontMetrics().height() + 4;
  return {220, std::max(1, static_cast<int>(labels_.size())) * row + 2};
}

void ProbabilityBars::paintEvent(QPaintEvent*) {
  QPainter g(this);
  const QFontMetrics fm = fontMetrics();
  const int row = fm.height() + 4;
  QFont bold = font();
  bold.setBold(true);
  const QFontMetrics fmBold(bold);
  int labelW = 0;
  for (const QString& l : labels_) labelW = std::max(labelW, fmBold.horizontalAdvance(l));
  labelW += 8;
  const int valueW = fm.horizontalAdvance(QStringLiteral("100.0%")) + 6;
  const int barW = std::max(20, width() - labelW - valueW);
  const QColor fill = palette().color(QPalette::Highlight);
  for (int i = 0; i < labels_.size(); ++i) {
    const int y = i * row + 1;
    const float p = i < static_cast<int>(p_.size()) && std::isfinite(p_[static_cast<std::size_t>(i)]) ? p_[static_cast<std::size_t>(i)] : 0.0f;
    QFont f = font();
    f.setBold(i == gold_);
    g.setFont(f);
    g.setPen(palette().color(QPalette::WindowText));
    g.drawText(QRect(0, y, labelW - 6, row), Qt::AlignRight | Qt::AlignVCenter, labels_[i]);
    const QRect track(labelW, y + 2, barW, row - 4);
    g.fillRect(track, palette().color(QPalette::AlternateBase));
    QColor c = i == predicted_ ? fill : fill.lighter(160);
    g.fillRect(QRect(track.left(), track.top(), static_cast<int>(std::lround(barW * std::clamp(p, 0.0f, 1.0f))), track.height()), c);
    if (i == gold_) {
      g.setPen(QPen(QColor(20, 130, 40), 2));
      g.drawRect(track.adjusted(1, 1, -1, -1));
    }
    g.setPen(palette().color(QPalette::WindowText));
    g.drawText(QRect(labelW + barW + 4, y, valueW, row), Qt::AlignLeft | Qt::AlignVCenter,
               QString::number(100.0 * p, 'f', 1) + '%');
  }
}

UtterancePanel::UtterancePanel(StudioState& state, QWidget* parent) : QWidget(parent), state_(state) {
  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(0, 0, 0, 0);
  auto* scroll = new QScrollArea;
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  auto* body = new QWidget;
  auto* layout = new QVBoxLayout(body);
  transcript_ = new QLabel;
  transcript_->setObjectName("utteranceTranscript");
  transcript_->setWordWrap(true);
  transcript_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  QFont big = transcript_->font();
  big.setPointSizeF(big.pointSizeF() * 1.25);
  transcript_->setFont(big);
  layout->addWidget(transcript_);
  details_ = new QLabel;
  details_->setObjectName("utteranceDetails");
  details_->setWordWrap(true);
  details_->setTextFormat(Qt::RichText);
  layout->addWidget(details_);
  runsLayout_ = new QVBoxLayout;
  layout->addLayout(runsLayout_);
  layout->addStretch();
  scroll->setWidget(body);
  outer->addWidget(scroll);
  connect(&state_, &StudioState::currentChanged, this, &UtterancePanel::refresh);
  connect(&state_, &StudioState::runsChanged, this, &UtterancePanel::refresh);
  connect(&state_, &StudioState::corpusChanged, this, &UtterancePanel::refresh);
  refresh();
}

QString UtterancePanel::transcriptText() const { return transcript_->text(); }

void UtterancePanel::refresh() {
  for (QWidget* w : runWidgets_) w->deleteLater();
  runWidgets_.clear();
  const long row = state_.currentRow();
  if (row < 0) {
    transcript_->setText(state_.hasCorpus() ? tr("No utterance selected") : tr("No corpus open"));
    details_->clear();
    return;
  }
  const auto& c = *state_.corpus();
  const auto& d = c.dialogues[static_cast<std::size_t>(state_.currentDialogue())];
  const auto& u = d.utterances[static_cast<std::size_t>(state_.currentUtterance())];
  transcript_->setText(u.transcript.empty() ? tr("(no transcript)") : QStringLiteral("\u201C%1\u201D").arg(QString::fromStdString(u.transcript)));
  const QString speaker = u.speaker >= 0 && u.speaker < static_cast<int>(c.speakers.size())
                              ? QString::fromStdString(c.speakers[static_cast<std::size_t>(u.speaker)]) : tr("unknown");
  QString where = tr("Dialogue %1, utterance %2 of %3 (%4)")
                      .arg(QString::fromStdString(d.key)).arg(state_.currentUtterance() + 1).arg(d.size())
                      .arg(QString::fromLatin1(data::splitName(d.split)));
  if (d.season > 0) where = tr("Season %1, episode %2; ").arg(d.season).arg(d.episode) + where;
  QString span = tr("unknown");
  if (u.startSeconds >= 0 && u.endSeconds >= 0)
    span = QStringLiteral("%1 \u2013 %2 s (%3 s)").arg(u.startSeconds, 0, 'f', 2).arg(u.endSeconds, 0, 'f', 2).arg(u.endSeconds - u.startSeconds, 0, 'f', 2);
  const QString gold = u.label >= 0 ? QString::fromStdString(c.labels.labels[static_cast<std::size_t>(u.label)]) : tr("unlabelled");
  details_->setText(QStringLiteral("<table cellspacing='2'>"
                                   "<tr><td><b>%1</b></td><td>%2</td></tr>"
                                   "<tr><td><b>%3</b></td><td>%4</td></tr>"
                                   "<tr><td><b>%5</b></td><td>%6</td></tr>"
                                   "<tr><td><b>%7</b></td><td>%8</td></tr></table>")
                        .arg(tr("Speaker"), speaker.toHtmlEscaped(), tr("Where"), where.toHtmlEscaped(), tr("Time"), span,
                             tr("Gold"), gold.toHtmlEscaped()));
  QStringList labels;
  for (const auto& l : c.labels.labels) labels << QString::fromStdString(l);
  if (state_.runs().empty()) {
    auto* none = new QLabel(tr("No run loaded: File \u203A Open run shows a model's predictions here."));
    none->setWordWrap(true);
    runsLayout_->addWidget(none);
    runWidgets_.push_back(none);
  }
  for (const auto& run : state_.runs()) {
    auto* box = new QWidget;
    auto* v = new QVBoxLayout(box);
    v->setContentsMargins(0, 8, 0, 0);
    auto* head = new QLabel;
    head->setTextFormat(Qt::RichText);
    head->setWordWrap(true);
    if (!run->has(static_cast<std::size_t>(row))) {
      head->setText(tr("<b>%1</b>: no prediction for this utterance").arg(run->name.toHtmlEscaped()));
      v->addWidget(head);
    } else {
      const int p = run->prediction[static_cast<std::size_t>(row)];
      const bool right = p == u.label;
      QString text = tr("<b>%1</b> predicts <b>%2</b> <span style='color:%3'>%4</span>")
                         .arg(run->name.toHtmlEscaped(), labels.value(p),
                              right ? QStringLiteral("#1a7f37") : QStringLiteral("#c0392b"),
                              u.label < 0 ? QString() : right ? tr("(right)") : tr("(wrong)"));
      if (run->hasGate && std::isfinite(run->weightAudio[static_cast<std::size_t>(row)]))
        text += tr("<br>gate: audio %1, visual %2 (mean gates %3 / %4)")
                    .arg(run->weightAudio[static_cast<std::size_t>(row)], 0, 'f', 3)
                    .arg(run->weightVisual[static_cast<std::size_t>(row)], 0, 'f', 3)
                    .arg(run->gateAudio[static_cast<std::size_t>(row)], 0, 'f', 3)
                    .arg(run->gateVisual[static_cast<std::size_t>(row)], 0, 'f', 3);
      head->setText(text);
      v->addWidget(head);
      auto* bars = new ProbabilityBars;
      bars->setObjectName("probabilityBars");
      const float* pr = run->probs(static_cast<std::size_t>(row));
      bars->setData(labels, std::vector<float>(pr, pr + run->numClasses), u.label, p);
      v->addWidget(bars);
    }
    runsLayout_->addWidget(box);
    runWidgets_.push_back(box);
  }
}

}  // namespace mlsan::ui
