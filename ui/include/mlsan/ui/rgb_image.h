// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Between Qt's images and mlsan_media's (RGB888, rows packed): deep copies either way.
#include <QImage>

#include "mlsan/media/clip_decoder.h"

namespace mlsan::ui {

QImage toQImage(const media::RgbImage& image);
media::RgbImage toRgbImage(const QImage& image);

}  // namespace mlsan::ui
