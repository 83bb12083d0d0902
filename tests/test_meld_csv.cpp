// SPDX-License-Identifier: GPL-3.0-or-later
// MELD CSV reader: RFC-4180 parsing, text repair, timestamps, bad inputs, mutated files.
#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "meld_fixtures.h"
#include "mlsan/data/meld_csv.h"

using namespace mlsan::data;
using meld_fixtures::kHeader;
using meld_fixtures::row;
using meld_fixtures::TempDir;

namespace {

bool anyProblemContains(const std::vector<std::string>& problems, const std::string& a, const std::string& b = "") {
  for (const auto& p : problems)
    if (p.find(a) != std::string::npos && p.find(b) != std::string::npos) return true;
  return false;
}

// Runs `f`, expecting a std::runtime_error whose message contains every string of `parts`.
template <class F>
void expectError(F f, std::initializer_list<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << " / " << p;
  }
}

}  // namespace

TEST(MeldCsvParse, QuotedFieldsCommasDoubledQuotesAndNewlines) {
  const std::string csv = std::string(kHeader) + row(1, "Hi, \"you\", there", "Ross", "joy", 0, 0) +
                          row(2, "two\r\nlines", "Rachel", "Neutral", 0, 1) + row(3, "last", "Joey", "fear", 0, 2);
  const MeldCsv m = parseMeldCsv(csv, "x.csv");
  ASSERT_EQ(m.rows.size(), 3u);
  EXPECT_EQ(m.rows[0].utterance, "Hi, \"you\", there");
  EXPECT_EQ(m.rows[0].label, meldLabels().indexOf("joy"));
  EXPECT_EQ(m.rows[1].utterance, "two\nlines");  // CRLF inside a quoted field becomes LF
  EXPECT_EQ(m.rows[1].label, 0);                  // case-insensitive emotion
  EXPECT_EQ(m.rows[0].line, 2);
  EXPECT_EQ(m.rows[1].line, 3);
  EXPECT_EQ(m.rows[2].line, 5);  // the embedded line break counts
  EXPECT_EQ(m.rows[2].season, 3);
  EXPECT_EQ(m.rows[2].episode, 7);
  EXPECT_DOUBLE_EQ(m.rows[2].startSeconds, 1.0);
  EXPECT_DOUBLE_EQ(m.rows[2].endSeconds, 2.5);
  EXPECT_TRUE(m.problems.empty()) << m.problems.front();
}

TEST(MeldCsvParse, BomLfColumnsInAnyOrderExtraColumnsAndNoFinalNewline) {
  const std::string csv =
      "\xEF\xBB\xBF" "Extra,Dialogue_ID,Speaker,Utterance_ID,Emotion,Utterance,StartTime,EndTime,Season,Episode\n"
      "zzz,4,Monica,2,anger,\"I KNOW!\",\"0:00:10,100\",\"0:00:11,200\",1,2\n"
      "\n"
      "q,4,Chandler,3,joy,plain text,00:00:12,000,00:00:13,000,1,2";
  // The last record's unquoted timestamps contain commas: that is two more fields.
  EXPECT_THROW(parseMeldCsv(csv, "y.csv"), std::runtime_error);
  const std::string ok = csv.substr(0, csv.rfind('\n') + 1) + "q,4,Chandler,3,joy,plain text,\"00:00:12,000\",\"00:00:13,000\",1,2";
  const MeldCsv m = parseMeldCsv(ok, "y.csv");
  ASSERT_EQ(m.rows.size(), 2u);
  EXPECT_EQ(m.rows[0].speaker, "Monica");
  EXPECT_EQ(m.rows[0].dialogueId, 4);
  EXPECT_EQ(m.rows[0].utteranceId, 2);
  EXPECT_EQ(m.rows[0].srNo, -1);
  EXPECT_NEAR(m.rows[0].startSeconds, 10.1, 1e-9);
  EXPECT_EQ(m.rows[1].utterance, "plain text");
  EXPECT_EQ(m.rows[1].line, 4);
  EXPECT_NEAR(m.rows[1].endSeconds, 13.0, 1e-9);
}

