// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Internals of the MELD readers shared by meld_csv.cpp, meld_corpus.cpp and clips.cpp (not installed).
#include <string>
#include <string_view>
#include <vector>

namespace mlsan::data::detail {

/// MultiEMO's dialogue keys: train Dialogue_ID, dev Dialogue_ID + 1039, test Dialogue_ID + 1153.
constexpr int kDevOffset = 1039;
constexpr int kTestOffset = 1153;

/// A dialogue key as a whole number, or -1 when it is not one.
int meldKeyNumber(const std::string& key);

/// Strips a UTF-8 BOM and returns valid UTF-8: bytes that are not UTF-8 are read as cp1252
/// (latin-1 where cp1252 is undefined), with one problem naming `name` and the first line.
std::string decodeBytes(std::string_view bytes, const std::string& name, std::vector<std::string>& problems);

/// The repaired, trimmed speaker name with runs of blanks collapsed to one space.
std::string normalizeSpeakerName(const std::string& raw);

/// An RFC-4180 record reader over text in memory: quoted fields with commas, doubled quotes
/// and line breaks, CRLF / LF / CR record ends, blank lines skipped. One thread per reader.
class CsvReader {
 public:
  CsvReader(std::string_view text, std::string name);
  /// Reads the next record into `fields` and the 1-based line where it starts into `line`;
  /// false at the end of the text. Throws std::runtime_error (naming the file and line)
  /// on a quoted field that is never closed.
  bool next(std::vector<std::string>& fields, int& line);

 private:
  void appendQuoted(std::string& f, std::string_view chunk);
  std::string_view text_;
  std::string name_;
  std::size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace mlsan::data::detail
