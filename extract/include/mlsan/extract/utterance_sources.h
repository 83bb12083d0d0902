// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// What `mlsan extract` reads to know where each utterance is (issue 18, inputs b and c): an
// utterance table (CSV: video, start, end, speaker, transcript; optional emotion and dialogue)
// or a video with its subtitles (SRT, the speaker from a "NAME:" prefix). A row or block that
// cannot be used is reported as a problem and left out; the rest is kept. Torch-free, Qt-free.
#include <string>
#include <string_view>
#include <vector>

namespace mlsan::extract {

struct SourceUtterance {
  std::string video;        ///< the file, resolved against the table's folder
  double start = 0, end = -1;  ///< seconds; end < 0: to the end of the file (a file per utterance)
  std::string speaker, transcript;
  std::string emotion;      ///< "" when the input has none
  std::string dialogue;     ///< the dialogue's key: the table's `dialogue`, else the video
  std::string split;        ///< "train", "dev"/"valid"/"validation", "test", or "" when not given
  int line = 0;             ///< the table line or SRT block it came from
};

struct SourceProblem {
  std::string video, utterance, reason;  ///< `utterance`: "line N" of a table, "block N" of an SRT
};

struct UtteranceSource {
  std::string name;  ///< the table or SRT file
  std::vector<SourceUtterance> utterances;
  std::vector<SourceProblem> problems;
  bool hasEmotion = false;  ///< the table has an emotion column
};

/// Seconds from "12.5", "75", "01:02.5", "00:01:02,500" or "00:01:02.500" (hours, minutes,
/// seconds; a comma or a point before the fraction). Throws std::invalid_argument for anything
/// else, a negative time, or minutes/seconds of 60 or more.
double parseTimestamp(std::string_view text);

/// An utterance table. Required columns (any order, case-insensitive titles): video, start, end,
/// speaker, transcript; optional: emotion, dialogue, split (train, dev or test; another value
/// is a problem for its row). Paths are relative to the table's folder.
/// start and end both empty: the whole file. Throws std::runtime_error naming the file when it
/// cannot be read or lacks a required column; a row with a bad time, start >= end, or no video
/// is a problem.
UtteranceSource readUtteranceTable(const std::string& csvPath);

/// A video's subtitles: each block "N / start --> end / text lines" is an utterance of one
/// dialogue (the video); "NAME: text" (NAME up to 40 characters, starting with a letter, no
/// sentence punctuation; a leading "- " allowed) gives the speaker, else the speaker is
/// "unknown". A block with a broken timing line, or start >= end, is a problem. Throws
/// std::runtime_error naming the file when it cannot be read or has no usable block.
UtteranceSource readSrt(const std::string& videoPath, const std::string& srtPath);
UtteranceSource parseSrt(std::string_view text, const std::string& videoPath, const std::string& srtName);

}  // namespace mlsan::extract
