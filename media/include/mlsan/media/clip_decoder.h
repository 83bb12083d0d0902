// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Reads a video or audio file with FFmpeg (libavformat/libavcodec/libswscale/libswresample): video
// frames one at a time as RGB images, with seeking, and the whole audio track at once as 16-bit
// mono PCM plus a peak envelope. One decoder for the studio's player (through ui::ClipDecoder)
// and for `mlsan extract`. A truncated file yields the frames and samples before the damage and a
// warning; a file that cannot be read at all fails with an error that names it. No Qt; one
// decoder per thread.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mlsan::media {

/// A frame, RGB888, rows packed (stride = 3 * width).
struct RgbImage {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgb;
  bool empty() const { return width <= 0 || height <= 0; }
};

/// A file's audio, resampled to mono 16-bit at `sampleRate`.
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

  /// Opens a file. False when it cannot be read; error() then says why, naming the file.
  bool open(const std::string& path);
  void close();
  bool isOpen() const;
  const std::string& path() const { return path_; }
  /// The last error ("FILE: no video or audio stream", ...), empty when none.
  const std::string& error() const { return error_; }
  /// Problems met while reading that did not stop it ("FILE: truncated: the video ends at ...").
  const std::string& warning() const { return warning_; }

  bool hasVideo() const;
  bool hasAudio() const;
  /// Container duration in seconds (0 when unknown).
  double duration() const;
  double frameRate() const;
  int frameWidth() const;
  int frameHeight() const;

  /// Decodes the next video frame (at most `maxWidth` wide), and its time in seconds from the
  /// start of the file. False at the end of the video or when the rest is unreadable.
  bool nextFrame(RgbImage* image, double* seconds, int maxWidth = 640);
  /// Positions the video so that the next frame returned is the one showing `seconds`.
  bool seek(double seconds);
  /// Skips forward without seeking: the next frame returned is the first one showing
  /// `seconds` or later (frames before it are decoded but never converted).
  bool skipTo(double seconds);
  /// Decodes the whole audio track. False when there is none or it cannot be decoded.
  bool decodeAudio(AudioTrack* out, int sampleRate = 44100);
  /// Decodes the audio of [start, end) seconds (end < 0: to the end of the file), seeking in a
  /// long file. The samples start at `start` (within a few samples of the resampler's delay).
  /// An empty track when the span lies past the audio's end; a warning when it ends inside it.
  bool decodeAudio(AudioTrack* out, int sampleRate, double start, double end);

 private:
  struct Impl;
  std::unique_ptr<Impl> d_;
  std::string path_, error_, warning_;
};

}  // namespace mlsan::media
