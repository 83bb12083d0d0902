// SPDX-License-Identifier: GPL-3.0-or-later
#include "media_input.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "mlsan/extract/extractors.h"

namespace mlsan::extract::detail {
namespace {

std::string secs(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", s);
  return buf;
}

}  // namespace

std::string withoutPath(const std::string& message, const std::string& path) {
  if (!path.empty() && message.rfind(path + ": ", 0) == 0) return message.substr(path.size() + 2);
  return message;
}

MediaInput MediaReader::read(const ExtractItem& item, bool audio, bool visual, int faceSide) {
  MediaInput in;
  auto failBoth = [&](const std::string& why) {
    in.audioProblem = in.videoProblem = why;
    return in;
  };
  if (!decoder_.open(item.video)) return failBoth(withoutPath(decoder_.error(), item.video));
  const double duration = decoder_.duration();
  const double start = std::max(0.0, item.start);
  double end = item.end >= 0 ? item.end : duration;
  if (item.end >= 0 && item.end <= start) return failBoth("the span is empty (" + secs(start) + " to " + secs(item.end) + ")");
  if (duration > 0 && start >= duration)
    return failBoth("the span starts at " + secs(start) + ", past the end of the file (" + secs(duration) + ")");
  if (duration > 0 && end > duration + 0.25) {
    in.warnings.push_back("the span ends at " + secs(end) + ", after the end of the file (" + secs(duration) + "); the part inside is used");
    end = duration;
  }
  if (end <= start) return failBoth("the file has no length");
  in.seconds = end - start;

  if (audio) {
    if (!decoder_.hasAudio()) {
      in.audioProblem = "no audio stream";
    } else {
      media::AudioTrack track;
      decoder_.decodeAudio(&track, kAudioSampleRate, start, item.end >= 0 ? end : -1.0);
      if (track.pcm.empty()) {
        in.audioProblem = "no audio in the span (" + secs(start) + " to " + secs(end) + ")";
      } else {
        in.samples.resize(track.pcm.size());
        for (std::size_t i = 0; i < track.pcm.size(); ++i) in.samples[i] = track.pcm[i] / 32768.0f;
        in.audioOk = true;
      }
    }
  }

  if (visual) {
    if (!decoder_.hasVideo()) {
      in.videoProblem = "no video stream";
    } else {
      const double fps = decoder_.frameRate();
      const int n = std::clamp(static_cast<int>(std::floor((end - start) * fps)), 1, kMaxFaceFrames);
      if (start > 0) decoder_.seek(start);
      const std::size_t plane = static_cast<std::size_t>(faceSide) * faceSide;
      for (int k = 0; k < n; ++k) {
        const double target = start + (k + 0.5) * (end - start) / n;
        decoder_.skipTo(target);
        media::RgbImage frame;
        double t = 0;
        if (!decoder_.nextFrame(&frame, &t)) break;
        if (t > end + 1.0 / fps) break;
        ++in.framesSampled;
        const media::FaceBox box = faces_.detect(frame);
        if (box.empty()) continue;
        const media::RgbImage crop = media::cropFace(frame, box, faceSide);
        if (crop.empty()) continue;
        const std::size_t at = in.crops.size();
        in.crops.resize(at + 3 * plane);
        for (std::size_t i = 0; i < plane; ++i)
          for (int c = 0; c < 3; ++c) in.crops[at + static_cast<std::size_t>(c) * plane + i] = crop.rgb[3 * i + static_cast<std::size_t>(c)] / 255.0f;
        ++in.faces;
      }
      if (in.framesSampled == 0) in.videoProblem = "no video frame in the span (" + secs(start) + " to " + secs(end) + ")";
      else in.videoOk = true;
    }
  }
  if (!decoder_.warning().empty()) in.warnings.push_back(withoutPath(decoder_.warning(), item.video));
  decoder_.close();
  return in;
}

}  // namespace mlsan::extract::detail
