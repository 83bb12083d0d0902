// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The project's own CSV files (predictions.csv, curves.csv, matrices and layouts, result tables,
// the studio's exports): one reader and one writer, RFC 4180 (fields with a comma, a quote or a
// line break are quoted, quotes doubled; LF or CRLF). MELD's annotation files have a reader of
// their own (meld_csv.h), which repairs the real files' quirks. Readers throw
// std::runtime_error naming the file and the line. Plain values and functions; any thread.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mlsan::data {

/// Builds CSV text a field at a time. Numbers that are not finite become empty fields.
class CsvWriter {
 public:
  /// A text field, quoted when it holds a comma, a quote or a line break.
  CsvWriter& text(std::string_view s);
  /// A number with `digits` significant digits (printf's %.*g: 8 -> "0.00050000001" is "0.0005").
  CsvWriter& number(double v, int digits = 8);
  /// A number with `decimals` digits after the point (printf's %.*f).
  CsvWriter& fixed(double v, int decimals);
  /// The shortest text that reads back as exactly `v` (std::to_chars).
  CsvWriter& exact(float v);
  CsvWriter& integer(long long v);
  /// Ends the current record with a line feed.
  CsvWriter& endRow();
  /// A whole record of text fields.
  CsvWriter& row(const std::vector<std::string>& fields);
  const std::string& str() const { return out_; }

 private:
  void separator();
  CsvWriter& formatted(const char* format, int precision, double v);
  std::string out_;
  bool rowStarted_ = false;
};

/// Calls `visit(line, fields)` for every record of `text` (1-based line of the record's first
/// character). Blank lines are skipped. The views are valid during the call only. Throws
/// std::runtime_error "NAME, line N: ..." for a quote that is never closed.
using CsvVisitor = std::function<void(int line, const std::vector<std::string_view>& fields)>;
void forEachCsvRecord(std::string_view text, const std::string& name, const CsvVisitor& visit);

/// A CSV file read whole: a header row, then records of strings.
struct CsvTable {
  std::string name;                 ///< the file (for messages)
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<int> lines;           ///< the line each row starts on

  /// The column's index, or -1 when the header has no such column.
  int column(std::string_view title) const;
  /// As column(), but throws "NAME: no column 'TITLE'".
  int requireColumn(std::string_view title) const;
  /// The field as a number; an empty field is NaN. Throws "NAME, line N, column TITLE: 'x' is
  /// not a number".
  double number(std::size_t row, int column) const;
  /// Throws "NAME, line N: WHAT".
  [[noreturn]] void fail(std::size_t row, const std::string& what) const;
};

/// Parses `text`: the first record is the header; every other record must have as many
/// fields (else std::runtime_error naming the line). An empty text throws "NAME: empty file".
CsvTable parseCsv(std::string_view text, const std::string& name);
/// parseCsv of a file's bytes; throws naming the file when it cannot be read.
CsvTable readCsv(const std::string& path);

}  // namespace mlsan::data