TEST(MeldCsvParse, LoneCrRecordEndsAndTextAfterClosingQuote) {
  const std::string csv = "Utterance,Speaker,Emotion,Dialogue_ID,Utterance_ID\r\"a\"b,Ross,joy,0,0\r";
  const MeldCsv m = parseMeldCsv(csv, "z.csv");
  ASSERT_EQ(m.rows.size(), 1u);
  EXPECT_EQ(m.rows[0].utterance, "ab");
  EXPECT_EQ(m.rows[0].startSeconds, -1.0);
  EXPECT_TRUE(anyProblemContains(m.problems, "z.csv", "StartTime"));  // optional column noted
}

TEST(MeldCsvRepair, Cp1252MojibakeBecomesTheRealCharacters) {
  EXPECT_EQ(repairCp1252Mojibake("don\xC2\x92t"), "don\xE2\x80\x99t");                 // U+0092 -> ’
  EXPECT_EQ(repairCp1252Mojibake("wait\xC2\x85"), "wait\xE2\x80\xA6");                  // U+0085 -> …
  EXPECT_EQ(repairCp1252Mojibake("a\xC2\x97" "b"), "a\xE2\x80\x94" "b");                // U+0097 -> —
  EXPECT_EQ(repairCp1252Mojibake("\xC2\x93hi\xC2\x94"), "\xE2\x80\x9Chi\xE2\x80\x9D");  // “ ”
  EXPECT_EQ(repairCp1252Mojibake("\xC2\x91x"), "\xE2\x80\x98x");                        // ‘
  EXPECT_EQ(repairCp1252Mojibake("a\xC2\xA0 b"), "a  b");                               // NBSP -> space
  EXPECT_EQ(repairCp1252Mojibake("\xC2\x80"), "\xE2\x82\xAC");                          // €
  EXPECT_EQ(repairCp1252Mojibake("\xC2\x81"), "\xC2\x81");                              // undefined: kept
  EXPECT_EQ(repairCp1252Mojibake("caf\xC3\xA9 \xC2\xA9"), "caf\xC3\xA9 \xC2\xA9");      // é, © untouched
  EXPECT_EQ(repairCp1252Mojibake("plain"), "plain");
  EXPECT_EQ(repairCp1252Mojibake("\xC2"), "\xC2");  // a stray lead byte at the end does not crash
}

TEST(MeldCsvRepair, SpeakerNames) {
  EXPECT_EQ(canonicalMeldSpeaker("  Phoebe/Waitress "), "Phoebe");
  EXPECT_EQ(canonicalMeldSpeaker("Joey/Drake"), "Joey");
  EXPECT_EQ(canonicalMeldSpeaker("Joey and Chandler"), "Joey and Chandler");
  EXPECT_EQ(canonicalMeldSpeaker("Richard\xC2\x92s  Date"), "Richard\xE2\x80\x99s Date");
  EXPECT_EQ(canonicalMeldSpeaker("/"), "/");
}

TEST(MeldCsvTimestamp, Formats) {
  EXPECT_NEAR(parseMeldTimestamp("00:16:16,059"), 976.059, 1e-9);
  EXPECT_NEAR(parseMeldTimestamp("0:11:36,446"), 696.446, 1e-9);
  EXPECT_NEAR(parseMeldTimestamp("00:06:47,28"), 407.28, 1e-9);  // a decimal fraction: 280 ms
  EXPECT_NEAR(parseMeldTimestamp("1:00:00.5"), 3600.5, 1e-9);
  for (const char* bad : {"", "00:16:16", "00:16:16,", "00:6:16,059", "00:16:16,0591", "aa:16:16,059", "00:61:00,000",
                          "00:16:16,059x", "-0:16:16,059", "123:00:00,000"})
    EXPECT_EQ(parseMeldTimestamp(bad), -1.0) << bad;
}

