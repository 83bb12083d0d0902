// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/studio_state.h"

#include <algorithm>

#include "mlsan/ui/demo_clips.h"

namespace mlsan::ui {

StudioState::StudioState(QObject* parent) : QObject(parent) {}
StudioState::~StudioState() = default;

void StudioState::setCorpus(std::shared_ptr<const data::Corpus> corpus, const QString& source,
                            std::shared_ptr<const DemoClipCache> demoClips) {
  corpus_ = std::move(corpus);
  source_ = source;
  demoClips_ = std::move(demoClips);
  episodes_ = corpus_ ? data::episodesOf(*corpus_) : std::vector<data::Episode>{};
  nobodySpeaking_ = false;
  runs_.clear();
  loadOrder_.clear();
  filter_ = UtteranceFilter{};
  dialogue_ = utterance_ = -1;
  lowerText_.clear();
  if (corpus_) {
    lowerText_.reserve(corpus_->numUtterances());
    for (const auto& d : corpus_->dialogues)
      for (const auto& u : d.utterances) {
        QString s = QString::fromStdString(u.transcript);
        if (u.speaker >= 0 && u.speaker < static_cast<int>(corpus_->speakers.size()))
          s += '\n' + QString::fromStdString(corpus_->speakers[static_cast<std::size_t>(u.speaker)]);
        lowerText_.push_back(s.toLower());
      }
  }
  emit corpusChanged();
  emit runsChanged();
  emit filterChanged();
  if (corpus_ && !corpus_->dialogues.empty() && !corpus_->dialogues.front().utterances.empty()) setCurrent(0, 0);
  else emit currentChanged(-1, -1);
}

void StudioState::addRun(std::shared_ptr<const RunData> run) {
  if (!run) return;
  auto same = std::find_if(runs_.begin(), runs_.end(), [&](const auto& r) { return r->dir == run->dir; });
  if (same == runs_.end()) same = std::find_if(runs_.begin(), runs_.end(), [&](const auto& r) { return r->name == run->name; });
  if (same != runs_.end()) {
    loadOrder_.erase(std::remove(loadOrder_.begin(), loadOrder_.end(), *same), loadOrder_.end());
    *same = run;
  } else {
    if (runs_.size() >= 2) {
      // The older of the two goes (by load order, not by position: runs_ is sorted below).
      const auto oldest = loadOrder_.front();
      loadOrder_.erase(loadOrder_.begin());
      runs_.erase(std::remove(runs_.begin(), runs_.end(), oldest), runs_.end());
    }
    runs_.push_back(run);
  }
  loadOrder_.push_back(std::move(run));
  // ML-SAN (gated) first: it is the primary run.
  std::stable_sort(runs_.begin(), runs_.end(), [](const auto& a, const auto& b) { return a->hasGate > b->hasGate; });
  emit runsChanged();
  emit filterChanged();  // predicted / misclassified / disagree depend on the runs
}

void StudioState::clearRuns() {
  runs_.clear();
  loadOrder_.clear();
  emit runsChanged();
  emit filterChanged();
}

const RunData* StudioState::primaryRun() const {
  for (const auto& r : runs_)
    if (r->hasGate) return r.get();
  return runs_.empty() ? nullptr : runs_.front().get();
}

long StudioState::currentRow() const {
  if (!corpus_ || dialogue_ < 0) return -1;
  return static_cast<long>(corpus_->dialogues[static_cast<std::size_t>(dialogue_)].firstRow) + utterance_;
}

void StudioState::setCurrent(int dialogue, int utterance) {
  if (!corpus_ || dialogue < 0 || dialogue >= static_cast<int>(corpus_->dialogues.size())) return;
  const auto& d = corpus_->dialogues[static_cast<std::size_t>(dialogue)];
  if (utterance < 0 || utterance >= static_cast<int>(d.size())) return;
  setNobodySpeaking(false);
  if (dialogue == dialogue_ && utterance == utterance_) return;
  dialogue_ = dialogue;
  utterance_ = utterance;
  emit currentChanged(dialogue_, utterance_);
}

void StudioState::setNobodySpeaking(bool nobody) {
  if (nobody == nobodySpeaking_) return;
  nobodySpeaking_ = nobody;
  emit speakingChanged(nobody);
}

bool StudioState::accepts(int dialogue, int utterance) const {
  if (!corpus_) return false;
  if (filter_.isEmpty()) return true;
  const auto& d = corpus_->dialogues[static_cast<std::size_t>(dialogue)];
  const auto& u = d.utterances[static_cast<std::size_t>(utterance)];
  const std::size_t row = d.firstRow + static_cast<std::size_t>(utterance);
  if (filter_.speaker >= 0 && u.speaker != filter_.speaker) return false;
  if (filter_.gold >= 0 && u.label != filter_.gold) return false;
  const RunData* primary = primaryRun();
  if (filter_.predicted >= 0 || filter_.misclassified) {
    if (!primary || !primary->has(row)) return false;
    if (filter_.predicted >= 0 && primary->prediction[row] != filter_.predicted) return false;
    if (filter_.misclassified && (u.label < 0 || primary->prediction[row] == u.label)) return false;
  }
  if (filter_.disagree) {
    if (runs_.size() < 2 || !runs_[0]->has(row) || !runs_[1]->has(row)) return false;
    if (runs_[0]->prediction[row] == runs_[1]->prediction[row]) return false;
  }
  if (!filter_.text.isEmpty() && !lowerText_[row].contains(filter_.text.toLower())) return false;
  if (filter_.interaction >= 0) {
    const RunData* r = relianceRun();
    if (!r || r->interaction[row] < 0) return false;
    const int i = r->interaction[row];  // model::Interaction: 0 dominance, 1 complement, 2 conflict, 3 additive, 4 weak
    const int code = i == 0 ? int{r->dominant[row]} : i == 1 ? int{UtteranceFilter::kComplement} : i == 2 ? int{UtteranceFilter::kConflict}
                     : i == 3 ? int{UtteranceFilter::kAdditive} : int{UtteranceFilter::kWeak};
    if (code != filter_.interaction) return false;
  }
  return true;
}

const RunData* StudioState::relianceRun() const {
  const RunData* p = primaryRun();
  if (p && p->hasReliance()) return p;
  for (const auto& r : runs_)
    if (r->hasReliance()) return r.get();
  return nullptr;
}

std::vector<std::size_t> StudioState::filteredRows() const {
  std::vector<std::size_t> rows;
  if (!corpus_) return rows;
  for (std::size_t di = 0; di < corpus_->dialogues.size(); ++di) {
    const auto& d = corpus_->dialogues[di];
    for (std::size_t u = 0; u < d.size(); ++u)
      if (accepts(static_cast<int>(di), static_cast<int>(u))) rows.push_back(d.firstRow + u);
  }
  return rows;
}

bool StudioState::step(int delta) {
  if (!corpus_ || dialogue_ < 0 || delta == 0) return false;
  int di = dialogue_, u = utterance_;
  const int nd = static_cast<int>(corpus_->dialogues.size());
  for (;;) {
    u += delta > 0 ? 1 : -1;
    if (u < 0) {
      if (--di < 0) return false;
      u = static_cast<int>(corpus_->dialogues[static_cast<std::size_t>(di)].size()) - 1;
      if (u < 0) continue;
    } else if (u >= static_cast<int>(corpus_->dialogues[static_cast<std::size_t>(di)].size())) {
      if (++di >= nd) return false;
      u = -1;
      continue;
    }
    if (accepts(di, u)) {
      setCurrent(di, u);
      return true;
    }
  }
}

bool StudioState::stepDialogue(int delta) {
  if (!corpus_ || dialogue_ < 0 || delta == 0) return false;
  const int nd = static_cast<int>(corpus_->dialogues.size());
  for (int di = dialogue_ + (delta > 0 ? 1 : -1); di >= 0 && di < nd; di += delta > 0 ? 1 : -1) {
    const auto& d = corpus_->dialogues[static_cast<std::size_t>(di)];
    for (int u = 0; u < static_cast<int>(d.size()); ++u)
      if (accepts(di, u)) {
        setCurrent(di, u);
        return true;
      }
  }
  return false;
}

void StudioState::setFilter(const UtteranceFilter& filter) {
  if (filter == filter_) return;
  filter_ = filter;
  emit filterChanged();
}

}  // namespace mlsan::ui
