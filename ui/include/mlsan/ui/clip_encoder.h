// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Writes a short clip (MPEG-4 part 2 video + AAC audio in MP4) with FFmpeg's own encoders: the
// demo corpus's rendered utterances. Written to a temporary file beside the target and renamed
// into place, so a crash never leaves a half-written clip under the final name. Any thread.
#include <QImage>
#include <QString>
#include <vector>

namespace mlsan::ui {

struct ClipContent {
  std::vector<QImage> frames;  ///< all the same size (even width and height)
  int fps = 15;
  std::vector<float> audio;    ///< mono samples in [-1, 1]; empty: no audio track
  int sampleRate = 22050;
};

/// Encodes `clip` to `path`. False with `error` naming the file and the problem.
bool writeClip(const QString& path, const ClipContent& clip, QString* error);

}  // namespace mlsan::ui
