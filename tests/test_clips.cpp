// SPDX-License-Identifier: GPL-3.0-or-later
// MELD.Raw clips: linking utterances to dia{D}_utt{U}.mp4 in a folder of fake clips.
#include <gtest/gtest.h>

#include <chrono>

#include "meld_fixtures.h"
#include "mlsan/data/clips.h"
#include "mlsan/data/meld_csv.h"

using namespace mlsan::data;
using meld_fixtures::TempDir;
using meld_fixtures::anyProblemContains;

namespace {

// The first bytes of a small MP4 file: an 'ftyp' box (isom) followed by a 'free' box.
std::string fakeMp4() {
  std::string s("\x00\x00\x00\x18" "ftypisom\x00\x00\x02\x00" "isommp41", 24);
  s += std::string("\x00\x00\x00\x08" "free", 8);
  return s;
}

// A corpus with MultiEMO's keys: train dialogue 0 (utterances 0, 1, 3), dev dialogue 0 merged
// into Train as key 1039, test dialogue 2 as key 1155.
Corpus smallCorpus() {
  Corpus c;
  c.dataset = "meld";
  c.labels = meldLabels();
  c.speakers = {"party 1"};
  auto add = [&c](const std::string& key, Split split, std::vector<int> ids) {
    Dialogue d;
    d.key = key;
    d.split = split;
    for (int id : ids) {
      Utterance u;
      u.label = 0;
      u.utteranceId = id;
      d.utterances.push_back(u);
    }
    c.dialogues.push_back(d);
  };
  add("0", Split::Train, {0, 1, 3});
  add("1039", Split::Train, {0, 1});
  add("1155", Split::Test, {0, 1, 2});
  c.reindexRows();
  return c;
}

}  // namespace

TEST(ClipHeader, Mp4BoxCheck) {
  std::string why;
  const std::string ok = fakeMp4();
  auto head = [](const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); };
  EXPECT_TRUE(looksLikeMp4(head(ok), 16, ok.size(), why)) << why;
  const std::string mdat("\x00\x00\x00\x00mdat", 8);  // size 0: to the end of the file
  EXPECT_TRUE(looksLikeMp4(head(mdat), 8, 1000, why)) << why;
  const std::string big("\x00\x00\x00\x01mdat\x00\x00\x00\x00\x00\x01\x00\x00", 16);  // 64-bit size 65536
  EXPECT_TRUE(looksLikeMp4(head(big), 16, 70000, why)) << why;
  EXPECT_FALSE(looksLikeMp4(head(big), 16, 1000, why));  // runs past the end: truncated
  EXPECT_NE(why.find("truncated"), std::string::npos);
  const std::string text = "hello, I am not a video at all";
  EXPECT_FALSE(looksLikeMp4(head(text), 16, text.size(), why));
  EXPECT_FALSE(looksLikeMp4(head(ok), 4, ok.size(), why));
  const std::string tiny("\x00\x00\x00\x04" "ftyp", 8);
  EXPECT_FALSE(looksLikeMp4(head(tiny), 8, 100, why));
}

TEST(ClipLink, FoundMissingAndUnreadable) {
  TempDir dir;
  const std::string mp4 = fakeMp4();
  dir.write("train_splits/dia0_utt0.mp4", mp4);
  dir.write("train_splits/dia0_utt1.mp4", "");                          // empty
  dir.write("train_splits/dia0_utt3.mp4", "subtitles, not a video\n");  // text named .mp4
  dir.write("train_splits/._dia0_utt2.mp4", mp4);                       // AppleDouble: ignored
  dir.write("dev_splits_complete/dia0_utt0.mp4", mp4);
  dir.write("dev_splits_complete/DIA0_UTT1.MP4", mp4);  // names match case-insensitively
  dir.write("output_repeated_splits_test/dia2_utt0.mp4", mp4);
  dir.write("output_repeated_splits_test/dia2_utt2.mp4", mp4);
  dir.write("output_repeated_splits_test/dia1155_utt1.mp4", mp4);  // the key is not the id
  Corpus c = smallCorpus();
  c.dialogues[0].utterances[0].clipPath = "stale";
  const ClipReport r = linkMeldClips(c, dir.str());
  EXPECT_EQ(r.found, 5);
  EXPECT_EQ(r.unreadable, 2);
  EXPECT_EQ(r.missing, 1);
  EXPECT_EQ(r.unknownId, 0);
  EXPECT_EQ(c.dialogues[0].utterances[0].clipPath, (dir.path() / "train_splits/dia0_utt0.mp4").string());
  EXPECT_EQ(c.dialogues[0].utterances[1].clipPath, "");
  EXPECT_EQ(c.dialogues[1].utterances[0].clipPath, (dir.path() / "dev_splits_complete/dia0_utt0.mp4").string());
  EXPECT_EQ(c.dialogues[2].utterances[2].clipPath,
            (dir.path() / "output_repeated_splits_test/dia2_utt2.mp4").string());
  EXPECT_EQ(c.dialogues[1].utterances[1].clipPath, (dir.path() / "dev_splits_complete/DIA0_UTT1.MP4").string());
  EXPECT_EQ(c.dialogues[2].utterances[1].clipPath, "");
  EXPECT_EQ(r.firstMissing, (std::vector<std::string>{"output_repeated_splits_test/dia2_utt1.mp4"}));
  ASSERT_EQ(r.firstUnreadable.size(), 2u);
  EXPECT_NE(r.firstUnreadable[0].find("dia0_utt1.mp4 (empty file)"), std::string::npos);
  EXPECT_NE(r.firstUnreadable[1].find("dia0_utt3.mp4 (not an MP4 file"), std::string::npos);
  EXPECT_TRUE(anyProblemContains(c, "clips: 5 found, 1 missing, 2 unreadable"));
  EXPECT_TRUE(anyProblemContains(c, "clips missing: output_repeated_splits_test/dia2_utt1.mp4"));
  EXPECT_TRUE(anyProblemContains(c, "clips unreadable:", "empty file"));
}

