// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// MELD.Raw video clips: links each utterance of a MELD corpus to its clip
// `dia{Dialogue_ID}_utt{Utterance_ID}.mp4` in train_splits/, dev_splits_complete/ or
// output_repeated_splits_test/. Pure functions over their arguments: any thread may call
// them, each on its own corpus.
#include <string>
#include <vector>

#include "mlsan/data/corpus.h"

namespace mlsan::data {

/// What linkMeldClips found. Plain data.
struct ClipReport {
  long found = 0;        ///< utterances whose clip exists and looks like an MP4 file
  long missing = 0;      ///< utterances without a clip file (or whose subfolder is missing)
  long unreadable = 0;   ///< clip files that are empty or not an MP4 / ISO-BMFF container
  long unknownId = 0;    ///< utterances without an Utterance_ID (attach the MELD CSVs first)
  std::vector<std::string> firstMissing;     ///< the first few missing clip paths (relative)
  std::vector<std::string> firstUnreadable;  ///< the first few unreadable ones, with the reason
};

/// True when the first bytes of a file look like an MP4 / ISO-BMFF container: a first box of
/// a plausible size whose type is 'ftyp' (or another top-level box: moov, mdat, free, skip,
/// wide, pdin, styp, uuid). `fileSize` bounds the box size. Sets `why` otherwise.
bool looksLikeMp4(const unsigned char* head, std::size_t headSize, unsigned long long fileSize, std::string& why);

/// Where MELD.Raw keeps an utterance's clip: the subfolder (0 train_splits/, 1
/// dev_splits_complete/, 2 output_repeated_splits_test/) that MultiEMO's numeric dialogue key
/// points to (train Dialogue_ID, dev + 1039, test + 1153) and the file name
/// `dia{Dialogue_ID}_utt{Utterance_ID}.mp4`. folder -1 (and no file) when the key is not a number.
struct MeldClip {
  int folder = -1;
  std::string file;
};
MeldClip meldClipOf(const std::string& dialogueKey, int utteranceId);

/// Sets Utterance::clipPath (clipsDir joined with the relative path) for every utterance of
/// a MELD corpus (numeric dialogue keys as MultiEMO numbers them: the key alone tells the
/// folder and Dialogue_ID, so MultiEMO's merged train+dev works) whose clip is found and
/// readable; clears it otherwise. Lists each subfolder once and reads the first 16 bytes
/// of each clip. Records a summary, missing folders and the first few missing / unreadable
/// names in corpus.problems. Never throws for missing or bad files.
ClipReport linkMeldClips(Corpus& corpus, const std::string& clipsDir);

}  // namespace mlsan::data
