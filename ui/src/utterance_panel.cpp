// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/utterance_panel.h"

#include <QFontMetrics>
#include <QFormLayout>
#include <QLabel>
#include <QPainter>
#include <QScrollArea>
#include <QVBoxLayout>
#include <cmath>

#include "mlsan/ui/gate_timeline.h"
#include "mlsan/ui/studio_state.h"
#include "mlsan/ui/view_timer.h"

namespace mlsan::ui {

UtterancePanel::UtterancePanel(StudioState& state, QWidget* parent) : QWidget(parent), state_(state) {
  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(0, 0, 0, 0);
  auto* scroll = new QScrollArea;
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  auto* body = new QWidget;
  auto* layout = new QVBoxLayout(body);
  nobody_ = new QLabel(tr("Nobody is speaking: the episode is between utterances. Below, the last one spoken."));
  nobody_->setObjectName("utteranceNobodySpeaking");
  nobody_->setWordWrap(true);
  nobody_->setStyleSheet("QLabel { background: #fff3c4; color: #5a4500; padding: 4px; border-radius: 3px; }");
  nobody_->setVisible(false);
  layout->addWidget(nobody_);
  transcript_ = new QLabel;
  transcript_->setObjectName("utteranceTranscript");
  transcript_->setWordWrap(true);
  transcript_->setTextFormat(Qt::PlainText);
  transcript_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  QFont big = transcript_->font();
  big.setPointSizeF(big.pointSizeF() * 1.25);
  transcript_->setFont(big);
  layout->addWidget(transcript_);
  auto* form = new QFormLayout;
  form->setContentsMargins(0, 0, 0, 0);
  form->setHorizontalSpacing(8);
  auto field = [&](const QString& name) {
    auto* value = new QLabel;
    value->setTextFormat(Qt::PlainText);
    value->setWordWrap(true);
    auto* label = new QLabel(name);
    QFont f = label->font();
    f.setBold(true);
    label->setFont(f);
    form->addRow(label, value);
    return value;
  };
  speaker_ = field(tr("Speaker"));
  where_ = field(tr("Where"));
  time_ = field(tr("Time"));
  gold_ = field(tr("Gold"));
  layout->addLayout(form);
  noRun_ = new QLabel(tr("No run loaded: File \u203A Open run shows a model's predictions here."));
  noRun_->setWordWrap(true);
  layout->addWidget(noRun_);
  runsLayout_ = new QVBoxLayout;
  layout->addLayout(runsLayout_);
  layout->addStretch();
  scroll->setWidget(body);
  outer->addWidget(scroll);
  connect(&state_, &StudioState::currentChanged, this, &UtterancePanel::refresh);
  connect(&state_, &StudioState::speakingChanged, this, [this](bool nobody) { nobody_->setVisible(nobody && state_.currentRow() >= 0); });
  connect(&state_, &StudioState::runsChanged, this, &UtterancePanel::refresh);
  connect(&state_, &StudioState::corpusChanged, this, &UtterancePanel::refresh);
  refresh();
}

QString UtterancePanel::transcriptText() const { return transcript_->text(); }
bool UtterancePanel::saysNobodySpeaking() const { return !nobody_->isHidden(); }

UtterancePanel::RunView& UtterancePanel::runView(std::size_t i) {
  while (runViews_.size() <= i) {
    RunView v;
    v.box = new QWidget;
    auto* l = new QVBoxLayout(v.box);
    l->setContentsMargins(0, 8, 0, 0);
    v.head = new QLabel;
    v.head->setTextFormat(Qt::RichText);
    v.head->setWordWrap(true);
    l->addWidget(v.head);
    v.bars = new ProbabilityBars;
    v.bars->setObjectName("probabilityBars");
    l->addWidget(v.bars);
    runsLayout_->addWidget(v.box);
    runViews_.push_back(v);
  }
  return runViews_[i];
}

void UtterancePanel::refresh() {
  ViewTimer timing("utterance panel");
  const long row = state_.currentRow();
  nobody_->setVisible(row >= 0 && state_.nobodySpeaking());
  const auto& runs = state_.runs();
  noRun_->setVisible(row >= 0 && runs.empty());
  for (std::size_t i = 0; i < runViews_.size(); ++i) runViews_[i].box->setVisible(row >= 0 && i < runs.size());
  if (row < 0) {
    transcript_->setText(state_.hasCorpus() ? tr("No utterance selected") : tr("No corpus open"));
    for (QLabel* l : {speaker_, where_, time_, gold_}) l->clear();
    return;
  }
  const auto& c = *state_.corpus();
  const auto& d = c.dialogues[static_cast<std::size_t>(state_.currentDialogue())];
  const auto& u = d.utterances[static_cast<std::size_t>(state_.currentUtterance())];
  transcript_->setText(u.transcript.empty() ? tr("(no transcript)") : QStringLiteral("\u201C%1\u201D").arg(QString::fromStdString(u.transcript)));
  speaker_->setText(u.speaker >= 0 && u.speaker < static_cast<int>(c.speakers.size())
                        ? QString::fromStdString(c.speakers[static_cast<std::size_t>(u.speaker)]) : tr("unknown"));
  QString where = tr("Dialogue %1, utterance %2 of %3 (%4)")
                      .arg(QString::fromStdString(d.key)).arg(state_.currentUtterance() + 1).arg(d.size())
                      .arg(QString::fromLatin1(data::splitName(d.split)));
  if (d.season > 0) where = tr("Season %1, episode %2; ").arg(d.season).arg(d.episode) + where;
  where_->setText(where);
  time_->setText(u.startSeconds >= 0 && u.endSeconds >= 0
                     ? QStringLiteral("%1 \u2013 %2 s (%3 s)").arg(u.startSeconds, 0, 'f', 2).arg(u.endSeconds, 0, 'f', 2)
                           .arg(u.endSeconds - u.startSeconds, 0, 'f', 2)
                     : tr("unknown"));
  gold_->setText(u.label >= 0 ? QString::fromStdString(c.labels.labels[static_cast<std::size_t>(u.label)]) : tr("unlabelled"));
  QStringList labels;
  for (const auto& l : c.labels.labels) labels << QString::fromStdString(l);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& run = runs[i];
    RunView& v = runView(i);
    v.box->setVisible(true);
    if (!run->has(static_cast<std::size_t>(row))) {
      v.head->setText(tr("<b>%1</b>: no prediction for this utterance").arg(run->name.toHtmlEscaped()));
      v.bars->setVisible(false);
      continue;
    }
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
    const std::size_t r = static_cast<std::size_t>(row);
    if (std::isfinite(run->relianceText[r]))
      text += tr("<br>reliance (signed Shapley shares, same-speaker draws): text %1, audio %2, visual %3; %4")
                  .arg(run->relianceText[r], 0, 'f', 2).arg(run->relianceAudio[r], 0, 'f', 2)
                  .arg(run->relianceVisual[r], 0, 'f', 2).arg(interactionText(run->interaction[r], run->dominant[r]));
    else
      text += tr("<br>reliance: not measured yet");
    v.head->setText(text);
    const float* pr = run->probs(static_cast<std::size_t>(row));
    v.bars->setData(labels, std::vector<float>(pr, pr + run->numClasses), u.label, p);
    v.bars->setVisible(true);
  }
}

}  // namespace mlsan::ui