TEST(ClipLink, MissingFolderAndSubfolderAreClearProblems) {
  TempDir dir;
  Corpus c = smallCorpus();
  ClipReport r = linkMeldClips(c, dir.str() + "/nowhere");
  EXPECT_EQ(r.found, 0);
  EXPECT_EQ(r.missing, 8);
  EXPECT_TRUE(anyProblemContains(c, "nowhere does not exist"));

  dir.write("train_splits/dia0_utt0.mp4", fakeMp4());
  dir.write("output_repeated_splits_test/dia2_utt0.mp4", fakeMp4());
  Corpus c2 = smallCorpus();
  r = linkMeldClips(c2, dir.str());
  EXPECT_EQ(r.found, 2);
  EXPECT_EQ(r.missing, 6);
  EXPECT_TRUE(anyProblemContains(c2, "subfolder dev_splits_complete is missing", "(2 utterances have no clip)"));
  EXPECT_FALSE(anyProblemContains(c2, "subfolder train_splits"));
}

TEST(ClipLink, UtterancesWithoutIdsOrMeldKeys) {
  TempDir dir;
  dir.write("train_splits/dia0_utt0.mp4", fakeMp4());
  Corpus c = smallCorpus();
  c.dialogues[0].utterances[1].utteranceId = -1;
  c.dialogues[2].key = "Ses01F_impro01";
  const ClipReport r = linkMeldClips(c, dir.str());
  EXPECT_EQ(r.unknownId, 4);
  EXPECT_EQ(r.found, 1);
  EXPECT_TRUE(anyProblemContains(c, "4 utterances could not be named", "Ses01F_impro01"));
}

TEST(ClipLink, FullSizedFolderIsFast) {
  // All 13,708 utterances of the real CSV corpus, each with a fake clip: one listing per
  // subfolder and one 16-byte read per clip.
  TempDir dir;
  Corpus c = readMeldCsvFolder(meld_fixtures::realMeldDir());
  const std::string mp4 = fakeMp4();
  const char* sub[3] = {"train_splits", "dev_splits_complete", "output_repeated_splits_test"};
  // One real file, hard-linked under every clip name (quick to create).
  const std::string original = dir.write("original.mp4", mp4);
  for (const char* s : sub) std::filesystem::create_directories(dir.path() / s);
  long written = 0;
  for (const auto& d : c.dialogues) {
    const int key = std::stoi(d.key);
    const int f = key < 1039 ? 0 : key < 1153 ? 1 : 2;
    const int id = f == 0 ? key : f == 1 ? key - 1039 : key - 1153;
    for (const auto& u : d.utterances)
      if (++written % 1000 != 0)  // every 1000th clip missing
        std::filesystem::create_hard_link(
            original, dir.path() / sub[f] / ("dia" + std::to_string(id) + "_utt" + std::to_string(u.utteranceId) + ".mp4"));
  }
  const auto t0 = std::chrono::steady_clock::now();
  const ClipReport r = linkMeldClips(c, dir.str());
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[ timing   ] linkMeldClips over %ld utterances: %.1f ms\n", written, ms);
  EXPECT_EQ(r.missing, 13);
  EXPECT_EQ(r.found, 13708 - 13);
  EXPECT_EQ(r.unreadable, 0);
  EXPECT_LT(ms, 2000.0);
}
