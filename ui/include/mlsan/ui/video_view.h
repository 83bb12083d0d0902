// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The player's picture: the current frame kept in proportion, the face box over it, or a
// placeholder text when there is no frame. GUI thread only.
#include <QImage>
#include <QRectF>
#include <QString>
#include <QWidget>

namespace mlsan::ui {

/// Paints the current frame (kept in proportion), the face box, or a placeholder text.
class VideoView : public QWidget {
  Q_OBJECT
 public:
  explicit VideoView(QWidget* parent = nullptr);
  void setFrame(const QImage& frame);
  void setPlaceholder(const QString& text);
  void setFaceBox(const QRectF& box);  ///< in frame pixels; empty = none
  const QImage& frame() const { return frame_; }
  const QString& placeholder() const { return placeholder_; }
  QSize sizeHint() const override { return {480, 300}; }

 protected:
  void paintEvent(QPaintEvent*) override;

 private:
  QImage frame_;
  QString placeholder_;
  QRectF face_;
};

}  // namespace mlsan::ui
