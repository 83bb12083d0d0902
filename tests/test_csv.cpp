// SPDX-License-Identifier: GPL-3.0-or-later
// The project's one CSV reader and writer (data/csv.h): quoting round trips, CRLF, blank lines,
// embedded line breaks, numbers, and bad files named with their line.
#include <gtest/gtest.h>

#include <cmath>

#include "mlsan/data/csv.h"

using mlsan::data::CsvTable;
using mlsan::data::CsvWriter;
using mlsan::data::parseCsv;

TEST(Csv, WriterQuotesOnlyWhatNeedsIt) {
  CsvWriter w;
  w.text("plain").text("a,b").text("say \"hi\"").text("two\nlines").endRow();
  w.integer(-3).number(0.5).number(1.0 / 3, 4).fixed(2.0, 2).exact(0.1f).number(std::nan("")).endRow();
  EXPECT_EQ(w.str(), "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\n-3,0.5,0.3333,2.00,0.1,\n");
}

TEST(Csv, ReaderRoundTripsWhatTheWriterWrites) {
  CsvWriter w;
  const std::vector<std::string> header{"name", "text", "value"};
  w.row(header);
  w.text("Ross").text("We were on a break, \"we\" were!").number(1.25).endRow();
  w.text("Phoebe/Waitress").text("line one\r\nline two").number(-2).endRow();
  const CsvTable t = parseCsv(w.str(), "round.csv");
  EXPECT_EQ(t.header, header);
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0][1], "We were on a break, \"we\" were!");
  EXPECT_EQ(t.rows[1][1], "line one\r\nline two");
  EXPECT_EQ(t.number(1, t.requireColumn("value")), -2);
  EXPECT_EQ(t.lines, std::vector<int>({2, 3}));
}

TEST(Csv, CrlfBlankLinesAndEmptyFields) {
  const CsvTable t = parseCsv("a,b,c\r\n1,,3\r\n\r\n4,5,\r\n", "crlf.csv");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.header[2], "c");
  EXPECT_EQ(t.rows[0], std::vector<std::string>({"1", "", "3"}));
  EXPECT_EQ(t.rows[1], std::vector<std::string>({"4", "5", ""}));
  EXPECT_TRUE(std::isnan(t.number(0, 1)));
  EXPECT_EQ(t.lines[1], 4);
}

TEST(Csv, BadFilesNameTheFileAndTheLine) {
  auto message = [](const std::string& text) {
    try {
      const CsvTable t = parseCsv(text, "bad.csv");
      if (!t.rows.empty()) t.number(0, 0);
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message(""), "bad.csv: empty file");
  EXPECT_EQ(message("a,b\n1,2\n3\n"), "bad.csv, line 3: 1 fields, expected 2");
  EXPECT_EQ(message("a,b\n1,\"open\n"), "bad.csv, line 2: a quoted field is never closed");
  EXPECT_EQ(message("a\nx1\n"), "bad.csv, line 2: column a: 'x1' is not a number");
  const CsvTable t = parseCsv("a\n1\n", "t.csv");
  EXPECT_EQ(t.column("b"), -1);
  EXPECT_THROW(t.requireColumn("b"), std::runtime_error);
}
