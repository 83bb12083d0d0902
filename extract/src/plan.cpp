// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/extract/plan.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>

#include "mlsan/data/clips.h"
#include "mlsan/data/meld_csv.h"
#include "mlsan/extract/text_features.h"

namespace mlsan::extract {
namespace fs = std::filesystem;

ExtractPlan planFromMeld(const std::string& dir) {
  for (const char* csv : {"train_sent_emo.csv", "dev_sent_emo.csv", "test_sent_emo.csv"})
    if (!fs::exists(fs::path(dir) / csv))
      throw std::runtime_error((fs::path(dir) / csv).string() +
                               ": not found (--meld wants the MELD.Raw folder: the three CSVs and the clip folders "
                               "train_splits/, dev_splits_complete/, output_repeated_splits_test/)");
  ExtractPlan plan;
  plan.source = "MELD.Raw " + dir;
  plan.corpus = data::readMeldCsvFolder(dir);
  plan.corpus.name = "MELD (extracted from " + fs::path(dir).filename().string() + ")";
  data::linkMeldClips(plan.corpus, dir);
  for (const auto& d : plan.corpus.dialogues) {
    for (const auto& u : d.utterances) {
      const std::string file = data::meldClipOf(d.key, u.utteranceId).file;
      ExtractItem item;
      item.name = std::string(data::splitName(d.split)) + " " + file.substr(0, file.size() - 4);  // without ".mp4"
      item.video = u.clipPath;
      if (item.video.empty()) item.missing = "no readable clip " + file;
      plan.items.push_back(std::move(item));
    }
  }
  return plan;
}

namespace {

/// The label set the emotions given fit.
data::LabelSet labelSetFor(const std::set<std::string>& emotions, std::map<std::string, std::string>* alias) {
  const data::LabelSet meld = data::meldLabels(), iemocap = data::iemocapLabels();
  auto all = [&](const data::LabelSet& l) {
    return std::all_of(emotions.begin(), emotions.end(), [&](const std::string& e) { return l.indexOf(e) >= 0; });
  };
  if (all(meld)) return meld;
  // IEMOCAP's three-letter codes, as its annotation files write them.
  const std::map<std::string, std::string> codes = {{"hap", "happiness"}, {"sad", "sadness"}, {"neu", "neutral"},
                                                    {"ang", "anger"},     {"exc", "excitement"}, {"fru", "frustration"}};
  bool isIemocap = true;
  for (const auto& e : emotions) {
    const auto c = codes.find(e);
    if (c != codes.end()) (*alias)[e] = c->second;
    else if (iemocap.indexOf(e) < 0) isIemocap = false;
  }
  if (isIemocap) return iemocap;
  alias->clear();
  data::LabelSet custom;
  custom.name = "custom";
  custom.labels.assign(emotions.begin(), emotions.end());
  return custom;
}

}  // namespace

ExtractPlan planFromSource(const UtteranceSource& source) {
  ExtractPlan plan;
  plan.source = source.name;
  plan.problems = source.problems;
  data::Corpus& c = plan.corpus;
  c.name = fs::path(source.name).filename().string();
  c.speakerSource = "names";

  std::set<std::string> emotions;
  for (const auto& u : source.utterances)
    if (!u.emotion.empty()) emotions.insert(u.emotion);
  std::map<std::string, std::string> alias;
  c.labels = labelSetFor(emotions, &alias);
  c.dataset = c.labels.name == "custom" ? "custom" : c.labels.name;

  // Dialogues in order of first appearance; speakers likewise.
  std::map<std::string, std::size_t> dialogueOf;
  std::map<std::string, int> speakerOf;
  std::vector<std::vector<const SourceUtterance*>> members;
  for (const auto& u : source.utterances) {
    auto [it, added] = dialogueOf.emplace(u.dialogue, c.dialogues.size());
    if (added) {
      data::Dialogue d;
      d.key = u.dialogue;
      c.dialogues.push_back(std::move(d));
      members.emplace_back();
    }
    members[it->second].push_back(&u);
    if (speakerOf.emplace(u.speaker, static_cast<int>(c.speakers.size())).second) c.speakers.push_back(u.speaker);
  }

  // Splits: the table's, else by a hash of the key.
  const bool anySplit = std::any_of(source.utterances.begin(), source.utterances.end(), [](const auto& u) { return !u.split.empty(); });
  const bool allSplit = std::all_of(source.utterances.begin(), source.utterances.end(), [](const auto& u) { return !u.split.empty(); });
  if (anySplit) {
    for (std::size_t i = 0; i < c.dialogues.size(); ++i) {
      std::string s;
      for (const SourceUtterance* m : members[i])
        if (s.empty()) s = m->split;
      c.dialogues[i].split = s.empty() ? data::Split::Train : data::parseSplit(s);
    }
    if (!allSplit) c.problems.push_back(source.name + ": some rows have no split; their dialogues are in train unless a row of theirs says otherwise");
  } else {
    std::vector<std::size_t> order(c.dialogues.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return fnv1a64(c.dialogues[a].key) < fnv1a64(c.dialogues[b].key);
    });
    const std::size_t n = order.size();
    const std::size_t nTest = n >= 3 ? std::max<std::size_t>(1, (n * 2 + 5) / 10) : 0;
    const std::size_t nDev = n >= 3 ? std::max<std::size_t>(1, (n + 5) / 10) : 0;
    for (std::size_t k = 0; k < n; ++k)
      c.dialogues[order[k]].split = k < nTest ? data::Split::Test : k < nTest + nDev ? data::Split::Dev : data::Split::Train;
    c.problems.push_back(source.name + ": no split column; the " + std::to_string(n) + " dialogues were split by a hash of their key: " +
                         std::to_string(n - nTest - nDev) + " train, " + std::to_string(nDev) + " dev, " + std::to_string(nTest) + " test");
  }

