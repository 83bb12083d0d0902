// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/speaker_summary.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>
#include <array>
#include <cmath>

#include "mlsan/analysis/stats.h"
#include "mlsan/model/reliance.h"
#include "mlsan/ui/speaker_colors.h"
#include "mlsan/ui/studio_state.h"

namespace mlsan::ui {

SpeakerSummary::SpeakerSummary(StudioState& state, QWidget* parent) : QWidget(parent), state_(state) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(2, 2, 2, 2);
  auto* top = new QHBoxLayout;
  top->addWidget(new QLabel(tr("Over")));
  scope_ = new QComboBox;
  scope_->setObjectName("summaryScope");
  scope_->addItem(tr("the whole corpus"));
  scope_->addItem(tr("the browser's filtered set"));
  top->addWidget(scope_);
  top->addStretch();
  layout->addLayout(top);
  model_ = new SpeakerSummaryModel(this);
  proxy_ = new QSortFilterProxyModel(this);
  proxy_->setSourceModel(model_);
  proxy_->setSortRole(Qt::UserRole);
  table_ = new QTableView;
  table_->setObjectName("summaryTable");
  table_->setModel(proxy_);
  table_->setSortingEnabled(true);
  table_->sortByColumn(SpeakerSummaryModel::Utterances, Qt::DescendingOrder);
  table_->verticalHeader()->hide();
  // Every column as wide as its content (with the reliance of two runs the table scrolls sideways
  // rather than clip its numbers); the last one takes what is left.
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->horizontalHeader()->setMinimumSectionSize(table_->fontMetrics().horizontalAdvance(QStringLiteral("0.000")) + 14);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setAlternatingRowColors(true);
  layout->addWidget(table_, 1);
  note_ = new QLabel;
  note_->setObjectName("summaryNote");
  note_->setWordWrap(true);
  layout->addWidget(note_);
  connect(scope_, qOverload<int>(&QComboBox::currentIndexChanged), this, &SpeakerSummary::recompute);
  connect(&state_, &StudioState::runsChanged, this, &SpeakerSummary::recompute);
  connect(&state_, &StudioState::corpusChanged, this, &SpeakerSummary::recompute);
  connect(&state_, &StudioState::filterChanged, this, [this] {
    if (scope_->currentIndex() == 1) recompute();
  });
  recompute();
}

void SpeakerSummary::setFilteredOnly(bool on) { scope_->setCurrentIndex(on ? 1 : 0); }

QString SpeakerSummary::message() const { return note_->text(); }

