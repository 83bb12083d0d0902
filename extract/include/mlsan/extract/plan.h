// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// What an extraction will do: the corpus it makes (dialogues, utterances, speakers, labels,
// splits, times and clips; features still empty) and, per utterance, where its media is. Built
// from MELD.Raw (the clips and the three CSVs), an utterance table, or a video with its SRT.
// Torch-free, Qt-free; any thread.
#include <string>
#include <vector>

#include "mlsan/data/corpus.h"
#include "mlsan/extract/utterance_sources.h"

namespace mlsan::extract {

/// One utterance's media.
struct ExtractItem {
  std::string video;           ///< the file ("" when there is none: the utterance fails)
  double start = 0, end = -1;  ///< the span in seconds; end < 0: to the end of the file
  std::string name;            ///< how reports name it: "line 12", "block 3", "dia4_utt2"
  std::string missing;         ///< why there is no file, when video is ""
};

struct ExtractPlan {
  std::string source;          ///< what was read, for the report
  data::Corpus corpus;         ///< no features yet
  std::vector<ExtractItem> items;  ///< one per corpus row, in row order
  std::vector<SourceProblem> problems;  ///< rows and blocks left out by the readers
};

/// MELD.Raw: {train,dev,test}_sent_emo.csv and the clip folders (train_splits/,
/// dev_splits_complete/, output_repeated_splits_test/) in `dir` (data/meld_csv.h, data/clips.h).
/// Dialogue keys, splits, speakers, labels, times, seasons and episodes are MELD's. A missing clip
/// is an item without a video. Throws std::runtime_error naming the file when a CSV is missing
/// or unreadable.
ExtractPlan planFromMeld(const std::string& dir);

/// An utterance table or a video's subtitles (utterance_sources.h). Dialogues in order of first
/// appearance, utterances in table order, speakers by name, parties by first appearance within
/// the dialogue. Labels: MELD's set when every emotion given is one of MELD's (or none is given),
/// else IEMOCAP's (full names or the 3-letter codes), else the distinct values in sorted order
/// ("custom"). Splits: the table's `split` column, else a deterministic assignment by a hash of
/// the dialogue key (about 70% train, 10% dev, 20% test; all train below 3 dialogues), noted in
/// the corpus's problems.
ExtractPlan planFromSource(const UtteranceSource& source);

/// The inputs of one extraction as a user gives them (`mlsan extract`, File > New corpus from
/// videos): exactly one of a MELD.Raw folder, an utterance table, or a video with its subtitles.
struct ExtractSource {
  std::string meld, table, video, srt;
  /// "" when exactly one input is given, else what is wrong.
  std::string problem() const;
};
/// The plan of whichever input is given. Throws std::invalid_argument when the source's
/// problem() is not empty, std::runtime_error as the readers do.
ExtractPlan planFrom(const ExtractSource& source);

}  // namespace mlsan::extract
