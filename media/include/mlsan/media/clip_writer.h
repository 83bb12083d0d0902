// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Writes a video (MPEG-4 part 2 video + AAC mono audio in MP4) with FFmpeg's own encoders,
// frame by frame, so that a long video (a demo episode) never has to be in memory: the demo
// corpus's rendered utterance clips and the episodes joined from them. Written to "<path>.part"
// and renamed into place by finish(), so a crash, an error or a writer destroyed unfinished
// never leaves a half-written file under the final name. No Qt; one writer per thread.
#include <memory>
#include <string>
#include <vector>

#include "mlsan/media/clip_decoder.h"

namespace mlsan::media {

class ClipWriter {
 public:
  ClipWriter();
  ~ClipWriter();  ///< an unfinished file is removed
  ClipWriter(const ClipWriter&) = delete;
  ClipWriter& operator=(const ClipWriter&) = delete;

  /// Starts `path`: frames of width x height (rounded down to even), `fps` frames a second;
  /// `sampleRate` > 0 adds a mono audio track. False with error() naming the file.
  bool open(const std::string& path, int width, int height, int fps, int sampleRate);
  /// The next video frame (scaled to the writer's size when it differs).
  bool addFrame(const RgbImage& frame);
  /// More audio samples in [-1, 1] (clipped).
  bool addAudio(const float* samples, std::size_t count);
  /// Flushes the encoders, writes the index and moves the file into place.
  bool finish();
  const std::string& error() const { return error_; }
  /// Frames and samples written so far.
  long frames() const;
  long samples() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> d_;
  std::string path_, error_;
  bool fail(const std::string& what);
};

/// A whole short clip in memory.
struct ClipContent {
  std::vector<RgbImage> frames;  ///< all the same size
  int fps = 15;
  std::vector<float> audio;      ///< mono samples in [-1, 1]; empty: no audio track
  int sampleRate = 22050;
};

/// Encodes `clip` to `path` with a ClipWriter. False with `error` naming the file.
bool writeClip(const std::string& path, const ClipContent& clip, std::string* error);

}  // namespace mlsan::media
