// SPDX-License-Identifier: GPL-3.0-or-later
// Episodes: the spans a long video's playhead maps onto (data/episodes.h).
#include <gtest/gtest.h>

#include "mlsan/data/demo_corpus.h"
#include "mlsan/data/episodes.h"

using namespace mlsan::data;

TEST(Episodes, TheDemoCorpusHasEighteenDialoguesAnEpisodeWithGapsBetweenUtterances) {
  DemoConfig cfg;
  cfg.dialogues = 40;
  const Corpus c = makeDemoCorpus(cfg);
  const auto eps = episodesOf(c);
  ASSERT_EQ(eps.size(), 3u);  // 18 + 18 + 4 dialogues
  EXPECT_EQ(eps[0].title(), "S01E01");
  EXPECT_EQ(eps[2].title(), "S01E03");
  const Episode& e = eps[1];
  // Every utterance of its dialogues, in time order.
  std::size_t n = 0;
  for (int d = 18; d < 36; ++d) n += c.dialogues[static_cast<std::size_t>(d)].size();
  ASSERT_EQ(e.spans.size(), n);
  for (std::size_t i = 1; i < e.spans.size(); ++i) EXPECT_GE(e.spans[i].start, e.spans[i - 1].end);
  // The playhead: inside a span it names that utterance; in the 0.3 s gap after it, nobody.
  const EpisodeSpan& s = e.spans[5];
  EXPECT_EQ(e.spanAt((s.start + s.end) / 2), 5);
  EXPECT_EQ(e.spanAt(s.end + 0.1), -1);
  EXPECT_EQ(e.spanAt(-1), -1);
  EXPECT_EQ(e.spanAt(e.end() + 1), -1);
  EXPECT_EQ(e.spanOf(s.dialogue, s.utterance), 5);
  EXPECT_EQ(episodeOfUtterance(eps, s.dialogue, s.utterance), 1);
}

TEST(Episodes, SpansOfOneLongVideoFormAnEpisodeOfTheirOwn) {
  Corpus c;
  c.labels = meldLabels();
  c.speakers = {"A"};
  Dialogue d;
  d.key = "talk";
  for (double t : {4.0, 0.0, 2.0}) {  // out of order, and one overlapping the next
    Utterance u;
    u.startSeconds = t;
    u.endSeconds = t + 2.5;
    u.clipPath = "/videos/talk.mp4";
    d.utterances.push_back(u);
  }
  Utterance single;  // a clip of its own: no episode
  single.startSeconds = 0;
  single.endSeconds = 1;
  single.clipPath = "/videos/other.mp4";
  d.utterances.push_back(single);
  Utterance untimed;
  untimed.clipPath = "/videos/talk.mp4";
  d.utterances.push_back(untimed);
  c.dialogues.push_back(d);
  c.reindexRows();
  const auto eps = episodesOf(c);
  ASSERT_EQ(eps.size(), 1u);
  EXPECT_EQ(eps[0].title(), "talk.mp4");
  ASSERT_EQ(eps[0].spans.size(), 3u);
  EXPECT_EQ(eps[0].spans[0].utterance, 1);
  // At 2.2 s, in utterances 1 (0-2.5) and 2 (2-4.5): the one that started later.
  EXPECT_EQ(eps[0].spans[static_cast<std::size_t>(eps[0].spanAt(2.2))].utterance, 2);
  EXPECT_EQ(eps[0].spanAt(6.6), -1);
  EXPECT_EQ(episodeOfUtterance(eps, 0, 3), -1);
}
