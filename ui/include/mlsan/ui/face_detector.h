// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// OpenCV's frontal-face Haar cascade (from opencv-data), for the player's face box: the region
// the visual features describe. Detection runs on a grey copy at most 320 pixels wide.
// One detector per thread.
#include <QImage>
#include <QRectF>
#include <memory>

namespace mlsan::ui {

class FaceDetector {
 public:
  FaceDetector();
  ~FaceDetector();
  /// False when the cascade file was not found or did not load.
  bool ok() const;
  /// The largest face in the frame, in frame pixels; empty when none.
  QRectF detect(const QImage& frame);

 private:
  struct Impl;
  std::unique_ptr<Impl> d_;
};

}  // namespace mlsan::ui