  std::string ext = fs::path(source.name).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  const bool srt = ext == ".srt";
  for (std::size_t i = 0; i < c.dialogues.size(); ++i) {
    data::Dialogue& d = c.dialogues[i];
    std::map<int, int> partyOf;
    int id = 0;
    for (const SourceUtterance* s : members[i]) {
      data::Utterance u;
      u.speaker = speakerOf.at(s->speaker);
      u.party = partyOf.emplace(u.speaker, static_cast<int>(partyOf.size())).first->second;
      const auto a = alias.find(s->emotion);
      u.label = s->emotion.empty() ? -1 : c.labels.indexOf(a != alias.end() ? a->second : s->emotion);
      u.utteranceId = id++;
      u.transcript = s->transcript;
      if (s->end >= 0) {
        u.startSeconds = s->start;
        u.endSeconds = s->end;
      }
      u.clipPath = s->video;
      d.utterances.push_back(std::move(u));
      ExtractItem item;
      item.video = s->video;
      item.start = s->start;
      item.end = s->end;
      item.name = (srt ? "block " : "line ") + std::to_string(s->line);
      plan.items.push_back(std::move(item));
    }
  }
  c.reindexRows();
  return plan;
}

std::string ExtractSource::problem() const {
  const int given = (!meld.empty()) + (!table.empty()) + (!video.empty() || !srt.empty());
  if (given != 1) return "give one input: a MELD.Raw folder, an utterance table, or a video with its subtitles";
  if (video.empty() != srt.empty()) return "a video and its subtitles (SRT) go together";
  return {};
}

ExtractPlan planFrom(const ExtractSource& s) {
  const std::string why = s.problem();
  if (!why.empty()) throw std::invalid_argument(why);
  if (!s.meld.empty()) return planFromMeld(s.meld);
  if (!s.table.empty()) return planFromSource(readUtteranceTable(s.table));
  return planFromSource(readSrt(s.video, s.srt));
}

}  // namespace mlsan::extract
