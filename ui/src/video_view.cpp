// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/video_view.h"

#include <QPainter>

namespace mlsan::ui {

VideoView::VideoView(QWidget* parent) : QWidget(parent) {
  setMinimumSize(200, 140);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void VideoView::setFrame(const QImage& frame) {
  frame_ = frame;
  placeholder_.clear();
  update();
}

void VideoView::setPlaceholder(const QString& text) {
  frame_ = QImage();
  face_ = QRectF();
  placeholder_ = text;
  update();
}

void VideoView::setFaceBox(const QRectF& box) {
  face_ = box;
  update();
}

void VideoView::paintEvent(QPaintEvent*) {
  QPainter g(this);
  g.fillRect(rect(), QColor(24, 24, 28));
  if (frame_.isNull()) {
    g.setPen(QColor(220, 220, 220));
    g.drawText(rect().adjusted(16, 16, -16, -16), Qt::AlignCenter | Qt::TextWordWrap, placeholder_);
    return;
  }
  const QSize fitted = frame_.size().scaled(size(), Qt::KeepAspectRatio);
  const QRect target(QPoint((width() - fitted.width()) / 2, (height() - fitted.height()) / 2), fitted);
  g.setRenderHint(QPainter::SmoothPixmapTransform, true);
  g.drawImage(target, frame_);
  if (!face_.isEmpty()) {
    const double sx = static_cast<double>(target.width()) / frame_.width(), sy = static_cast<double>(target.height()) / frame_.height();
    const QRectF box(target.left() + face_.left() * sx, target.top() + face_.top() * sy, face_.width() * sx, face_.height() * sy);
    g.setPen(QPen(QColor(80, 255, 120), 2));
    g.setBrush(Qt::NoBrush);
    g.drawRect(box);
    g.drawText(box.topLeft() + QPointF(3, -4), tr("face"));
  }
}

}  // namespace mlsan::ui
