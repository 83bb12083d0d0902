// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The player's face box: media::FaceDetector (OpenCV's frontal-face Haar cascade, no Qt; shared
// with `mlsan extract`) on QImages. One detector per thread.
#include <QImage>
#include <QRectF>

#include "mlsan/media/face_detector.h"

namespace mlsan::ui {

class FaceDetector {
 public:
  /// False when the cascade file was not found or did not load.
  bool ok() const;
  /// The largest face in the frame, in frame pixels; empty when none.
  QRectF detect(const QImage& frame);

 private:
  media::FaceDetector d_;
};

}  // namespace mlsan::ui
