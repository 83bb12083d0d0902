// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/face_detector.h"

namespace mlsan::ui {

bool FaceDetector::ok() const { return d_.ok(); }

QRectF FaceDetector::detect(const QImage& frame) {
  if (frame.isNull()) return {};
  const QImage rgb = frame.format() == QImage::Format_RGB888 ? frame : frame.convertToFormat(QImage::Format_RGB888);
  const media::FaceBox b = d_.detect(rgb.constBits(), rgb.width(), rgb.height(), static_cast<int>(rgb.bytesPerLine()));
  return b.empty() ? QRectF() : QRectF(b.x, b.y, b.w, b.h);
}

}  // namespace mlsan::ui
