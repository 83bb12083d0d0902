// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// A small real video for the tests of `mlsan extract` and the studio: flat frames that brighten
// frame by frame (no face), 10 frames a second, and a 220 Hz tone that rises by `stepHz` every
// second (no audio stream when sampleRate is 0), written with media::ClipWriter.
#include <cmath>
#include <cstdint>
#include <string>

#include "mlsan/media/clip_writer.h"

namespace clip_fixtures {

/// False with `error` when the clip cannot be written.
inline bool writeToneClip(const std::string& path, double seconds, int sampleRate, double stepHz = 0, int width = 96, int height = 64,
                          std::string* error = nullptr) {
  mlsan::media::ClipContent clip;
  clip.fps = 10;
  for (int i = 0; i < static_cast<int>(seconds * clip.fps); ++i) {
    mlsan::media::RgbImage f;
    f.width = width;
    f.height = height;
    f.rgb.assign(static_cast<std::size_t>(width) * height * 3, static_cast<std::uint8_t>(40 + i % 200));
    clip.frames.push_back(f);
  }
  clip.sampleRate = sampleRate > 0 ? sampleRate : 22050;
  if (sampleRate > 0) {
    double phase = 0;
    for (int i = 0; i < static_cast<int>(seconds * sampleRate); ++i) {
      phase += 2 * 3.14159265358979 * (220 + stepHz * (i / sampleRate)) / sampleRate;
      clip.audio.push_back(static_cast<float>(0.3 * std::sin(phase)));
    }
  }
  return mlsan::media::writeClip(path, clip, error);
}

}  // namespace clip_fixtures
