// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/rgb_image.h"

#include <cstring>

namespace mlsan::ui {

QImage toQImage(const media::RgbImage& image) {
  if (image.empty()) return {};
  QImage out(image.width, image.height, QImage::Format_RGB888);
  const std::size_t row = static_cast<std::size_t>(image.width) * 3;
  for (int y = 0; y < image.height; ++y) std::memcpy(out.scanLine(y), image.rgb.data() + y * row, row);
  return out;
}

media::RgbImage toRgbImage(const QImage& image) {
  media::RgbImage out;
  if (image.isNull()) return out;
  const QImage rgb = image.format() == QImage::Format_RGB888 ? image : image.convertToFormat(QImage::Format_RGB888);
  out.width = rgb.width();
  out.height = rgb.height();
  const std::size_t row = static_cast<std::size_t>(out.width) * 3;
  out.rgb.resize(row * static_cast<std::size_t>(out.height));
  for (int y = 0; y < out.height; ++y) std::memcpy(out.rgb.data() + y * row, rgb.constScanLine(y), row);
  return out;
}

}  // namespace mlsan::ui
