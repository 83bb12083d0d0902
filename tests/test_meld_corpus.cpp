// SPDX-License-Identifier: GPL-3.0-or-later
// MELD corpora from the CSVs: the annotation-only corpus (real files, both encodings),
// global speaker identities, and the join onto a MultiEMO-style feature corpus.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <random>

#include "meld_fixtures.h"
#include "mlsan/data/meld_csv.h"

using namespace mlsan::data;
using meld_fixtures::TempDir;
using meld_fixtures::anyProblemContains;

namespace {

struct SplitCount {
  long dialogues = 0, utterances = 0;
};
std::map<Split, SplitCount> countSplits(const Corpus& c) {
  std::map<Split, SplitCount> m;
  for (const auto& d : c.dialogues) {
    ++m[d.split].dialogues;
    m[d.split].utterances += static_cast<long>(d.size());
  }
  return m;
}

const Dialogue* findDialogue(const Corpus& c, const std::string& key) {
  for (const auto& d : c.dialogues)
    if (d.key == key) return &d;
  return nullptr;
}

int speakerIndex(const Corpus& c, const std::string& name) {
  for (std::size_t i = 0; i < c.speakers.size(); ++i)
    if (c.speakers[i] == name) return static_cast<int>(i);
  return -1;
}

// What MultiEMO's pickles give: dev merged into Train, small features, speakers only as
// within-dialogue parties, transcripts with the old mojibake, no metadata.
Corpus asMultiEmoCorpus(Corpus c) {
  c.name = "MELD (MultiEMO features)";
  c.dimText = 4; c.dimAudio = 3; c.dimVisual = 2;
  const std::size_t n = c.numUtterances();
  c.text.assign(n * 4, 0.5f); c.audio.assign(n * 3, 0.25f); c.visual.assign(n * 2, 1.0f);
  c.speakers.clear();
  for (int i = 1; i <= 9; ++i) c.speakers.push_back("party " + std::to_string(i));
  c.speakerSource = "party";
  c.problems.clear();
  for (auto& d : c.dialogues) {
    if (d.split == Split::Dev) d.split = Split::Train;
    d.season = d.episode = -1;
    for (auto& u : d.utterances) {
      u.speaker = u.party;
      u.utteranceId = -1;
      u.startSeconds = u.endSeconds = -1.0;
      std::string t;  // ’ back to the cp1252 mojibake, as the pickles have it
      for (std::size_t i = 0; i < u.transcript.size(); ++i)
        if (u.transcript.compare(i, 3, "\xE2\x80\x99") == 0) { t += "\xC2\x92"; i += 2; } else t += u.transcript[i];
      u.transcript = t;
    }
  }
  c.reindexRows();
  return c;
}

}  // namespace

TEST(MeldCorpus, SmallFolderKeysOrderPartiesAndSpeakers) {
  TempDir dir;
  meld_fixtures::writeSmallMeldFolder(dir);
  MeldOptions o;
  o.minSpeakerUtterances = 2;
  const Corpus c = readMeldCsvFolder(dir.str(), o);
  EXPECT_NO_THROW(c.validate());
  EXPECT_EQ(c.dataset, "meld");
  EXPECT_EQ(c.speakerSource, "names");
  EXPECT_EQ(c.dimText, 0);
  std::vector<std::string> keys;
  for (const auto& d : c.dialogues) keys.push_back(d.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"0", "1", "2", "1039", "1153", "1154"}));
  EXPECT_EQ(findDialogue(c, "1039")->split, Split::Dev);
  EXPECT_EQ(findDialogue(c, "1154")->split, Split::Test);
  // Dialogue 1: rows 0, 3, 1 in the file -> ordered 0, 1, 3 (the gap kept).
  const Dialogue& d1 = *findDialogue(c, "1");
  ASSERT_EQ(d1.size(), 3u);
  EXPECT_EQ(d1.utterances[0].utteranceId, 0);
  EXPECT_EQ(d1.utterances[1].utteranceId, 1);
  EXPECT_EQ(d1.utterances[1].transcript, "Line one\nline two");
  EXPECT_EQ(d1.utterances[2].utteranceId, 3);
  EXPECT_EQ(d1.season, 3);
  EXPECT_EQ(d1.episode, 7);
  EXPECT_DOUBLE_EQ(d1.utterances[2].endSeconds, 2.5);
  // Speakers: the main six, then Joey/Ross-level speakers with >= 2 training utterances
  // (none besides the six here), then "other".
  EXPECT_EQ(c.speakers, (std::vector<std::string>{"Chandler", "Joey", "Monica", "Phoebe", "Rachel", "Ross", "other"}));
  const Dialogue& d0 = *findDialogue(c, "0");
  EXPECT_EQ(d0.utterances[0].speaker, speakerIndex(c, "Ross"));
  EXPECT_EQ(d0.utterances[1].speaker, speakerIndex(c, "Rachel"));
  EXPECT_EQ(d0.utterances[0].party, 0);
  EXPECT_EQ(d0.utterances[1].party, 1);
  EXPECT_EQ(d0.utterances[2].party, 0);
  EXPECT_EQ(d1.utterances[2].speaker, speakerIndex(c, "other"));       // Gunther: 1 training utterance
  EXPECT_EQ(findDialogue(c, "2")->utterances[0].speaker, speakerIndex(c, "Ross"));  // "Ross/Mover"
  EXPECT_EQ(findDialogue(c, "1154")->utterances[1].speaker, speakerIndex(c, "other"));
  EXPECT_TRUE(anyProblemContains(c, "test: 1 speaker (1 utterance) never appears in training"));
  EXPECT_TRUE(anyProblemContains(c, "mapped to \"other\""));
}

