// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The player: the current utterance's clip, decoded with FFmpeg (frames shown in a widget, the
// sound through QtMultimedia's QAudioSink), play / pause / seek, a waveform strip of the clip's
// audio under the video, an optional face box from OpenCV's frontal-face detector, and a
// dialogue mode that plays utterance after utterance and steps every view along. With no audio
// device, playback goes on silently and says so. A missing or unreadable clip shows a
// placeholder that says what is wrong. GUI thread only.
#include <QElapsedTimer>
#include <QImage>
#include <QRectF>
#include <QWidget>
#include <memory>

#include "mlsan/data/episodes.h"
#include "mlsan/ui/clip_decoder.h"
#include "mlsan/ui/video_view.h"
#include "mlsan/ui/waveform_view.h"

class QAudioSink;
class QBuffer;
class QCheckBox;
class QLabel;
class QSlider;
class QTimer;
class QToolButton;

namespace mlsan::ui {

class StudioState;
class FaceDetector;

class PlayerPanel : public QWidget {
  Q_OBJECT
 public:
  explicit PlayerPanel(StudioState& state, QWidget* parent = nullptr);
  ~PlayerPanel() override;

  bool hasClip() const { return decoder_.isOpen() && decoder_.hasVideo(); }
  bool isPlaying() const { return playing_; }
  double position() const;
  double duration() const { return duration_; }
  const QImage& currentFrame() const;
  QString placeholderText() const;
  /// "" when sound plays; otherwise why it does not ("No audio device: playing silently", ...).
  QString audioStatus() const { return audioStatus_; }
  QRectF faceBox() const { return face_; }
  bool faceDetectorAvailable() const;
  int framesShown() const { return framesShown_; }
  bool dialogueMode() const;
  QToolButton* playButton() const { return play_; }
  QCheckBox* dialogueModeBox() const { return dialogueBox_; }
  QCheckBox* faceBoxToggle() const { return faceBoxToggle_; }
  QSlider* slider() const { return slider_; }
  VideoView* videoView() const { return video_; }
  /// Episode mode: a whole episode's video plays continuously and the current utterance follows
  /// the playhead through the episode's spans; between them the studio says nobody is
  /// speaking. Selecting an utterance of the episode anywhere seeks to it; one outside it leaves
  /// episode mode. False with `error` naming the file when the video cannot be read.
  bool openEpisode(const data::Episode& episode, const QString& video, QString* error = nullptr);
  void leaveEpisode();
  bool episodeMode() const { return episodeMode_; }
  const data::Episode& episode() const { return episode_; }
  QToolButton* leaveEpisodeButton() const { return leaveEpisode_; }
  WaveformView* waveformView() const { return waveform_; }

 public slots:
  void play();
  void pause();
  void togglePlay();
  void seek(double seconds);
  void setDialogueMode(bool on);
  /// Loads the current utterance's clip and shows its first frame (paused).
  void loadCurrent();

 signals:
  void playingChanged(bool playing);
  /// The clip of the current utterance has been loaded (or failed), for the benchmark.
  void clipLoaded(bool ok);
  void episodeModeChanged(bool on);

 private:
  void tick();
  void showFrameAt(double seconds);
  void startAudioAt(double seconds);
  void stopAudio();
  void updateTimeLabel();
  void detectFace();
  /// Episode mode: selects the utterance spoken at `seconds`, or says nobody is speaking.
  void followPlayhead(double seconds);
  /// Stops playback and closes the clip (the views show nothing loaded).
  void closeMedia();
  /// Sets up the decoder's clip (audio, waveform, slider, first frame); false with `error`.
  bool openMedia(const QString& path, int audioRate, QString* error);

  StudioState& state_;
  ClipDecoder decoder_;
  AudioTrack audio_;
  std::unique_ptr<FaceDetector> faces_;
  VideoView* video_ = nullptr;
  WaveformView* waveform_ = nullptr;
  QToolButton* play_ = nullptr;
  QSlider* slider_ = nullptr;
  QLabel* time_ = nullptr;
  QLabel* status_ = nullptr;
  QCheckBox* dialogueBox_ = nullptr;
  QCheckBox* faceBoxToggle_ = nullptr;
  QTimer* timer_ = nullptr;
  QAudioSink* sink_ = nullptr;
  QBuffer* sinkBuffer_ = nullptr;
  QElapsedTimer clock_;
  double clockOffset_ = 0;  // clip time when clock_ started
  double duration_ = 0;
  double shownTime_ = -1;   // time of the frame on screen
  double lastFaceTime_ = -10;
  bool playing_ = false;
  bool pendingFrame_ = false;  // a decoded frame not yet shown
  QImage pending_;
  double pendingTime_ = 0;
  int framesShown_ = 0;
  QRectF face_;
  QString audioStatus_;
  bool sliderDragging_ = false;
  bool episodeMode_ = false;
  bool following_ = false;  ///< the current utterance is being set from the playhead
  data::Episode episode_;
  QToolButton* leaveEpisode_ = nullptr;
};

}  // namespace mlsan::ui
