// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/waveform_view.h"

#include <QMouseEvent>
#include <QPainter>
#include <algorithm>
#include <cmath>

namespace mlsan::ui {

WaveformView::WaveformView(QWidget* parent) : QWidget(parent) {
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
  setFixedHeight(56);
}

void WaveformView::setTrack(const AudioTrack* track, double duration, const QString& note) {
  track_ = track;
  duration_ = duration;
  note_ = note;
  position_ = 0;
  update();
}

void WaveformView::setPosition(double seconds) {
  position_ = seconds;
  update();
}

void WaveformView::paintEvent(QPaintEvent*) {
  QPainter g(this);
  g.fillRect(rect(), palette().color(QPalette::Base));
  const int mid = height() / 2;
  if (!track_ || track_->envelope.empty() || duration_ <= 0) {
    g.setPen(palette().color(QPalette::PlaceholderText));
    g.drawText(rect(), Qt::AlignCenter, note_.isEmpty() ? tr("no audio") : note_);
  } else {
    g.setPen(QColor(60, 110, 180));
    const auto& env = track_->envelope;
    for (int x = 0; x < width(); ++x) {
      const double t0 = duration_ * x / width(), t1 = duration_ * (x + 1) / width();
      const std::size_t b0 = static_cast<std::size_t>(t0 * track_->envelopeRate);
      const std::size_t b1 = std::max(b0 + 1, static_cast<std::size_t>(t1 * track_->envelopeRate));
      float peak = 0;
      for (std::size_t b = b0; b < b1 && b < env.size(); ++b) peak = std::max(peak, env[b]);
      const int h = static_cast<int>(std::lround(std::min(1.0f, peak) * (mid - 3)));
      g.drawLine(x, mid - h, x, mid + h);
    }
  }
  if (duration_ > 0) {
    const int x = static_cast<int>(std::lround(std::clamp(position_ / duration_, 0.0, 1.0) * (width() - 1)));
    g.setPen(QPen(QColor(200, 30, 30), 2));
    g.drawLine(x, 0, x, height());
  }
}

void WaveformView::mousePressEvent(QMouseEvent* e) {
  if (duration_ > 0 && e->button() == Qt::LeftButton) emit seekRequested(duration_ * e->position().x() / std::max(1, width()));
}

}  // namespace mlsan::ui
