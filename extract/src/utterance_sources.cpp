// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/extract/utterance_sources.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "mlsan/data/atomic_file.h"
#include "mlsan/data/csv.h"

namespace mlsan::extract {
namespace fs = std::filesystem;
namespace {

std::string trim(std::string_view s) {
  std::size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return std::string(s.substr(a, b - a));
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// A non-negative decimal number, the whole string.
double decimal(std::string_view s) {
  if (s.empty()) throw std::invalid_argument("empty");
  bool point = false, digit = false;
  for (char c : s) {
    if (c == '.') {
      if (point) throw std::invalid_argument("two points");
      point = true;
    } else if (c >= '0' && c <= '9') {
      digit = true;
    } else {
      throw std::invalid_argument("not a number");
    }
  }
  if (!digit) throw std::invalid_argument("no digits");
  return std::stod(std::string(s));
}

/// "NAME: text" -> NAME, or "" when the line does not start with a speaker's name.
std::string speakerPrefix(std::string& text) {
  std::string t = text;
  if (t.rfind("- ", 0) == 0) t = t.substr(2);
  const auto colon = t.find(':');
  if (colon == std::string::npos || colon == 0 || colon > 40) return {};
  const std::string name = trim(t.substr(0, colon));
  if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0]))) return {};
  for (char c : name)
    if (c == '.' || c == '!' || c == '?' || c == ',' || c == '"') return {};
  text = trim(t.substr(colon + 1));
  return name;
}

}  // namespace

double parseTimestamp(std::string_view text) {
  const std::string s = trim(text);
  std::string t = s;
  std::replace(t.begin(), t.end(), ',', '.');
  std::vector<std::string> parts;
  std::size_t from = 0;
  for (std::size_t i = 0; i <= t.size(); ++i)
    if (i == t.size() || t[i] == ':') {
      parts.push_back(t.substr(from, i - from));
      from = i + 1;
    }
  try {
    if (parts.size() > 3) throw std::invalid_argument("too many fields");
    double seconds = decimal(parts.back());
    if (parts.size() > 1 && seconds >= 60) throw std::invalid_argument("seconds of 60 or more");
    if (parts.size() >= 2) {
      const double minutes = decimal(parts[parts.size() - 2]);
      if (parts.size() == 3 && minutes >= 60) throw std::invalid_argument("minutes of 60 or more");
      if (minutes != std::floor(minutes)) throw std::invalid_argument("fractional minutes");
      seconds += 60 * minutes;
    }
    if (parts.size() == 3) {
      const double hours = decimal(parts[0]);
      if (hours != std::floor(hours)) throw std::invalid_argument("fractional hours");
      seconds += 3600 * hours;
    }
    return seconds;
  } catch (const std::exception&) {
    throw std::invalid_argument("'" + s + "' is not a time (seconds, MM:SS.mmm or HH:MM:SS,mmm)");
  }
}

