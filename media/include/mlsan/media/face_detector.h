// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// OpenCV's frontal-face Haar cascade (from opencv-data): the largest face in a frame, for the
// player's face box and for the visual features of `mlsan extract`. Detection runs on a grey
// copy at most 320 pixels wide. No Qt; one detector per thread.
#include <memory>

#include "mlsan/media/clip_decoder.h"

namespace mlsan::media {

/// A rectangle in frame pixels; empty (w = 0) when no face was found.
struct FaceBox {
  double x = 0, y = 0, w = 0, h = 0;
  bool empty() const { return w <= 0 || h <= 0; }
};

class FaceDetector {
 public:
  FaceDetector();
  ~FaceDetector();
  /// False when the cascade file was not found or did not load.
  bool ok() const;
  /// How hard to look: the width the frame is shrunk to (default 320) and the step between
  /// the scales searched (default 1.1). `mlsan extract` uses a coarser search than the player.
  void setSearch(int maxWidth, double scaleStep);
  /// The largest face in the frame.
  FaceBox detect(const RgbImage& frame);
  /// The same on a packed RGB888 buffer with `stride` bytes per row.
  FaceBox detect(const std::uint8_t* rgb, int width, int height, int stride);

 private:
  struct Impl;
  std::unique_ptr<Impl> d_;
};

/// The square around the box's centre (side: the box's larger side, moved inside the frame),
/// resized to `side` x `side` with area averaging: the face crop of `mlsan extract`. Empty when
/// the box or the frame is.
RgbImage cropFace(const RgbImage& frame, const FaceBox& box, int side);

}  // namespace mlsan::media
