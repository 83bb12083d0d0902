// SPDX-License-Identifier: GPL-3.0-or-later
// MELD corpora from the annotation CSVs: the annotation-only corpus, global speaker
// identities from the Speaker names, and the join of the CSVs onto a pickle corpus.
#include <algorithm>
#include <map>
#include <stdexcept>
#include <unordered_map>

#include "meld_internal.h"
#include "mlsan/data/meld_csv.h"

namespace mlsan::data {

int detail::meldKeyNumber(const std::string& key) {
  try {
    std::size_t end = 0;
    const int n = std::stoi(key, &end);
    return end == key.size() ? n : -1;
  } catch (const std::exception&) {
    return -1;
  }
}

namespace {

using detail::kDevOffset;
using detail::kTestOffset;
const char* const kMainSix[] = {"Chandler", "Joey", "Monica", "Phoebe", "Rachel", "Ross"};
const char* const kOther = "other";

struct SplitFile {
  Split split;
  const char* file;
  int offset;
};
const SplitFile kFiles[] = {
    {Split::Train, "train_sent_emo.csv", 0}, {Split::Dev, "dev_sent_emo.csv", kDevOffset},
    {Split::Test, "test_sent_emo.csv", kTestOffset}};

// One CSV dialogue under MultiEMO's key: its rows in Utterance_ID order.
struct CsvDialogue {
  Split split = Split::Train;
  std::vector<const MeldRow*> rows;
};

// The three CSVs of a folder, grouped by MultiEMO's dialogue key.
struct MeldFolder {
  MeldCsv files[3];
  std::map<int, CsvDialogue> dialogues;
  std::vector<std::string> problems;
};

std::string joinPath(const std::string& dir, const std::string& file) {
  if (dir.empty()) return file;
  return dir.back() == '/' ? dir + file : dir + "/" + file;
}

void loadFolder(const std::string& dir, MeldFolder& out) {
  for (int f = 0; f < 3; ++f) {
    out.files[f] = readMeldCsv(joinPath(dir, kFiles[f].file));
    const MeldCsv& csv = out.files[f];
    out.problems.insert(out.problems.end(), csv.problems.begin(), csv.problems.end());
    int duplicates = 0;
    std::string firstDuplicate;
    // MultiEMO's keys: a train or dev Dialogue_ID beyond MELD's range would take another
    // split's key.
    const int limit = f < 2 ? kFiles[f + 1].offset - kFiles[f].offset : 100000000;
    for (const MeldRow& r : csv.rows) {
      if (r.dialogueId >= limit)
        throw std::runtime_error(csv.path + ": line " + std::to_string(r.line) + ": Dialogue_ID " +
                                 std::to_string(r.dialogueId) + " is beyond MELD's range for this split (at most " +
                                 std::to_string(limit - 1) + "), so MultiEMO's dialogue keys would collide");
      CsvDialogue& d = out.dialogues[r.dialogueId + kFiles[f].offset];
      d.split = kFiles[f].split;
      d.rows.push_back(&r);
    }
    for (auto& [key, d] : out.dialogues) {
      if (d.split != kFiles[f].split) continue;
      std::stable_sort(d.rows.begin(), d.rows.end(),
                       [](const MeldRow* a, const MeldRow* b) { return a->utteranceId < b->utteranceId; });
      for (std::size_t i = 1; i < d.rows.size(); ++i) {
        if (d.rows[i]->utteranceId != d.rows[i - 1]->utteranceId) continue;
        if (duplicates++ == 0)
          firstDuplicate = "line " + std::to_string(d.rows[i]->line) + ", dialogue " +
                           std::to_string(d.rows[i]->dialogueId) + " utterance " +
                           std::to_string(d.rows[i]->utteranceId);
        d.rows.erase(d.rows.begin() + static_cast<std::ptrdiff_t>(i--));
      }
    }
    if (duplicates > 0)
      out.problems.push_back(csv.path + ": " + std::to_string(duplicates) +
                             " row(s) repeat a Dialogue_ID/Utterance_ID pair and were dropped (first: " +
                             firstDuplicate + ")");
  }
}

// Parties: each speaker's position of first appearance within the dialogue, by name.
std::vector<int> partiesOf(const std::vector<std::string>& names, int& overflow) {
  std::vector<std::string> seen;
  std::vector<int> parties;
  parties.reserve(names.size());
  for (const auto& n : names) {
    auto it = std::find(seen.begin(), seen.end(), n);
    int p = static_cast<int>(it - seen.begin());
    if (it == seen.end()) seen.push_back(n);
    if (p > 8) { p = 8; ++overflow; }
    parties.push_back(p);
  }
  return parties;
}

std::string plural(long n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}
const char* verb(long n, const char* one, const char* many) { return n == 1 ? one : many; }

// Sets Corpus::speakers and every Utterance::speaker from `names` (per dialogue, per utterance,
// the normalized Speaker name, empty when unknown), counting training utterances over the
// corpus's Train dialogues.
void assignSpeakers(Corpus& c, const std::vector<std::vector<std::string>>& names, const MeldOptions& o) {
  std::unordered_map<std::string, long> trainCount, allCount;
  std::vector<std::vector<std::string>> canon(names.size());
  for (std::size_t d = 0; d < names.size(); ++d) {
    for (const auto& n : names[d]) {
      canon[d].push_back(n.empty() ? std::string() : canonicalMeldSpeaker(n));
      if (canon[d].back().empty()) continue;
      ++allCount[canon[d].back()];
      if (c.dialogues[d].split == Split::Train) ++trainCount[canon[d].back()];
    }
  }
  c.speakers.assign(std::begin(kMainSix), std::end(kMainSix));
  std::vector<std::pair<long, std::string>> frequent;
  for (const auto& [n, k] : trainCount)
    if (k >= o.minSpeakerUtterances && std::find(c.speakers.begin(), c.speakers.end(), n) == c.speakers.end())
      frequent.emplace_back(-k, n);
  std::sort(frequent.begin(), frequent.end());
  for (const auto& f : frequent) c.speakers.push_back(f.second);
  c.speakers.push_back(kOther);
  const int other = static_cast<int>(c.speakers.size()) - 1;
  std::unordered_map<std::string, int> index;
  for (int i = 0; i < other; ++i) index[c.speakers[static_cast<std::size_t>(i)]] = i;

  long otherUtts = 0, otherTrainUtts = 0, unknownUtts = 0;
  std::map<Split, std::pair<std::unordered_map<std::string, long>, long>> unseen;  // names, utterances
  for (std::size_t d = 0; d < names.size(); ++d) {
    Dialogue& dia = c.dialogues[d];
    for (std::size_t u = 0; u < dia.utterances.size(); ++u) {
      const std::string& n = u < canon[d].size() ? canon[d][u] : std::string();
      auto it = n.empty() ? index.end() : index.find(n);
      dia.utterances[u].speaker = it == index.end() ? other : it->second;
      if (n.empty()) { ++unknownUtts; continue; }
      if (it == index.end()) { ++otherUtts; otherTrainUtts += dia.split == Split::Train; }
      if (dia.split != Split::Train && !trainCount.count(n)) {
        ++unseen[dia.split].first[n];
        ++unseen[dia.split].second;
      }
    }
  }
  long otherNames = 0;
  for (const auto& [n, k] : allCount) otherNames += !index.count(n);
  c.speakerSource = "names";
  c.problems.push_back("speakers: " + plural(static_cast<long>(allCount.size()), "distinct name") + " -> " +
                       std::to_string(other + 1) + " identities" +
                       " (the main six, " + std::to_string(other - 6) + " more with at least " +
                       std::to_string(o.minSpeakerUtterances) + " training utterances, \"other\"); " +
                       plural(otherNames, "name") + " (" + plural(otherUtts, "utterance") + ", " +
                       std::to_string(otherTrainUtts) + " in training) mapped to \"other\"");
  for (const auto& [split, u] : unseen)
    c.problems.push_back(std::string(splitName(split)) + ": " + plural(static_cast<long>(u.first.size()), "speaker") +
                         " (" + plural(u.second, "utterance") + ") never " +
                         verb(static_cast<long>(u.first.size()), "appears", "appear") + " in training");
  if (unknownUtts > 0)
    c.problems.push_back(plural(unknownUtts, "utterance") + " without a CSV speaker name mapped to \"other\"");
}

}  // namespace

Corpus readMeldCsvFolder(const std::string& dir, const MeldOptions& options) {
  MeldFolder folder;
  loadFolder(dir, folder);
  Corpus c;
  c.name = "MELD (annotations only)";
  c.dataset = "meld";
  c.labels = meldLabels();
  c.problems = folder.problems;
  std::vector<std::vector<std::string>> names;
  int overflow = 0, seasonMismatch = 0;
  for (const auto& [key, d] : folder.dialogues) {
    Dialogue dia;
    dia.key = std::to_string(key);
    dia.split = d.split;
    dia.season = d.rows.front()->season;
    dia.episode = d.rows.front()->episode;
    std::vector<std::string> n;
    for (const MeldRow* r : d.rows) {
      if (r->season != dia.season || r->episode != dia.episode) ++seasonMismatch;
      Utterance u;
      u.label = r->label;
      u.utteranceId = r->utteranceId;
      u.transcript = r->utterance;
      u.startSeconds = r->startSeconds;
      u.endSeconds = r->endSeconds;
      dia.utterances.push_back(std::move(u));
      n.push_back(r->speaker);
    }
    const std::vector<int> parties = partiesOf(n, overflow);
    for (std::size_t i = 0; i < parties.size(); ++i) dia.utterances[i].party = parties[i];
    names.push_back(std::move(n));
    c.dialogues.push_back(std::move(dia));
  }
  if (seasonMismatch > 0)
    c.problems.push_back(plural(seasonMismatch, "utterance") + " " + verb(seasonMismatch, "disagrees", "disagree") + " with their dialogue's first utterance on "
                         "season/episode; the dialogue keeps the first's");
  if (overflow > 0)
    c.problems.push_back(plural(overflow, "utterance") + " by a 10th or later speaker of a dialogue " +
                         verb(overflow, "takes", "take") + " party 9");
  assignSpeakers(c, names, options);
  c.reindexRows();
  return c;
}

void attachMeldCsv(Corpus& corpus, const std::string& csvDir, const MeldOptions& options) {
  MeldFolder folder;
  loadFolder(csvDir, folder);
  corpus.problems.insert(corpus.problems.end(), folder.problems.begin(), folder.problems.end());
  std::vector<std::vector<std::string>> names(corpus.dialogues.size());
  std::vector<bool> used;
  std::map<int, bool> matched;
  long joinedDialogues = 0, joinedUtts = 0, labelDiff = 0, partyDiff = 0, textDiff = 0, splitDiff = 0;
  std::vector<std::string> failures;
  int overflow = 0;
  for (std::size_t d = 0; d < corpus.dialogues.size(); ++d) {
    Dialogue& dia = corpus.dialogues[d];
    const int key = detail::meldKeyNumber(dia.key);
    auto it = key < 0 ? folder.dialogues.end() : folder.dialogues.find(key);
    if (it == folder.dialogues.end()) {
      failures.push_back("dialogue " + dia.key + ": no such dialogue in the CSVs");
      continue;
    }
    const CsvDialogue& csv = it->second;
    matched[key] = true;
    if (csv.rows.size() != dia.utterances.size()) {
      failures.push_back("dialogue " + dia.key + ": " + std::to_string(dia.utterances.size()) +
                         " utterances, the CSV has " + std::to_string(csv.rows.size()));
      continue;
    }
    splitDiff += (dia.split == Split::Test) != (csv.split == Split::Test);
    std::vector<std::string>& n = names[d];
    for (std::size_t i = 0; i < csv.rows.size(); ++i) {
      const MeldRow& r = *csv.rows[i];
      Utterance& u = dia.utterances[i];
      labelDiff += u.label != r.label;
      if (!u.transcript.empty() && repairCp1252Mojibake(u.transcript) != r.utterance) ++textDiff;
      u.transcript = r.utterance;
      u.utteranceId = r.utteranceId;
      u.startSeconds = r.startSeconds;
      u.endSeconds = r.endSeconds;
      n.push_back(r.speaker);
    }
    const std::vector<int> parties = partiesOf(n, overflow);
    for (std::size_t i = 0; i < parties.size(); ++i) partyDiff += dia.utterances[i].party != parties[i];
    dia.season = csv.rows.front()->season;
    dia.episode = csv.rows.front()->episode;
    ++joinedDialogues;
    joinedUtts += static_cast<long>(csv.rows.size());
  }
  auto& p = corpus.problems;
  p.push_back("MELD CSVs joined: " + std::to_string(joinedDialogues) + " of " +
              plural(static_cast<long>(corpus.dialogues.size()), "dialogue") + ", " +
              plural(joinedUtts, "utterance") + (failures.empty() ? "" : "; " + std::to_string(failures.size()) +
                                                                            " dialogue(s) not joined (listed below)"));
  for (std::size_t i = 0; i < failures.size() && i < 10; ++i) p.push_back("not joined: " + failures[i]);
  if (failures.size() > 10) p.push_back("not joined: " + std::to_string(failures.size() - 10) + " more dialogues");
  const long unused = static_cast<long>(folder.dialogues.size() - matched.size());
  if (unused > 0) p.push_back(plural(unused, "CSV dialogue") + " " + verb(unused, "has", "have") + " no counterpart in the corpus");
  if (labelDiff > 0)
    p.push_back(plural(labelDiff, "joined utterance") + " " + verb(labelDiff, "has", "have") + " another label in the CSV; the corpus's labels are kept");
  if (partyDiff > 0)
    p.push_back(plural(partyDiff, "joined utterance") + " " + verb(partyDiff, "has", "have") +
                " another within-dialogue party than the CSV's names give; the corpus's parties are kept");
  if (textDiff > 0)
    p.push_back(plural(textDiff, "transcript") + " " + verb(textDiff, "differs", "differ") + " from the CSV's beyond the cp1252 mojibake; the CSV's are kept");
  if (splitDiff > 0)
    p.push_back(plural(splitDiff, "joined dialogue") + " in the test split of one source only (corpus or CSVs); "
                "the corpus's splits are kept");
  if (joinedDialogues == 0) {
    p.push_back("no dialogue could be joined with the MELD CSVs: speakers stay as they were (" +
                corpus.speakerSource + ")");
    return;
  }
  assignSpeakers(corpus, names, options);
}

}  // namespace mlsan::data
