// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The waveform strip under the video: a clip's audio envelope with the playhead; a click asks to
// seek. GUI thread only.
#include <QString>
#include <QWidget>

#include "mlsan/ui/clip_decoder.h"

namespace mlsan::ui {

/// The clip's audio envelope with the playhead; a click seeks.
class WaveformView : public QWidget {
  Q_OBJECT
 public:
  explicit WaveformView(QWidget* parent = nullptr);
  void setTrack(const AudioTrack* track, double duration, const QString& note = {});
  void setPosition(double seconds);
  QSize sizeHint() const override { return {480, 56}; }
  QSize minimumSizeHint() const override { return {120, 40}; }
 signals:
  void seekRequested(double seconds);

 protected:
  void paintEvent(QPaintEvent*) override;
  void mousePressEvent(QMouseEvent*) override;

 private:
  const AudioTrack* track_ = nullptr;
  double duration_ = 0, position_ = 0;
  QString note_;
};

}  // namespace mlsan::ui