TEST(MeldCorpus, FrequentSpeakersByCountThenOther) {
  TempDir dir;
  meld_fixtures::writeSmallMeldFolder(dir);
  MeldOptions o;
  o.minSpeakerUtterances = 1;
  const Corpus c = readMeldCsvFolder(dir.str(), o);
  // Gunther has one training utterance; Ross/Mover counts as Ross; Stranger is test-only.
  EXPECT_EQ(c.speakers,
            (std::vector<std::string>{"Chandler", "Joey", "Monica", "Phoebe", "Rachel", "Ross", "Gunther", "other"}));
}

TEST(MeldCorpus, MissingFileIsAnErrorNamingIt) {
  TempDir dir;
  meld_fixtures::writeSmallMeldFolder(dir);
  std::filesystem::remove(dir.path() / "dev_sent_emo.csv");
  try {
    readMeldCsvFolder(dir.str());
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("dev_sent_emo.csv"), std::string::npos) << e.what();
  }
}

TEST(MeldCorpus, DuplicateIdsAreDroppedAndDialogueIdsOutOfRangeRejected) {
  TempDir dir;
  meld_fixtures::writeSmallMeldFolder(dir);
  dir.write("dev_sent_emo.csv", std::string(meld_fixtures::kHeader) + meld_fixtures::row(1, "a", "Ross", "joy", 0, 0) +
                                    meld_fixtures::row(2, "b", "Ross", "joy", 0, 0));
  const Corpus c = readMeldCsvFolder(dir.str());
  EXPECT_EQ(findDialogue(c, "1039")->size(), 1u);
  EXPECT_TRUE(anyProblemContains(c, "dev_sent_emo.csv", "repeat a Dialogue_ID/Utterance_ID"));
  dir.write("dev_sent_emo.csv", std::string(meld_fixtures::kHeader) + meld_fixtures::row(1, "a", "Ross", "joy", 114, 0));
  EXPECT_THROW(readMeldCsvFolder(dir.str()), std::runtime_error);
}

// The real MELD CSVs, current (UTF-8) and pre-2020 (cp1252 mojibake): the counts of
// tests/data/README.md, and identical repaired text.
class MeldReal : public ::testing::TestWithParam<const char*> {};

