// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Episodes: long videos in which a corpus's utterances are spans. MELD's CSVs (and the demo
// corpus) give each dialogue a season and an episode and each utterance its start and end time
// in that episode; a corpus that `mlsan extract` made from a long video (a table with spans,
// or subtitles) gives each utterance the video and its span. The studio's episode mode plays
// such a video continuously and follows the playhead with these spans. Plain data; any thread.
#include <string>
#include <vector>

#include "mlsan/data/corpus.h"

namespace mlsan::data {

struct EpisodeSpan {
  double start = 0, end = 0;  ///< seconds in the episode's video
  int dialogue = 0, utterance = 0;
};

struct Episode {
  int season = -1, episode = -1;  ///< MELD's (or the demo's); -1 for a video of a corpus's own
  std::string video;              ///< the long video when the corpus names it ("" for MELD: the user's file)
  std::vector<EpisodeSpan> spans; ///< sorted by start
  /// "S01E02" or the video's file name.
  std::string title() const;
  double end() const { return spans.empty() ? 0.0 : spans.back().end; }
  /// The span being spoken at `seconds` (of several overlapping, the one that started last), or
  /// -1 between utterances.
  int spanAt(double seconds) const;
  /// The span of an utterance, or -1 when it is not in this episode.
  int spanOf(int dialogue, int utterance) const;
};

/// Every episode of a corpus: by season and episode for utterances with times, and by video for
/// utterances that are spans (start >= 0) of a clip that several utterances share. Utterances
/// without times are in no episode. Sorted by season and episode, then by video.
std::vector<Episode> episodesOf(const Corpus& corpus);
/// The episode holding an utterance, or -1.
int episodeOfUtterance(const std::vector<Episode>& episodes, int dialogue, int utterance);

}  // namespace mlsan::data
