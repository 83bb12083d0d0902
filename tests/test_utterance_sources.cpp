// SPDX-License-Identifier: GPL-3.0-or-later
// The inputs of `mlsan extract` that say where each utterance is (extract/utterance_sources.h):
// times in every accepted form, an utterance table with good and bad rows, and subtitles with
// speakers, broken blocks, CRLF and a byte-order mark. Bad rows are problems; the rest is kept.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "mlsan/extract/utterance_sources.h"

using namespace mlsan::extract;
namespace fs = std::filesystem;

namespace {
fs::path scratch(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("mlsan-sources-" + std::to_string(::getpid())) / name;
  fs::create_directories(d.parent_path());
  return d;
}
void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }
}  // namespace

TEST(UtteranceSources, Timestamps) {
  EXPECT_DOUBLE_EQ(parseTimestamp("12.5"), 12.5);
  EXPECT_DOUBLE_EQ(parseTimestamp(" 75 "), 75.0);
  EXPECT_DOUBLE_EQ(parseTimestamp("01:02.5"), 62.5);
  EXPECT_DOUBLE_EQ(parseTimestamp("00:01:02,500"), 62.5);
  EXPECT_DOUBLE_EQ(parseTimestamp("1:00:00.25"), 3600.25);
  for (const char* bad : {"", "-1", "1:60", "1:60:00", "a", "1.2.3", "1:2:3:4", "1,5:00"})
    EXPECT_THROW(parseTimestamp(bad), std::invalid_argument) << bad;
}

TEST(UtteranceSources, TableKeepsGoodRowsAndReportsBadOnes) {
  const fs::path csv = scratch("table/utterances.csv");
  write(csv,
        "Video,Start,End,Speaker,Transcript,Emotion,Dialogue\n"
        "ep1.mp4,00:00:01.000,00:00:03.500,Ross,\"Hi, Rachel.\",Joy,d1\n"
        "ep1.mp4,3.5,2,Rachel,Backwards,neutral,d1\n"
        "ep1.mp4,abc,5,Rachel,Bad time,neutral,d1\n"
        ",1,2,Joey,No video,neutral,d1\n"
        "clips/u7.mp4,,,,Whole file,,\n");
  const UtteranceSource s = readUtteranceTable(csv.string());
  ASSERT_EQ(s.utterances.size(), 2u);
  EXPECT_TRUE(s.hasEmotion);
  const auto& a = s.utterances[0];
  EXPECT_EQ(a.video, (csv.parent_path() / "ep1.mp4").string());
  EXPECT_DOUBLE_EQ(a.start, 1.0);
  EXPECT_DOUBLE_EQ(a.end, 3.5);
  EXPECT_EQ(a.speaker, "Ross");
  EXPECT_EQ(a.transcript, "Hi, Rachel.");
  EXPECT_EQ(a.emotion, "joy");
  EXPECT_EQ(a.dialogue, "d1");
  EXPECT_EQ(a.line, 2);
  const auto& whole = s.utterances[1];
  EXPECT_EQ(whole.video, (csv.parent_path() / "clips/u7.mp4").string());
  EXPECT_LT(whole.end, 0) << "no span: the whole file";
  EXPECT_EQ(whole.speaker, "unknown");
  EXPECT_EQ(whole.dialogue, whole.video);
  ASSERT_EQ(s.problems.size(), 3u);
  EXPECT_EQ(s.problems[0].utterance, "line 3");
  EXPECT_NE(s.problems[0].reason.find("span is empty"), std::string::npos) << s.problems[0].reason;
  EXPECT_NE(s.problems[1].reason.find("'abc' is not a time"), std::string::npos) << s.problems[1].reason;
  EXPECT_EQ(s.problems[2].reason, "no video");
  // A table without a required column names the file and the column.
  const fs::path noEnd = scratch("table/no_end.csv");
  write(noEnd, "video,start,speaker,transcript\nx.mp4,1,A,hi\n");
  try {
    readUtteranceTable(noEnd.string());
    FAIL() << "a table without 'end' was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no_end.csv: no column 'end'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(readUtteranceTable(scratch("table/missing.csv").string()), std::runtime_error);
}

TEST(UtteranceSources, SubtitlesWithSpeakersBrokenBlocksCrlfAndBom) {
  const std::string srt =
      "\xEF\xBB\xBF"
      "1\r\n00:00:01,000 --> 00:00:02,500\r\nROSS: We were on a break!\r\n\r\n"
      "2\r\n00:00:03,000 --> 00:00:04,000 X1:10 X2:20\r\n- Rachel: No,\r\nwe were not.\r\n\r\n"
      "3\r\n00:00:05,000 -> 00:00:06,000\r\nBroken arrow\r\n\r\n"
      "4\r\n00:00:08,000 --> 00:00:07,000\r\nBackwards\r\n\r\n"
      "5\r\n00:00:09,000 --> 00:00:10,000\r\nWait. What time is it?\r\n";
  const UtteranceSource s = parseSrt(srt, "/videos/ep1.mkv", "ep1.srt");
  ASSERT_EQ(s.utterances.size(), 3u);
  EXPECT_EQ(s.utterances[0].speaker, "ROSS");
  EXPECT_EQ(s.utterances[0].transcript, "We were on a break!");
  EXPECT_DOUBLE_EQ(s.utterances[0].start, 1.0);
  EXPECT_DOUBLE_EQ(s.utterances[0].end, 2.5);
  EXPECT_EQ(s.utterances[1].speaker, "Rachel");
  EXPECT_EQ(s.utterances[1].transcript, "No, we were not.");
  EXPECT_DOUBLE_EQ(s.utterances[1].end, 4.0);
  EXPECT_EQ(s.utterances[2].speaker, "unknown") << "'Wait. What time is it?' has no speaker";
  EXPECT_EQ(s.utterances[2].dialogue, "/videos/ep1.mkv");
  ASSERT_EQ(s.problems.size(), 2u);
  EXPECT_EQ(s.problems[0].utterance, "block 3");
  EXPECT_NE(s.problems[0].reason.find("no timing line"), std::string::npos) << s.problems[0].reason;
  EXPECT_EQ(s.problems[1].utterance, "block 4");
  EXPECT_NE(s.problems[1].reason.find("broken timing"), std::string::npos) << s.problems[1].reason;
  try {
    parseSrt("1\nnot a time --> either\nHello\n", "v.mp4", "bad.srt");
    FAIL() << "an SRT without a usable block was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.srt: no usable subtitle block (block 1: broken timing"), std::string::npos) << e.what();
  }
}
