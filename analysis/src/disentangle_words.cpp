// SPDX-License-Identifier: GPL-3.0-or-later
// The disentanglement numbers in words (disentangle.h): one sentence per representation, the
// same for `mlsan disentangle` and the studio's Embeddings tab.
#include <cmath>
#include <cstdio>

#include "mlsan/analysis/disentangle.h"

namespace mlsan::analysis {
namespace {

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100 * v);
  return buf;
}

std::string fixed3(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

std::string points(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", std::abs(100 * v));
  return buf;
}

double overallLift(const DisentangleNumbers& n) { return n.speakerProbe.accuracy - n.speakerProbe.chance; }
double withinLift(const DisentangleNumbers& n) { return n.speakerWithinEmotion.accuracy - n.speakerWithinEmotion.chance; }

}  // namespace

SpeakerInformation speakerInformation(const DisentangleNumbers& n) {
  const double margin = kSpeakerLiftPoints / 100.0;
  if (std::isnan(withinLift(n))) return overallLift(n) >= margin ? SpeakerInformation::Decodable : SpeakerInformation::None;
  if (withinLift(n) >= margin) return SpeakerInformation::BeyondEmotion;
  if (overallLift(n) >= margin) return SpeakerInformation::ThroughEmotion;
  return SpeakerInformation::None;
}

std::string describeDisentanglement(const std::string& name, const DisentangleNumbers& n, const std::string& previousName,
                                    const DisentangleNumbers* previous) {
  if (!n.error.empty()) return name + ": not measured (" + n.error + ").";
  const std::string overall = percent(n.speakerProbe.accuracy) + " against " + percent(n.speakerProbe.chance);
  const std::string within = percent(n.speakerWithinEmotion.accuracy) + " against " + percent(n.speakerWithinEmotion.chance);
  std::string s = name + ": ";
  switch (speakerInformation(n)) {
    case SpeakerInformation::BeyondEmotion:
      s += "speaker identity is decodable beyond what the emotion explains (within each emotion " + within + " by chance).";
      break;
    case SpeakerInformation::ThroughEmotion:
      s += "the speaker is decodable (" + overall + " by chance) only through the emotion: within each emotion the probe is at "
           "chance (" + within + "), so this is the speakers' different emotion mixes, not entanglement.";
      break;
    case SpeakerInformation::Decodable:
      s += "the speaker is decodable (" + overall + " by chance); whether beyond the emotion was not measured (" +
           n.speakerWithinEmotion.error + ").";
      break;
    case SpeakerInformation::None:
      s += "no speaker identity is linearly decodable (" + overall + " by chance" +
           (std::isnan(withinLift(n)) ? std::string(")." ) : "; within each emotion " + within + ").");
      break;
  }
  if (previous && previous->error.empty() && !std::isnan(withinLift(n)) && !std::isnan(withinLift(*previous))) {
    const double change = withinLift(n) - withinLift(*previous);
    s += " Against " + previousName + ": speaker information beyond emotion ";
    if (std::abs(100 * change) < kSpeakerLiftPoints) s += "about the same (" + (change >= 0 ? std::string("+") : std::string("-")) + points(change) + " points)";
    else s += std::string(change > 0 ? "+" : "-") + points(change) + " points";
    const double de = n.silhouetteEmotion - previous->silhouetteEmotion;
    if (std::abs(de) < 0.0005) s += "; emotion silhouette unchanged (" + fixed3(n.silhouetteEmotion) + ").";
    else s += "; emotion silhouette " + fixed3(previous->silhouetteEmotion) + " -> " + fixed3(n.silhouetteEmotion) + ".";
  }
  const EmotionTransfer& t = n.emotionAcrossSpeakers;
  if (t.error.empty() && std::isfinite(t.acrossSpeakers)) {
    s += " Emotion read on speakers the probe never saw: " + percent(t.acrossSpeakers) + ", on speakers it was trained on " +
         percent(t.withinSpeakers) + " (chance " + percent(t.chance) + ")";
    if (100 * t.gap() >= kSpeakerLiftPoints) s += ": each speaker shows emotion in a way of their own.";
    else s += ": emotion looks alike across speakers.";
  }
  return s;
}

}  // namespace mlsan::analysis
