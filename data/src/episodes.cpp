// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/data/episodes.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>

namespace mlsan::data {

std::string Episode::title() const {
  if (season >= 0 && episode >= 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "S%02dE%02d", season, episode);
    return buf;
  }
  return std::filesystem::path(video).filename().string();
}

int Episode::spanAt(double t) const {
  // The last span starting at or before t; overlapping earlier ones are checked too.
  auto it = std::upper_bound(spans.begin(), spans.end(), t, [](double x, const EpisodeSpan& s) { return x < s.start; });
  for (int i = static_cast<int>(it - spans.begin()) - 1, looked = 0; i >= 0 && looked < 8; --i, ++looked)
    if (t < spans[static_cast<std::size_t>(i)].end) return i;
  return -1;
}

int Episode::spanOf(int dialogue, int utterance) const {
  for (std::size_t i = 0; i < spans.size(); ++i)
    if (spans[i].dialogue == dialogue && spans[i].utterance == utterance) return static_cast<int>(i);
  return -1;
}

std::vector<Episode> episodesOf(const Corpus& c) {
  std::map<std::pair<int, int>, Episode> bySeason;
  std::map<std::string, Episode> byVideo;
  std::map<std::string, int> clipUses;
  for (const auto& d : c.dialogues)
    for (const auto& u : d.utterances)
      if (!u.clipPath.empty() && u.startSeconds >= 0) ++clipUses[u.clipPath];
  for (std::size_t di = 0; di < c.dialogues.size(); ++di) {
    const Dialogue& d = c.dialogues[di];
    for (std::size_t ui = 0; ui < d.size(); ++ui) {
      const Utterance& u = d.utterances[ui];
      if (!(u.startSeconds >= 0) || !(u.endSeconds > u.startSeconds)) continue;
      const EpisodeSpan span{u.startSeconds, u.endSeconds, static_cast<int>(di), static_cast<int>(ui)};
      if (!u.clipPath.empty() && clipUses[u.clipPath] > 1) {
        Episode& e = byVideo[u.clipPath];
        e.video = u.clipPath;
        e.spans.push_back(span);
      } else if (d.season >= 0 && d.episode >= 0) {
        Episode& e = bySeason[{d.season, d.episode}];
        e.season = d.season;
        e.episode = d.episode;
        e.spans.push_back(span);
      }
    }
  }
  std::vector<Episode> out;
  for (auto& [k, e] : bySeason) out.push_back(std::move(e));
  for (auto& [k, e] : byVideo) out.push_back(std::move(e));
  for (auto& e : out)
    std::stable_sort(e.spans.begin(), e.spans.end(), [](const EpisodeSpan& a, const EpisodeSpan& b) { return a.start < b.start; });
  return out;
}

int episodeOfUtterance(const std::vector<Episode>& episodes, int dialogue, int utterance) {
  for (std::size_t i = 0; i < episodes.size(); ++i)
    if (episodes[i].spanOf(dialogue, utterance) >= 0) return static_cast<int>(i);
  return -1;
}

}  // namespace mlsan::data
