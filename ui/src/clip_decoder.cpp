// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/clip_decoder.h"

#include <cstring>

namespace mlsan::ui {

void ClipDecoder::sync() {
  error_ = QString::fromStdString(d_.error());
  warning_ = QString::fromStdString(d_.warning());
}

bool ClipDecoder::open(const QString& path) {
  path_ = path;
  const bool ok = d_.open(path.toStdString());
  sync();
  return ok;
}

void ClipDecoder::close() {
  d_.close();
  sync();
}

bool ClipDecoder::nextFrame(QImage* image, double* seconds, int maxWidth) {
  media::RgbImage frame;
  const bool ok = d_.nextFrame(&frame, seconds, maxWidth);
  sync();
  if (!ok) return false;
  QImage img(frame.width, frame.height, QImage::Format_RGB888);
  const std::size_t row = static_cast<std::size_t>(frame.width) * 3;
  for (int y = 0; y < frame.height; ++y) std::memcpy(img.scanLine(y), frame.rgb.data() + static_cast<std::size_t>(y) * row, row);
  *image = std::move(img);
  return true;
}

bool ClipDecoder::seek(double seconds) {
  const bool ok = d_.seek(seconds);
  sync();
  return ok;
}

bool ClipDecoder::decodeAudio(AudioTrack* out, int sampleRate) {
  const bool ok = d_.decodeAudio(out, sampleRate);
  sync();
  return ok;
}

}  // namespace mlsan::ui