TEST_P(MeldReal, CountsLabelsAndSpeakers) {
  const std::string dir = std::string(MLSAN_TEST_DATA_DIR) + "/" + GetParam();
  const auto t0 = std::chrono::steady_clock::now();
  const Corpus c = readMeldCsvFolder(dir);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[ timing   ] %s: three CSVs read into a corpus in %.1f ms\n", GetParam(), ms);
  EXPECT_NO_THROW(c.validate());
  auto n = countSplits(c);
  EXPECT_EQ(n[Split::Train].utterances, 9989);
  EXPECT_EQ(n[Split::Train].dialogues, 1038);
  EXPECT_EQ(n[Split::Dev].utterances, 1109);
  EXPECT_EQ(n[Split::Dev].dialogues, 114);
  EXPECT_EQ(n[Split::Test].utterances, 2610);
  EXPECT_EQ(n[Split::Test].dialogues, 280);
  std::map<std::string, long> labels;
  for (const auto& d : c.dialogues)
    if (d.split == Split::Train)
      for (const auto& u : d.utterances) ++labels[c.labels.labels[static_cast<std::size_t>(u.label)]];
  EXPECT_EQ(labels, (std::map<std::string, long>{{"neutral", 4710}, {"joy", 1743}, {"surprise", 1205}, {"anger", 1109},
                                                 {"sadness", 683}, {"disgust", 271}, {"fear", 268}}));
  EXPECT_EQ(findDialogue(c, "60"), nullptr);  // train Dialogue_ID 60 is missing
  const Dialogue& d1 = *findDialogue(c, "1");
  ASSERT_EQ(d1.size(), 7u);  // utterance ids 0-5 then 8
  EXPECT_EQ(d1.utterances.back().utteranceId, 8);
  // Speakers: 301 distinct names once the role names fold ("Joey/Drake" -> Joey), 23 with
  // at least 20 training utterances, the rest in "other"; 31 test speakers never in train.
  ASSERT_EQ(c.speakers.size(), 24u);
  EXPECT_EQ(std::vector<std::string>(c.speakers.begin(), c.speakers.begin() + 7),
            (std::vector<std::string>{"Chandler", "Joey", "Monica", "Phoebe", "Rachel", "Ross", "Janice"}));
  EXPECT_EQ(c.speakers.back(), "other");
  EXPECT_TRUE(anyProblemContains(c, "speakers: 301 distinct names -> 24 identities"));
  EXPECT_TRUE(anyProblemContains(c, "test: 31 speakers (109 utterances) never appear in training"));
  EXPECT_EQ(c.maxParties(), 9);
  // Mojibake repaired in the old release only; the odd times noted, not dropped.
  EXPECT_EQ(anyProblemContains(c, "mojibake", "repaired in"), std::string(GetParam()) != "meld");
  EXPECT_TRUE(anyProblemContains(c, "(dialogue 38, utterance 4): lasts 304.940 s; kept"));
  EXPECT_TRUE(anyProblemContains(c, "(dialogue 155, utterance 3): zero duration; kept"));
  EXPECT_TRUE(anyProblemContains(c, "(dialogue 187, utterance 2): EndTime '00:05:11,82'", "read as .820 s"));
  // Times: train 437/2 ends at 00:06:47,28.
  EXPECT_NEAR(findDialogue(c, "437")->utterances[2].endSeconds, 407.28, 1e-9);
  EXPECT_EQ(findDialogue(c, "1153")->season, 3);  // test dialogue 0: season 3, episode 19
  EXPECT_EQ(findDialogue(c, "1153")->episode, 19);
}

INSTANTIATE_TEST_SUITE_P(MeldBothReleases, MeldReal, ::testing::Values("meld", "meld-pre2020-cp1252"));

TEST(MeldRealEncodings, RepairedTextAndNamesAgreeAcrossReleases) {
  const Corpus a = readMeldCsvFolder(meld_fixtures::realMeldDir());
  const Corpus b = readMeldCsvFolder(meld_fixtures::realMeldPre2020Dir());
  ASSERT_EQ(a.dialogues.size(), b.dialogues.size());
  EXPECT_EQ(a.speakers, b.speakers);
  long rows = 0, differing = 0;
  for (std::size_t d = 0; d < a.dialogues.size(); ++d) {
    ASSERT_EQ(a.dialogues[d].key, b.dialogues[d].key);
    ASSERT_EQ(a.dialogues[d].size(), b.dialogues[d].size());
    for (std::size_t i = 0; i < a.dialogues[d].size(); ++i) {
      const Utterance& x = a.dialogues[d].utterances[i];
      const Utterance& y = b.dialogues[d].utterances[i];
      ++rows;
      differing += x.transcript != y.transcript;
      EXPECT_EQ(x.transcript, y.transcript) << "dialogue " << a.dialogues[d].key << " utterance " << x.utteranceId;
      EXPECT_EQ(x.speaker, y.speaker);
      EXPECT_EQ(x.party, y.party);
      EXPECT_EQ(x.label, y.label);
      EXPECT_EQ(x.startSeconds, y.startSeconds);
    }
  }
  EXPECT_EQ(rows, 13708);
  EXPECT_EQ(differing, 0);
}