void SpeakerSummary::recompute() {
  const RunData* run = state_.primaryRun();
  if (!state_.hasCorpus()) {
    model_->setRows({});
    note_->setText(tr("No corpus open."));
    return;
  }
  // The runs whose measured reliance is shown beside the gate: the gated run first, at most two.
  std::vector<const RunData*> relRuns;
  if (run && run->hasReliance()) relRuns.push_back(run);
  for (const auto& r : state_.runs())
    if (relRuns.size() < 2 && r.get() != run && r->hasReliance()) relRuns.push_back(r.get());
  QStringList relNames;
  for (const RunData* r : relRuns) relNames << r->name;
  model_->setRelianceRuns(relNames);
  const bool gate = run && run->hasGate;
  if (!gate && relRuns.empty()) {
    model_->setRows({});
    note_->setText(run ? tr("%1 has no speaker gate and no measured reliance yet: load an ML-SAN run for per-speaker weights; "
                            "reliance appears when it is measured.").arg(run->name)
                       : tr("No run loaded."));
    return;
  }
  const auto& c = *state_.corpus();
  struct Acc {
    int n = 0;
    std::vector<double> a, v, ga, gv;
    std::vector<std::array<double, 3>> shapley[2];
  };
  std::vector<Acc> acc(c.speakers.size());
  auto add = [&](std::size_t row, int speaker) {
    if (speaker < 0 || speaker >= static_cast<int>(acc.size())) return;
    Acc& s = acc[static_cast<std::size_t>(speaker)];
    bool counted = false;
    if (gate && run->has(row) && std::isfinite(run->weightAudio[row]) && std::isfinite(run->weightVisual[row])) {
      s.a.push_back(run->weightAudio[row]);
      s.v.push_back(run->weightVisual[row]);
      s.ga.push_back(run->gateAudio[row]);
      s.gv.push_back(run->gateVisual[row]);
      counted = true;
    }
    for (std::size_t k = 0; k < relRuns.size(); ++k) {
      const RunData* r = relRuns[k];
      if (!std::isfinite(r->shapleyText[row])) continue;
      s.shapley[k].push_back({r->shapleyText[row], r->shapleyAudio[row], r->shapleyVisual[row]});
      counted = true;
    }
    if (counted) ++s.n;
  };
  std::size_t considered = 0;
  if (scope_->currentIndex() == 1) {
    for (std::size_t di = 0; di < c.dialogues.size(); ++di) {
      const auto& d = c.dialogues[di];
      for (std::size_t u = 0; u < d.size(); ++u)
        if (state_.accepts(static_cast<int>(di), static_cast<int>(u))) { add(d.firstRow + u, d.utterances[u].speaker); ++considered; }
    }
  } else {
    for (const auto& d : c.dialogues)
      for (std::size_t u = 0; u < d.size(); ++u) { add(d.firstRow + u, d.utterances[u].speaker); ++considered; }
  }
  std::vector<SpeakerSummaryModel::Row> rows;
  for (std::size_t s = 0; s < acc.size(); ++s) {
    const Acc& a = acc[s];
    if (a.n == 0) continue;
    SpeakerSummaryModel::Row r;
    r.speaker = static_cast<int>(s);
    r.numSpeakers = static_cast<int>(c.speakers.size());
    r.name = QString::fromStdString(c.speakers[s]);
    r.utterances = a.n;
    if (!a.a.empty()) {
      const auto audio = analysis::meanStd(a.a), visual = analysis::meanStd(a.v);
      r.audioMean = audio.mean;
      r.visualMean = visual.mean;
      r.audioSd = audio.std;
      r.visualSd = visual.std;
      r.gateAudio = analysis::meanStd(a.ga).mean;
      r.gateVisual = analysis::meanStd(a.gv).mean;
    }
    for (std::size_t k = 0; k < relRuns.size(); ++k) {
      if (a.shapley[k].empty()) continue;
      const model::RelianceGroup g = model::relianceGroup("", a.shapley[k]);  // the rule mlsan explain prints
      for (int m = 0; m < 3; ++m) r.reliance[k][m] = {g.utterances, g.mean[m], g.std[m], g.low[m], g.high[m], g.against[m]};
    }
    rows.push_back(r);
  }
  model_->setRows(std::move(rows));
  for (int col = SpeakerSummaryModel::RelianceAudio0; col <= SpeakerSummaryModel::RelianceVisual1; ++col)
    table_->setColumnHidden(col, (col >= SpeakerSummaryModel::RelianceAudio1 ? 2u : 1u) > relRuns.size());
  for (int col = SpeakerSummaryModel::AudioMean; col <= SpeakerSummaryModel::GateVisual; ++col) table_->setColumnHidden(col, !gate);
  QString note = gate ? tr("%1: %2 speakers over %3 utterances. Weights are normalised shares of the mean gates (audio + visual = 1).")
                            .arg(run->name).arg(model_->rowCount()).arg(considered)
                      : tr("%1 speakers over %2 utterances.").arg(model_->rowCount()).arg(considered);
  if (!relRuns.empty())
    note += tr(" rel.: measured modality reliance of %1 (interventional baseline; the share of the positive Shapley values over the "
               "speaker's utterances \u00B1 s.e., as mlsan explain prints it; the 95% CI, the negative part and the text share in the tooltip).")
                .arg(relNames.join(tr(" and ")));
  note_->setText(note);
}

}  // namespace mlsan::ui
