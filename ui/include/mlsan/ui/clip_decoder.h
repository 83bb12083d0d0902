// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The player's clip reader: media::ClipDecoder (FFmpeg, no Qt; shared with `mlsan extract`) with
// Qt types at its edges: QString paths and messages, QImage frames. MELD clips are a few seconds
// long, so the audio is decoded up front and the video streamed. A truncated file yields the
// frames and samples before the damage and a warning; a file that cannot be read at all fails
// with an error that names it. One decoder per thread; no Qt event loop needed.
#include <QImage>
#include <QSize>
#include <QString>

#include "mlsan/media/clip_decoder.h"

namespace mlsan::ui {

/// A clip's audio, resampled to mono 16-bit at `sampleRate`.
using AudioTrack = media::AudioTrack;

class ClipDecoder {
 public:
  /// Opens a clip. False when it cannot be read; error() then says why, naming the file.
  bool open(const QString& path);
  void close();
  bool isOpen() const { return d_.isOpen(); }
  const QString& path() const { return path_; }
  /// The last error ("FILE: no video or audio stream", ...), empty when none.
  const QString& error() const { return error_; }
  /// Problems met while reading that did not stop it ("FILE: truncated after 1.20 s").
  const QString& warning() const { return warning_; }

  bool hasVideo() const { return d_.hasVideo(); }
  bool hasAudio() const { return d_.hasAudio(); }
  /// Container duration in seconds (0 when unknown).
  double duration() const { return d_.duration(); }
  double frameRate() const { return d_.frameRate(); }
  QSize frameSize() const { return hasVideo() ? QSize(d_.frameWidth(), d_.frameHeight()) : QSize(); }

  /// Decodes the next video frame (RGB888, at most `maxWidth` wide), and its time in seconds
  /// from the start of the clip. False at the end of the video or when the rest is unreadable.
  bool nextFrame(QImage* image, double* seconds, int maxWidth = 640);
  /// Positions the video so that the next frame returned is the one showing `seconds`.
  bool seek(double seconds);
  /// Decodes the whole audio track. False when there is none or it cannot be decoded.
  bool decodeAudio(AudioTrack* out, int sampleRate = 44100);

 private:
  void sync();  ///< copies the decoder's messages
  media::ClipDecoder d_;
  QString path_, error_, warning_;
};

}  // namespace mlsan::ui