TEST(MeldRealEncodings, TheNonAsciiNameIsOneSpeakerInBothReleases) {
  // "Richard’s Date" (3 training utterances, mojibaked in the old files): with k = 3 it gets
  // its own identity, the same in both releases.
  MeldOptions o;
  o.minSpeakerUtterances = 3;
  const std::string date = "Richard\xE2\x80\x99s Date";
  for (const std::string& dir : {meld_fixtures::realMeldDir(), meld_fixtures::realMeldPre2020Dir()}) {
    const Corpus c = readMeldCsvFolder(dir, o);
    const int s = speakerIndex(c, date);
    ASSERT_GE(s, 6) << dir;
    const Dialogue& d = *findDialogue(c, "438");
    long n = 0;
    for (const auto& u : d.utterances) n += u.speaker == s;
    EXPECT_EQ(n, 3) << dir;
    EXPECT_EQ(d.utterances[2].speaker, s);
  }
}

TEST(MeldAttach, NamesTimesAndTextComeBackOntoAMultiEmoCorpus) {
  TempDir dir;
  meld_fixtures::writeSmallMeldFolder(dir);
  MeldOptions o;
  o.minSpeakerUtterances = 1;
  const Corpus csv = readMeldCsvFolder(dir.str(), o);
  Corpus c = asMultiEmoCorpus(csv);
  const std::string sigBefore = c.signature();
  attachMeldCsv(c, dir.str(), o);
  EXPECT_NO_THROW(c.validate());
  EXPECT_EQ(c.speakerSource, "names");
  // Training now includes MELD dev: Phoebe's and Monica's dev lines count, Gunther still 1.
  EXPECT_EQ(c.speakers, csv.speakers);
  ASSERT_EQ(c.dialogues.size(), csv.dialogues.size());
  for (std::size_t d = 0; d < c.dialogues.size(); ++d) {
    const Dialogue& x = c.dialogues[d];
    const Dialogue& y = csv.dialogues[d];
    EXPECT_EQ(x.split, y.split == Split::Dev ? Split::Train : y.split);  // the corpus's split kept
    EXPECT_EQ(x.season, y.season);
    for (std::size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(x.utterances[i].speaker, y.utterances[i].speaker);
      EXPECT_EQ(x.utterances[i].party, y.utterances[i].party);
      EXPECT_EQ(x.utterances[i].utteranceId, y.utterances[i].utteranceId);
      EXPECT_EQ(x.utterances[i].transcript, y.utterances[i].transcript);
      EXPECT_EQ(x.utterances[i].startSeconds, y.utterances[i].startSeconds);
    }
  }
  EXPECT_EQ(c.text.size(), c.numUtterances() * 4);  // features untouched
  EXPECT_NE(c.signature(), sigBefore);                // speakers changed
  EXPECT_TRUE(anyProblemContains(c, "MELD CSVs joined: 6 of 6 dialogues, 13 utterances"));
  EXPECT_FALSE(anyProblemContains(c, "not joined"));
  EXPECT_FALSE(anyProblemContains(c, "another label"));
}

TEST(MeldAttach, MismatchedDialoguesAreReportedAndSkipped) {
  TempDir dir;
  meld_fixtures::writeSmallMeldFolder(dir);
  Corpus c = asMultiEmoCorpus(readMeldCsvFolder(dir.str()));
  // Dialogue "1" loses an utterance, "2" gets an unknown key, a label and a text change.
  c.dialogues[1].utterances.pop_back();
  c.dialogues[2].key = "9999";
  c.dialogues[0].utterances[1].label = (c.dialogues[0].utterances[1].label + 1) % 7;
  c.dialogues[0].utterances[0].transcript = "something else";
  c.text.resize(c.numUtterances() * 4);
  c.audio.resize(c.numUtterances() * 3);
  c.visual.resize(c.numUtterances() * 2);
  c.reindexRows();
  const int label01 = c.dialogues[0].utterances[1].label;
  attachMeldCsv(c, dir.str());
  EXPECT_NO_THROW(c.validate());
  EXPECT_TRUE(anyProblemContains(c, "MELD CSVs joined: 4 of 6 dialogues", "2 dialogue(s) not joined"));
  EXPECT_TRUE(anyProblemContains(c, "not joined: dialogue 1: 2 utterances, the CSV has 3"));
  EXPECT_TRUE(anyProblemContains(c, "not joined: dialogue 9999: no such dialogue"));
  EXPECT_TRUE(anyProblemContains(c, "1 CSV dialogue has no counterpart"));
  EXPECT_TRUE(anyProblemContains(c, "1 joined utterance has another label"));
  EXPECT_TRUE(anyProblemContains(c, "1 transcript differs"));
  EXPECT_EQ(c.dialogues[0].utterances[1].label, label01);  // the corpus's label kept
  const int other = speakerIndex(c, "other");
  for (const auto& u : c.dialogues[1].utterances) {
    EXPECT_EQ(u.speaker, other);  // unjoined: no name
    EXPECT_EQ(u.utteranceId, -1);
  }
  EXPECT_EQ(c.dialogues[0].utterances[0].speaker, speakerIndex(c, "Ross"));
  EXPECT_TRUE(anyProblemContains(c, "utterances without a CSV speaker name"));
}

