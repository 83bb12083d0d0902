// SPDX-License-Identifier: GPL-3.0-or-later
// MELD CSV files: byte decoding (BOM, invalid UTF-8, cp1252 mojibake), an RFC-4180 record
// reader, and the conversion of records into MeldRow. The corpus built from the rows is in
// meld_corpus.cpp.
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "meld_internal.h"
#include "mlsan/data/meld_csv.h"

namespace mlsan::data {

namespace {

// Utterances longer than this are noted (MELD's longest real one, test 38/4, lasts 304.9 s).
constexpr double kLongUtteranceSeconds = 60.0;

// cp1252's characters for the bytes 0x80..0x9F; 0 where cp1252 leaves the byte undefined.
constexpr char32_t kCp1252High[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

void appendUtf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// Length of the valid UTF-8 sequence at s[i] (1..4), or 0 when the bytes there are not one
// (bad lead byte, truncated, overlong, surrogate, beyond U+10FFFF).
std::size_t validUtf8At(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) len = 2;
  else if (c >= 0xE0 && c <= 0xEF) { len = 3; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
  else if (c >= 0xF0 && c <= 0xF4) { len = 4; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
  else return 0;
  if (i + len > s.size()) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k)
    if ((b(k) & 0xC0) != 0x80) return 0;
  return len;
}

std::string trim(std::string_view s) {
  std::size_t a = 0, e = s.size();
  while (a < e && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r' || s[a] == '\n')) ++a;
  while (e > a && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n')) --e;
  return std::string(s.substr(a, e - a));
}

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// Parses a whole decimal integer (surrounding blanks allowed); false when it is not one.
bool parseInt(std::string_view s, int& out) {
  const std::string t = trim(s);
  if (t.empty()) return false;
  const char* end = t.data() + t.size();
  const auto r = std::from_chars(t.data(), end, out);
  return r.ec == std::errc() && r.ptr == end;
}

// Keeps every problem of one kind in a count, and the first few as sentences.
struct ProblemKind {
  int count = 0;
  std::vector<std::string> first;
  void add(std::string s) { if (++count <= 5) first.push_back(std::move(s)); }
  void flush(std::vector<std::string>& out, const std::string& summary) const {
    for (const auto& s : first) out.push_back(s);
    if (count > 5) out.push_back(summary + ": " + std::to_string(count - 5) + " more like the above");
  }
};

}  // namespace

std::string repairCp1252Mojibake(std::string text) {
  // The code points U+0080..U+00A0 are encoded as 0xC2 0x80..0xA0.
  std::size_t i = text.find('\xC2');
  if (i == std::string::npos) return text;
  std::string out;
  out.reserve(text.size() + 8);
  out.append(text, 0, i);
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0xC2 && i + 1 < text.size()) {
      const auto n = static_cast<unsigned char>(text[i + 1]);
      if (n >= 0x80 && n <= 0x9F && kCp1252High[n - 0x80] != 0) {
        appendUtf8(out, kCp1252High[n - 0x80]);
        i += 2;
        continue;
      }
      if (n == 0xA0) {
        out += ' ';
        i += 2;
        continue;
      }
    }
    out += static_cast<char>(c);
    ++i;
  }
  return out;
}

double parseMeldTimestamp(std::string_view text) {
  const std::string t = trim(text);
  // H{1,2}:MM:SS[,.]F{1,3}
  std::size_t p = 0;
  auto digits = [&](std::size_t minN, std::size_t maxN, int& value, std::size_t* count = nullptr) {
    std::size_t n = 0;
    value = 0;
    while (p < t.size() && n < maxN && t[p] >= '0' && t[p] <= '9') value = value * 10 + (t[p++] - '0'), ++n;
    if (count) *count = n;
    return n >= minN;
  };
  int h, m, s, f;
  std::size_t fracDigits = 0;
  if (!digits(1, 2, h) || p >= t.size() || t[p++] != ':') return -1.0;
  if (!digits(2, 2, m) || p >= t.size() || t[p++] != ':') return -1.0;
  if (!digits(2, 2, s) || p >= t.size() || (t[p] != ',' && t[p] != '.')) return -1.0;
  ++p;
  if (!digits(1, 3, f, &fracDigits) || p != t.size()) return -1.0;
  if (m > 59 || s > 59) return -1.0;
  const double scale = fracDigits == 1 ? 10.0 : fracDigits == 2 ? 100.0 : 1000.0;
  return h * 3600.0 + m * 60.0 + s + f / scale;
}

std::string canonicalMeldSpeaker(const std::string& name) {
  std::string n = detail::normalizeSpeakerName(name);
  const std::size_t slash = n.find('/');
  if (slash != std::string::npos && slash > 0) n = trim(std::string_view(n).substr(0, slash));
  return n;
}

namespace detail {

std::string normalizeSpeakerName(const std::string& raw) {
  const std::string t = trim(repairCp1252Mojibake(raw));
  std::string out;
  out.reserve(t.size());
  for (char c : t) {
    if (c == '\t' || c == '\r' || c == '\n') c = ' ';
    if (c == ' ' && !out.empty() && out.back() == ' ') continue;
    out += c;
  }
  return out;
}

std::string decodeBytes(std::string_view bytes, const std::string& name, std::vector<std::string>& problems) {
  if (bytes.size() >= 3 && bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);
  // Fast path: valid UTF-8 is used as it is.
  std::size_t i = 0;
  while (i < bytes.size()) {
    if (static_cast<unsigned char>(bytes[i]) < 0x80) { ++i; continue; }
    const std::size_t len = validUtf8At(bytes, i);
    if (len == 0) break;
    i += len;
  }
  if (i == bytes.size()) return std::string(bytes);
  // Invalid bytes: each is read as cp1252 (latin-1 for the bytes cp1252 leaves undefined).
  std::string out(bytes.substr(0, i));
  out.reserve(bytes.size() + 64);
  int bad = 0, firstLine = 0;
  int line = 1;
  for (std::size_t k = 0; k < i; ++k) line += bytes[k] == '\n';
  while (i < bytes.size()) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    const std::size_t len = c < 0x80 ? 1 : validUtf8At(bytes, i);
    if (len > 0) {
      out.append(bytes.substr(i, len));
      if (c == '\n') ++line;
      i += len;
      continue;
    }
    if (bad++ == 0) firstLine = line;
    const char32_t cp = (c >= 0x80 && c <= 0x9F && kCp1252High[c - 0x80] != 0) ? kCp1252High[c - 0x80] : c;
    appendUtf8(out, cp);
    ++i;
  }
  problems.push_back(name + ": " + std::to_string(bad) + " byte(s) that are not UTF-8 (first on line " +
                     std::to_string(firstLine) + ") were read as cp1252/latin-1");
  return out;
}

CsvReader::CsvReader(std::string_view text, std::string name) : text_(text), name_(std::move(name)) {}

bool CsvReader::next(std::vector<std::string>& fields, int& line) {
  for (;;) {
    if (pos_ >= text_.size()) return false;
    line = line_;
    fields.clear();
    bool endOfRecord = false;
    while (!endOfRecord) {
      fields.emplace_back();
      std::string& f = fields.back();
      if (pos_ < text_.size() && text_[pos_] == '"') {
        const int startLine = line_;
        ++pos_;
        for (;;) {
          const std::size_t q = text_.find('"', pos_);
          if (q == std::string_view::npos)
            throw std::runtime_error(name_ + ": line " + std::to_string(startLine) +
                                     ": quoted field never closed (file truncated?)");
          appendQuoted(f, text_.substr(pos_, q - pos_));
          if (q + 1 < text_.size() && text_[q + 1] == '"') {
            f += '"';
            pos_ = q + 2;
          } else {
            pos_ = q + 1;
            break;
          }
        }
      }
      // Unquoted field, or whatever follows a closing quote (kept, as Python's csv does).
      const std::size_t e = text_.find_first_of(",\r\n", pos_);
      const std::size_t stop = e == std::string_view::npos ? text_.size() : e;
      f.append(text_.substr(pos_, stop - pos_));
      pos_ = stop;
      if (pos_ >= text_.size()) {
        endOfRecord = true;
      } else if (text_[pos_] == ',') {
        ++pos_;
      } else {
        if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
        ++pos_;
        ++line_;
        endOfRecord = true;
      }
    }
    if (fields.size() == 1 && fields[0].empty()) continue;  // blank line
    return true;
  }
}

void CsvReader::appendQuoted(std::string& f, std::string_view chunk) {
  // Line breaks inside a quoted field: counted, and CRLF / CR become LF.
  for (std::size_t i = 0; i < chunk.size(); ++i) {
    const char c = chunk[i];
    if (c == '\r') {
      if (i + 1 < chunk.size() && chunk[i + 1] == '\n') ++i;
      f += '\n';
      ++line_;
    } else {
      if (c == '\n') ++line_;
      f += c;
    }
  }
}

}  // namespace detail

MeldCsv parseMeldCsv(std::string_view bytes, const std::string& name) {
  MeldCsv out;
  out.path = name;
  const std::string text = detail::decodeBytes(bytes, name, out.problems);
  if (trim(text).empty()) throw std::runtime_error(name + ": the file is empty (no header line)");

  detail::CsvReader reader(text, name);
  std::vector<std::string> f;
  int line = 0;
  reader.next(f, line);
  const std::size_t numFields = f.size();
  enum Col { SrNo, Utt, Spk, Emo, Sent, Dia, UttId, Season, Episode, Start, End, NumCols };
  static const char* const kNames[NumCols] = {"Sr No.", "Utterance", "Speaker", "Emotion", "Sentiment", "Dialogue_ID",
                                              "Utterance_ID", "Season", "Episode", "StartTime", "EndTime"};
  int col[NumCols];
  for (int c = 0; c < NumCols; ++c) {
    col[c] = -1;
    for (std::size_t k = 0; k < f.size() && col[c] < 0; ++k)
      if (lower(trim(f[k])) == lower(kNames[c])) col[c] = static_cast<int>(k);
  }
  for (int c : {Utt, Spk, Emo, Dia, UttId})
    if (col[c] < 0) throw std::runtime_error(name + ": no column '" + kNames[c] + "' in the header (line " +
                                             std::to_string(line) + ")");
  for (int c : {Season, Episode, Start, End})
    if (col[c] < 0) out.problems.push_back(name + ": no column '" + kNames[c] + "'; left unknown");

  const LabelSet labels = meldLabels();
  ProblemKind badTime, shortFrac, badNumber, oddDuration;
  long repaired = 0;
  auto where = [&](int l) { return name + ": line " + std::to_string(l); };
  auto field = [&](int c) -> const std::string& { return f[static_cast<std::size_t>(col[c])]; };
  while (reader.next(f, line)) {
    if (f.size() != numFields)
      throw std::runtime_error(where(line) + ": " + std::to_string(f.size()) + " fields, the header has " +
                               std::to_string(numFields));
    MeldRow r;
    r.line = line;
    if (col[SrNo] >= 0) parseInt(field(SrNo), r.srNo);
    r.utterance = repairCp1252Mojibake(field(Utt));
    r.speaker = detail::normalizeSpeakerName(field(Spk));
    if ((field(Utt).find('\xC2') != std::string::npos && r.utterance != field(Utt)) ||
        field(Spk).find('\xC2') != std::string::npos)
      ++repaired;
    r.emotion = trim(field(Emo));
    if (col[Sent] >= 0) r.sentiment = trim(field(Sent));
    r.label = labels.indexOf(r.emotion);
    if (r.label < 0) throw std::runtime_error(where(line) + ": unknown emotion '" + r.emotion + "'");
    if (!parseInt(field(Dia), r.dialogueId) || r.dialogueId < 0)
      throw std::runtime_error(where(line) + ": Dialogue_ID '" + field(Dia) + "' is not a number");
    if (!parseInt(field(UttId), r.utteranceId) || r.utteranceId < 0)
      throw std::runtime_error(where(line) + ": Utterance_ID '" + field(UttId) + "' is not a number");
    const std::string at = where(line) + " (dialogue " + std::to_string(r.dialogueId) + ", utterance " +
                           std::to_string(r.utteranceId) + ")";
    for (int c : {Season, Episode}) {
      if (col[c] < 0) continue;
      int& v = c == Season ? r.season : r.episode;
      if (!parseInt(field(c), v) || v < 0) {
        badNumber.add(at + ": " + kNames[c] + " '" + field(c) + "' is not a number; left unknown");
        v = -1;
      }
    }
    if (col[Start] >= 0 && col[End] >= 0) {
      r.startSeconds = parseMeldTimestamp(field(Start));
      r.endSeconds = parseMeldTimestamp(field(End));
      for (int c : {Start, End}) {
        const double v = c == Start ? r.startSeconds : r.endSeconds;
        const std::string t = trim(field(c));
        if (v < 0) {
          badTime.add(at + ": malformed " + kNames[c] + " '" + t + "'; the utterance's times are left unknown");
        } else if (t.size() - t.find_last_of(",.") - 1 < 3) {
          char buf[32];
          std::snprintf(buf, sizeof buf, "%.3f", v - static_cast<long>(v));
          shortFrac.add(at + ": " + kNames[c] + " '" + t + "' has a short fraction, read as " + (buf + 1) +
                        " s");
        }
      }
      if (r.startSeconds < 0 || r.endSeconds < 0) {
        r.startSeconds = r.endSeconds = -1.0;
      } else {
        const double d = r.endSeconds - r.startSeconds;
        char buf[48];
        std::snprintf(buf, sizeof buf, "%.3f s", d);
        if (d < 0) oddDuration.add(at + ": ends before it starts (" + buf + "); kept");
        else if (d == 0) oddDuration.add(at + ": zero duration; kept");
        else if (d > kLongUtteranceSeconds) oddDuration.add(at + ": lasts " + buf + "; kept");
      }
    }
    out.rows.push_back(std::move(r));
  }
  badTime.flush(out.problems, name + ": malformed timestamps");
  shortFrac.flush(out.problems, name + ": short timestamp fractions");
  badNumber.flush(out.problems, name + ": non-numeric season/episode");
  oddDuration.flush(out.problems, name + ": unusual durations");
  if (repaired > 0)
    out.problems.push_back(name + ": cp1252 mojibake (U+0080..U+00A0 standing for cp1252 bytes) repaired in " +
                           std::to_string(repaired) + " row(s)");
  if (out.rows.empty()) out.problems.push_back(name + ": no data rows after the header");
  return out;
}

MeldCsv readMeldCsv(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw std::runtime_error(path + ": is a folder, not a CSV file");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error(path + ": cannot open the file");
  const std::streamoff size = in.tellg();
  if (size < 0) throw std::runtime_error(path + ": cannot read the file");
  std::string bytes(static_cast<std::size_t>(size), '\0');
  in.seekg(0);
  if (size > 0 && !in.read(bytes.data(), size)) throw std::runtime_error(path + ": read error");
  return parseMeldCsv(bytes, path);
}

}  // namespace mlsan::data