TEST(MeldCsvBadInput, MissingColumnNamesFileAndColumn) {
  TempDir dir;
  const std::string path = dir.write("a.csv", "Utterance,Speaker,Dialogue_ID,Utterance_ID\nhi,Ross,0,0\n");
  expectError([&] { readMeldCsv(path); }, {path, "Emotion"});
}

TEST(MeldCsvBadInput, BadTimestampIsRecordedNotFatal) {
  const std::string csv = std::string(kHeader) + row(1, "a", "Ross", "joy", 0, 0, "00:00:01,000", "soon") +
                          row(2, "b", "Ross", "joy", 0, 1, "00:00:03,00", "00:00:03,000");
  const MeldCsv m = parseMeldCsv(csv, "t.csv");
  ASSERT_EQ(m.rows.size(), 2u);
  EXPECT_EQ(m.rows[0].startSeconds, -1.0);
  EXPECT_EQ(m.rows[0].endSeconds, -1.0);
  EXPECT_TRUE(anyProblemContains(m.problems, "t.csv: line 2", "'soon'"));
  EXPECT_TRUE(anyProblemContains(m.problems, "t.csv: line 3", "read as .000 s"));
  EXPECT_TRUE(anyProblemContains(m.problems, "t.csv: line 3", "zero duration"));
}

TEST(MeldCsvBadInput, InvalidUtf8IsReadAsCp1252AndRecorded) {
  // A latin-1 / cp1252 file: 0x92 (’), 0xE9 (é) and a truncated UTF-8 sequence at the end.
  const std::string csv = std::string(kHeader) + row(1, "don\x92t", "Ross", "joy", 0, 0) +
                          row(2, "caf\xE9", "Rachel", "joy", 0, 1) + row(3, "x\xE2\x80", "Joey", "joy", 0, 2);
  const MeldCsv m = parseMeldCsv(csv, "latin.csv");
  ASSERT_EQ(m.rows.size(), 3u);
  EXPECT_EQ(m.rows[0].utterance, "don\xE2\x80\x99t");
  EXPECT_EQ(m.rows[1].utterance, "caf\xC3\xA9");
  EXPECT_EQ(m.rows[2].utterance, "x\xC3\xA2\xE2\x82\xAC");  // â €
  EXPECT_TRUE(anyProblemContains(m.problems, "latin.csv", "first on line 2"));
}

TEST(MeldCsvBadInput, UnknownEmotionNamesFileLineAndValue) {
  const std::string csv = std::string(kHeader) + row(1, "a", "Ross", "joy", 0, 0) + row(2, "b", "Ross", "happy", 0, 1);
  expectError([&] { parseMeldCsv(csv, "e.csv"); }, {"e.csv", "line 3", "'happy'"});
}

TEST(MeldCsvBadInput, TruncatedInsideAQuotedField) {
  const std::string csv = std::string(kHeader) + row(1, "a", "Ross", "joy", 0, 0) + "2,\"never closed, and the file ends";
  expectError([&] { parseMeldCsv(csv, "cut.csv"); }, {"cut.csv", "line 3", "never closed"});
}

TEST(MeldCsvBadInput, TruncatedMidRecordAndWrongFieldCounts) {
  const std::string full = std::string(kHeader) + row(1, "a", "Ross", "joy", 0, 0);
  expectError([&] { parseMeldCsv(full + "2,\"b\",Ross,joy", "short.csv"); }, {"short.csv", "line 3", "4 fields"});
  expectError([&] { parseMeldCsv(full + row(2, "b", "Ross", "joy", 0, 1).insert(2, "x,"), "long.csv"); },
              {"long.csv", "line 3", "12 fields"});
}

TEST(MeldCsvBadInput, NonNumericIdsAreFatal) {
  const std::string csv = std::string(kHeader) + "1,a,Ross,joy,neutral,zero,0,1,1,\"00:00:01,000\",\"00:00:02,000\"\r\n";
  expectError([&] { parseMeldCsv(csv, "id.csv"); }, {"id.csv", "line 2", "Dialogue_ID 'zero'"});
}

