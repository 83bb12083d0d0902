// SPDX-License-Identifier: GPL-3.0-or-later
// The project's CSV reader and writer (see csv.h).
#include "mlsan/data/csv.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "mlsan/data/atomic_file.h"

namespace mlsan::data {

// --- writing ---------------------------------------------------------------------------------

void CsvWriter::separator() {
  if (rowStarted_) out_ += ',';
  rowStarted_ = true;
}

CsvWriter& CsvWriter::text(std::string_view s) {
  separator();
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out_ += s;
    return *this;
  }
  out_ += '"';
  for (char c : s) {
    if (c == '"') out_ += '"';
    out_ += c;
  }
  out_ += '"';
  return *this;
}

CsvWriter& CsvWriter::formatted(const char* format, int precision, double v) {
  separator();
  if (!std::isfinite(v)) return *this;
  char buf[400];
  const int n = std::snprintf(buf, sizeof buf, format, precision, v);
  out_.append(buf, static_cast<std::size_t>(n));
  return *this;
}

CsvWriter& CsvWriter::number(double v, int digits) { return formatted("%.*g", digits, v); }
CsvWriter& CsvWriter::fixed(double v, int decimals) { return formatted("%.*f", decimals, v); }

CsvWriter& CsvWriter::exact(float v) {
  separator();
  if (!std::isfinite(v)) return *this;
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, static_cast<std::size_t>(r.ptr - buf));
  return *this;
}

CsvWriter& CsvWriter::integer(long long v) {
  separator();
  out_ += std::to_string(v);
  return *this;
}

CsvWriter& CsvWriter::endRow() {
  out_ += '\n';
  rowStarted_ = false;
  return *this;
}

CsvWriter& CsvWriter::row(const std::vector<std::string>& fields) {
  for (const auto& f : fields) text(f);
  return endRow();
}

// --- reading ---------------------------------------------------------------------------------

void forEachCsvRecord(std::string_view text, const std::string& name, const CsvVisitor& visit) {
  const std::size_t n = text.size();
  std::size_t i = 0;
  int line = 1;
  std::string buffer;                                 // the record's fields, unquoted, back to back
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  std::vector<std::string_view> fields;
  while (i < n) {
    const int first = line;
    buffer.clear();
    spans.clear();
    bool quotedAny = false;
    for (;;) {  // one field
      const std::size_t start = buffer.size();
      if (i < n && text[i] == '"') {
        quotedAny = true;
        ++i;
        for (;;) {
          if (i >= n) throw std::runtime_error(name + ", line " + std::to_string(first) + ": a quoted field is never closed");
          const char c = text[i];
          if (c == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              buffer += '"';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (c == '\n') ++line;
          buffer += c;
          ++i;
        }
      }
      // Unquoted text (or anything after a closing quote) runs to the next comma or line end.
      std::size_t end = i;
      while (end < n && text[end] != ',' && text[end] != '\n') ++end;
      std::size_t stop = end;
      if (stop > i && text[stop - 1] == '\r' && (stop == n || text[stop] == '\n')) --stop;
      buffer.append(text.data() + i, stop - i);
      spans.emplace_back(start, buffer.size() - start);
      i = end;
      if (i < n && text[i] == ',') {
        ++i;
        continue;
      }
      if (i < n) {  // '\n'
        ++i;
        ++line;
      }
      break;
    }
    const bool blank = !quotedAny && spans.size() == 1 &&
                       buffer.find_first_not_of(" \t\r") == std::string::npos;
    if (blank) continue;
    fields.clear();
    for (const auto& [start, length] : spans) fields.emplace_back(buffer.data() + start, length);
    visit(first, fields);
  }
}

int CsvTable::column(std::string_view title) const {
  for (std::size_t c = 0; c < header.size(); ++c)
    if (header[c] == title) return static_cast<int>(c);
  return -1;
}

int CsvTable::requireColumn(std::string_view title) const {
  const int c = column(title);
  if (c < 0) throw std::runtime_error(name + ": no column '" + std::string(title) + "'");
  return c;
}

void CsvTable::fail(std::size_t row, const std::string& what) const {
  throw std::runtime_error(name + ", line " + std::to_string(row < lines.size() ? lines[row] : 0) + ": " + what);
}

double CsvTable::number(std::size_t row, int col) const {
  const std::string& s = rows.at(row).at(static_cast<std::size_t>(col));
  if (s.empty()) return std::nan("");
  double v = 0;
  const char* end = s.data() + s.size();
  const auto r = std::from_chars(s.data(), end, v);
  if (r.ec == std::errc() && r.ptr == end) return v;
  // from_chars does not read "nan" / "inf" the way printf writes them on every library.
  if (s == "nan" || s == "-nan") return std::nan("");
  if (s == "inf" || s == "-inf") return s[0] == '-' ? -HUGE_VAL : HUGE_VAL;
  fail(row, "column " + header.at(static_cast<std::size_t>(col)) + ": '" + s + "' is not a number");
}

CsvTable parseCsv(std::string_view text, const std::string& name) {
  CsvTable t;
  t.name = name;
  bool first = true;
  forEachCsvRecord(text, name, [&](int line, const std::vector<std::string_view>& fields) {
    if (first) {
      first = false;
      for (auto f : fields) t.header.emplace_back(f);
      return;
    }
    if (fields.size() != t.header.size())
      throw std::runtime_error(name + ", line " + std::to_string(line) + ": " + std::to_string(fields.size()) + " fields, expected " +
                               std::to_string(t.header.size()));
    std::vector<std::string> row;
    row.reserve(fields.size());
    for (auto f : fields) row.emplace_back(f);
    t.rows.push_back(std::move(row));
    t.lines.push_back(line);
  });
  if (first) throw std::runtime_error(name + ": empty file");
  return t;
}

CsvTable readCsv(const std::string& path) { return parseCsv(readFile(path), path); }

}  // namespace mlsan::data
