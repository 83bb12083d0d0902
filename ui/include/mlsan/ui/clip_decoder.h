// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Reads an utterance clip with FFmpeg (libavformat/libavcodec/libswscale/libswresample): video
// frames one at a time as QImages, with seeking, and the whole audio track at once as 16-bit PCM
// plus a peak envelope for the waveform strip. MELD clips are a few seconds long, so the audio
// is decoded up front and the video streamed. A truncated file yields the frames and samples
// before the damage and a warning; a file that cannot be read at all fails with an error that
// names it. One decoder per thread; no Qt event loop needed.
#include <QImage>
#include <QSize>
#include <QString>
#include <cstdint>
#include <memory>
#include <vector>

namespace mlsan::ui {

/// A clip's audio, resampled to mono 16-bit at `sampleRate`.
struct AudioTrack {
  int sampleRate = 0;
  std::vector<std::int16_t> pcm;
  /// Peak absolute amplitude (0..1) per envelope bin of 1/envelopeRate seconds.
  std::vector<float> envelope;
  double envelopeRate = 100.0;
  double seconds() const { return sampleRate > 0 ? static_cast<double>(pcm.size()) / sampleRate : 0.0; }
};

class ClipDecoder {
 public:
  ClipDecoder();
  ~ClipDecoder();
  ClipDecoder(const ClipDecoder&) = delete;
  ClipDecoder& operator=(const ClipDecoder&) = delete;

  /// Opens a clip. False when it cannot be read; error() then says why, naming the file.
  bool open(const QString& path);
  void close();
  bool isOpen() const;
  const QString& path() const { return path_; }
  /// The last error ("FILE: no video or audio stream", ...), empty when none.
  const QString& error() const { return error_; }
  /// Problems met while reading that did not stop it ("FILE: truncated after 1.20 s").
  const QString& warning() const { return warning_; }

  bool hasVideo() const;
  bool hasAudio() const;
  /// Container duration in seconds (0 when unknown).
  double duration() const;
  double frameRate() const;
  QSize frameSize() const;

  /// Decodes the next video frame (RGB888, at most `maxWidth` wide), and its time in seconds
  /// from the start of the clip. False at the end of the video or when the rest is unreadable.
  bool nextFrame(QImage* image, double* seconds, int maxWidth = 640);
  /// Positions the video so that the next frame returned is the one showing `seconds`.
  bool seek(double seconds);
  /// Decodes the whole audio track. False when there is none or it cannot be decoded.
  bool decodeAudio(AudioTrack* out, int sampleRate = 44100);

 private:
  struct Impl;
  std::unique_ptr<Impl> d_;
  QString path_, error_, warning_;
};

}  // namespace mlsan::ui