TEST(MeldCsvBadInput, EmptyAndHeaderOnlyFiles) {
  TempDir dir;
  const std::string empty = dir.write("empty.csv", "");
  expectError([&] { readMeldCsv(empty); }, {empty, "empty"});
  expectError([&] { parseMeldCsv("\xEF\xBB\xBF\r\n\r\n", "bom.csv"); }, {"bom.csv", "empty"});
  const MeldCsv h = readMeldCsv(dir.write("header.csv", kHeader));
  EXPECT_TRUE(h.rows.empty());
  EXPECT_TRUE(anyProblemContains(h.problems, "header.csv", "no data rows"));
  expectError([&] { readMeldCsv(dir.str() + "/absent.csv"); }, {"absent.csv", "cannot open"});
  expectError([&] { readMeldCsv(dir.str()); }, {dir.str(), "folder"});
}

TEST(MeldCsvReal, AllTimestampsParseAndTheShortFractionsAreNoted) {
  const auto t0 = std::chrono::steady_clock::now();
  const MeldCsv train = readMeldCsv(meld_fixtures::realMeldDir() + "/train_sent_emo.csv");
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[ timing   ] train_sent_emo.csv (9,989 rows) read in %.1f ms\n", ms);
  ASSERT_EQ(train.rows.size(), 9989u);
  for (const auto& r : train.rows) {
    ASSERT_GE(r.startSeconds, 0.0) << r.line;
    ASSERT_GE(r.endSeconds, r.startSeconds) << r.line;
  }
  // Train 437/2 ends at 00:06:47,28 = 407.28 s.
  bool seen = false;
  for (const auto& r : train.rows)
    if (r.dialogueId == 437 && r.utteranceId == 2) {
      EXPECT_NEAR(r.endSeconds, 407.28, 1e-9);
      seen = true;
    }
  EXPECT_TRUE(seen);
  EXPECT_TRUE(anyProblemContains(train.problems, "'00:06:47,28'", "read as .280 s"));
  const MeldCsv test = readMeldCsv(meld_fixtures::realMeldDir() + "/test_sent_emo.csv");
  EXPECT_TRUE(anyProblemContains(test.problems, "zero duration"));
  EXPECT_TRUE(anyProblemContains(test.problems, "lasts 304.940 s"));
}

// Randomly mutated copies of a real CSV's first rows: the reader either reads them or throws
// std::runtime_error, never anything else (run under the asan preset too).
TEST(MeldCsvFuzz, MutatedRealFilesNeverCrash) {
  const std::string real = meld_fixtures::readAll(meld_fixtures::realMeldPre2020Dir() + "/dev_sent_emo.csv");
  ASSERT_GT(real.size(), 6000u);
  std::string base = real.substr(0, 6000);
  std::mt19937 rng(12345);
  const char kSpecial[] = {'"', ',', '\r', '\n', '\0', ':', '\xC2', '\x92', '\xFF', '\xE2', '9', '-'};
  int parsed = 0, rejected = 0;
  for (int iter = 0; iter < 1500; ++iter) {
    std::string s = base;
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      const std::size_t at = rng() % s.size();
      switch (rng() % 5) {
        case 0: s[at] = kSpecial[rng() % sizeof kSpecial]; break;
        case 1: s.insert(at, 1, kSpecial[rng() % sizeof kSpecial]); break;
        case 2: s.erase(at, 1 + rng() % 20); break;
        case 3: s.resize(at); break;
        default: s[at] = static_cast<char>(rng() & 0xFF); break;
      }
    }
    try {
      const MeldCsv m = parseMeldCsv(s, "mutated.csv");
      ++parsed;
      for (const auto& r : m.rows) {
        ASSERT_GE(r.label, 0);
        ASSERT_GE(r.dialogueId, 0);
      }
    } catch (const std::runtime_error& e) {
      ++rejected;
      ASSERT_NE(std::string(e.what()).find("mutated.csv"), std::string::npos) << e.what();
    }
  }
  EXPECT_GT(parsed, 0);
  EXPECT_GT(rejected, 0);
}
