// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Internal to mlsan_extract: one utterance's media as the extractors take it: the span's audio
// at 16 kHz mono float, and the largest face of up to 20 frames spread over the span, cropped
// and resized (N x 3 x S x S floats, 0..1). Each worker thread has its own MediaReader.
#include <string>
#include <vector>

#include "mlsan/extract/plan.h"
#include "mlsan/media/clip_decoder.h"
#include "mlsan/media/face_detector.h"

namespace mlsan::extract::detail {

struct MediaInput {
  double seconds = 0;         ///< the span's length within the file
  bool audioOk = false, videoOk = false;
  std::string audioProblem, videoProblem;  ///< why not, when not ok
  std::vector<float> samples;  ///< 16 kHz mono
  std::vector<float> crops;    ///< faces x 3 x side x side
  int faces = 0, framesSampled = 0;
  std::vector<std::string> warnings;  ///< the decoder's notes (a truncated file, a span past the end)
};

class MediaReader {
 public:
  /// Faces are searched in frames shrunk to 240 pixels wide, scales 1.2 apart: a conversation's
  /// faces are large, and this is about 3 times faster than the player's search.
  MediaReader() { faces_.setSearch(240, 1.2); }
  bool faceDetectorOk() const { return faces_.ok(); }
  /// Reads the item's media: its audio when `audio`, its face crops of side `faceSide` when `visual`.
  MediaInput read(const ExtractItem& item, bool audio, bool visual, int faceSide);

 private:
  media::ClipDecoder decoder_;
  media::FaceDetector faces_;
};

/// A decoder message without the "FILE: " prefix (the problem names the file already).
std::string withoutPath(const std::string& message, const std::string& path);

}  // namespace mlsan::extract::detail