TEST(MeldAttach, NothingJoinedKeepsThePartySpeakers) {
  TempDir dir;
  meld_fixtures::writeSmallMeldFolder(dir);
  Corpus c = asMultiEmoCorpus(readMeldCsvFolder(dir.str()));
  for (auto& d : c.dialogues) d.key = "x" + d.key;
  attachMeldCsv(c, dir.str());
  EXPECT_EQ(c.speakerSource, "party");
  EXPECT_EQ(c.speakers.size(), 9u);
  EXPECT_TRUE(anyProblemContains(c, "no dialogue could be joined"));
  EXPECT_NO_THROW(c.validate());
}

TEST(MeldAttach, RealCsvsOntoTheMergedCorpus) {
  // The real corpus reshaped as MultiEMO's pickles hold it, joined back with the other
  // release's CSVs: everything joins, training = train + dev (26 frequent speakers).
  Corpus c = asMultiEmoCorpus(readMeldCsvFolder(meld_fixtures::realMeldPre2020Dir()));
  const auto t0 = std::chrono::steady_clock::now();
  attachMeldCsv(c, meld_fixtures::realMeldDir());
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[ timing   ] attachMeldCsv on 13,708 utterances: %.1f ms\n", ms);
  EXPECT_NO_THROW(c.validate());
  EXPECT_TRUE(anyProblemContains(c, "MELD CSVs joined: 1432 of 1432 dialogues, 13708 utterances"));
  EXPECT_FALSE(anyProblemContains(c, "transcript"));   // mojibake repaired = the current text
  EXPECT_FALSE(anyProblemContains(c, "another"));      // labels and parties agree
  EXPECT_EQ(c.speakers.size(), 27u);
  EXPECT_TRUE(anyProblemContains(c, "test: 30 speakers (108 utterances) never appear in training"));
  auto n = countSplits(c);
  EXPECT_EQ(n[Split::Train].dialogues, 1152);
  EXPECT_EQ(n[Split::Test].utterances, 2610);
}

// Mutated copies of a small folder: reading and joining either work (and the corpus
// validates) or throw std::runtime_error naming a file.
TEST(MeldCorpusFuzz, MutatedFoldersNeverCrash) {
  TempDir dir;
  meld_fixtures::writeSmallMeldFolder(dir);
  const std::string train = meld_fixtures::readAll((dir.path() / "train_sent_emo.csv").string());
  const Corpus base = asMultiEmoCorpus(readMeldCsvFolder(dir.str()));
  std::mt19937 rng(777);
  const char kSpecial[] = {'"', ',', '\n', '0', '9', '\xC2', '\x92', '\xFF'};
  int ok = 0, rejected = 0;
  for (int iter = 0; iter < 300; ++iter) {
    std::string s = train;
    for (int e = 0; e < 1 + static_cast<int>(rng() % 4); ++e) {
      const std::size_t at = rng() % s.size();
      if (rng() % 2) s[at] = kSpecial[rng() % sizeof kSpecial]; else s.erase(at, 1 + rng() % 5);
    }
    dir.write("train_sent_emo.csv", s);
    try {
      const Corpus c = readMeldCsvFolder(dir.str());
      EXPECT_NO_THROW(c.validate());
      Corpus joined = base;
      attachMeldCsv(joined, dir.str());
      EXPECT_NO_THROW(joined.validate());
      ++ok;
    } catch (const std::runtime_error& e) {
      ++rejected;
      EXPECT_NE(std::string(e.what()).find("_sent_emo.csv"), std::string::npos) << e.what();
    }
  }
  EXPECT_GT(ok, 0);
  EXPECT_GT(rejected, 0);
}