UtteranceSource readUtteranceTable(const std::string& csvPath) {
  const data::CsvTable table = data::readCsv(csvPath);
  // Case-insensitive titles: find each column by its lower-cased title.
  auto find = [&](const char* title) {
    for (std::size_t i = 0; i < table.header.size(); ++i)
      if (lower(trim(table.header[i])) == title) return static_cast<int>(i);
    return -1;
  };
  UtteranceSource out;
  out.name = csvPath;
  int cols[5];
  const char* required[5] = {"video", "start", "end", "speaker", "transcript"};
  for (int k = 0; k < 5; ++k) {
    cols[k] = find(required[k]);
    if (cols[k] < 0)
      throw std::runtime_error(csvPath + ": no column '" + required[k] +
                               "' (an utterance table needs video, start, end, speaker, transcript; emotion, dialogue and split are optional)");
  }
  const int emotion = find("emotion"), dialogue = find("dialogue"), split = find("split");
  out.hasEmotion = emotion >= 0;
  const fs::path folder = fs::path(csvPath).parent_path();
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    SourceUtterance u;
    u.line = table.lines[r];
    const std::string video = trim(row[static_cast<std::size_t>(cols[0])]);
    const std::string where = "line " + std::to_string(u.line);
    if (video.empty()) {
      out.problems.push_back({"", where, "no video"});
      continue;
    }
    u.video = (fs::path(video).is_absolute() ? fs::path(video) : folder / video).lexically_normal().string();
    const std::string start = trim(row[static_cast<std::size_t>(cols[1])]), end = trim(row[static_cast<std::size_t>(cols[2])]);
    try {
      if (start.empty() && end.empty()) {
        u.start = 0;
        u.end = -1;
      } else {
        u.start = parseTimestamp(start);
        u.end = parseTimestamp(end);
        if (u.end <= u.start) throw std::invalid_argument("the span is empty: start " + start + " is not before end " + end);
      }
    } catch (const std::invalid_argument& e) {
      out.problems.push_back({u.video, where, e.what()});
      continue;
    }
    u.speaker = trim(row[static_cast<std::size_t>(cols[3])]);
    if (u.speaker.empty()) u.speaker = "unknown";
    u.transcript = trim(row[static_cast<std::size_t>(cols[4])]);
    if (emotion >= 0) u.emotion = lower(trim(row[static_cast<std::size_t>(emotion)]));
    if (split >= 0) {
      u.split = lower(trim(row[static_cast<std::size_t>(split)]));
      if (!u.split.empty() && u.split != "train" && u.split != "dev" && u.split != "valid" && u.split != "validation" &&
          u.split != "test") {
        out.problems.push_back({u.video, where, "unknown split '" + u.split + "' (train, dev or test)"});
        continue;
      }
    }
    u.dialogue = dialogue >= 0 ? trim(row[static_cast<std::size_t>(dialogue)]) : std::string();
    if (u.dialogue.empty()) u.dialogue = u.video;
    out.utterances.push_back(std::move(u));
  }
  return out;
}

UtteranceSource parseSrt(std::string_view textIn, const std::string& videoPath, const std::string& srtName) {
  std::string text(textIn);
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);  // a UTF-8 byte-order mark
  text.erase(std::remove(text.begin(), text.end(), '\r'), text.end());
  UtteranceSource out;
  out.name = srtName;
  // Blocks are separated by blank lines.
  std::vector<std::vector<std::string>> blocks(1);
  std::size_t from = 0;
  while (from <= text.size()) {
    const std::size_t nl = std::min(text.find('\n', from), text.size());
    const std::string line = trim(std::string_view(text).substr(from, nl - from));
    if (line.empty()) {
      if (!blocks.back().empty()) blocks.emplace_back();
    } else {
      blocks.back().push_back(line);
    }
    from = nl + 1;
  }
  if (blocks.back().empty()) blocks.pop_back();
  int number = 0;
  for (auto& b : blocks) {
    ++number;
    std::size_t i = 0;
    if (b[0].find("-->") == std::string::npos) ++i;  // the block's index
    const std::string where = "block " + std::to_string(number);
    if (i >= b.size() || b[i].find("-->") == std::string::npos) {
      out.problems.push_back({videoPath, where, "no timing line ('start --> end')"});
      continue;
    }
    SourceUtterance u;
    u.video = videoPath;
    u.dialogue = videoPath;
    u.line = number;
    const std::string& timing = b[i];
    const auto arrow = timing.find("-->");
    try {
      u.start = parseTimestamp(timing.substr(0, arrow));
      std::string endText = trim(timing.substr(arrow + 3));
      const auto space = endText.find(' ');  // position hints may follow ("X1:...")
      if (space != std::string::npos) endText = endText.substr(0, space);
      u.end = parseTimestamp(endText);
      if (u.end <= u.start) throw std::invalid_argument("the span is empty: '" + timing + "'");
    } catch (const std::invalid_argument& e) {
      out.problems.push_back({videoPath, where, std::string("broken timing: ") + e.what()});
      continue;
    }
    std::string words;
    for (std::size_t k = i + 1; k < b.size(); ++k) words += (words.empty() ? "" : " ") + b[k];
    u.speaker = speakerPrefix(words);
    if (u.speaker.empty()) u.speaker = "unknown";
    u.transcript = words;
    out.utterances.push_back(std::move(u));
  }
  if (out.utterances.empty())
    throw std::runtime_error(srtName + ": no usable subtitle block" +
                             (out.problems.empty() ? std::string() : " (" + out.problems.front().utterance + ": " + out.problems.front().reason + ")"));
  return out;
}

UtteranceSource readSrt(const std::string& videoPath, const std::string& srtPath) {
  return parseSrt(data::readFile(srtPath), videoPath, srtPath);
}

}  // namespace mlsan::extract
