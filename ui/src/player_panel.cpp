// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/player_panel.h"

#include <QAudioDevice>
#include <QAudioFormat>
#include <QAudioSink>
#include <QBuffer>
#include <QCheckBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMediaDevices>
#include <QMouseEvent>
#include <QPainter>
#include <QSlider>
#include <QStyle>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "mlsan/ui/demo_clips.h"
#include "mlsan/ui/face_detector.h"
#include "mlsan/ui/studio_state.h"
#include "mlsan/ui/view_timer.h"

namespace mlsan::ui {

PlayerPanel::PlayerPanel(StudioState& state, QWidget* parent) : QWidget(parent), state_(state) {
  faces_ = std::make_unique<FaceDetector>();
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(2, 2, 2, 2);
  video_ = new VideoView;
  video_->setObjectName("playerVideo");
  layout->addWidget(video_, 1);
  waveform_ = new WaveformView;
  waveform_->setObjectName("playerWaveform");
  layout->addWidget(waveform_);
  auto* controls = new QHBoxLayout;
  play_ = new QToolButton;
  play_->setObjectName("playerPlay");
  play_->setIcon(style()->standardIcon(QStyle::SP_MediaPlay));
  play_->setToolTip(tr("Play / pause (Space)"));
  controls->addWidget(play_);
  slider_ = new QSlider(Qt::Horizontal);
  slider_->setObjectName("playerSlider");
  slider_->setRange(0, 0);
  controls->addWidget(slider_, 1);
  time_ = new QLabel(QStringLiteral("0.00 / 0.00 s"));
  time_->setObjectName("playerTime");
  time_->setMinimumWidth(time_->fontMetrics().horizontalAdvance(QStringLiteral("00.00 / 00.00 s")) + 6);
  controls->addWidget(time_);
  dialogueBox_ = new QCheckBox(tr("Dialogue mode"));
  dialogueBox_->setObjectName("playerDialogueMode");
  dialogueBox_->setToolTip(tr("Play the dialogue utterance after utterance; every view steps along"));
  controls->addWidget(dialogueBox_);
  faceBoxToggle_ = new QCheckBox(tr("Face box"));
  faceBoxToggle_->setObjectName("playerFaceBox");
  faceBoxToggle_->setChecked(faces_->ok());
  faceBoxToggle_->setEnabled(faces_->ok());
  faceBoxToggle_->setToolTip(faces_->ok() ? tr("Draw the face OpenCV's detector finds: the region the visual features describe")
                                          : tr("OpenCV's face cascade was not found (install opencv-data)"));
  controls->addWidget(faceBoxToggle_);
  leaveEpisode_ = new QToolButton;
  leaveEpisode_->setObjectName("playerLeaveEpisode");
  leaveEpisode_->setToolTip(tr("Back to the current utterance's own clip"));
  leaveEpisode_->setVisible(false);
  controls->addWidget(leaveEpisode_);
  connect(leaveEpisode_, &QToolButton::clicked, this, &PlayerPanel::leaveEpisode);
  layout->addLayout(controls);
  status_ = new QLabel;
  status_->setObjectName("playerStatus");
  status_->setWordWrap(true);
  layout->addWidget(status_);

  timer_ = new QTimer(this);
  timer_->setTimerType(Qt::PreciseTimer);
  connect(timer_, &QTimer::timeout, this, &PlayerPanel::tick);
  connect(play_, &QToolButton::clicked, this, &PlayerPanel::togglePlay);
  connect(slider_, &QSlider::sliderPressed, this, [this] { sliderDragging_ = true; });
  connect(slider_, &QSlider::sliderReleased, this, [this] {
    sliderDragging_ = false;
    seek(slider_->value() / 1000.0);
  });
  connect(slider_, &QSlider::actionTriggered, this, [this](int action) {
    if (action != QAbstractSlider::SliderMove) QTimer::singleShot(0, this, [this] { seek(slider_->value() / 1000.0); });
  });
  connect(waveform_, &WaveformView::seekRequested, this, &PlayerPanel::seek);
  connect(faceBoxToggle_, &QCheckBox::toggled, this, [this](bool on) {
    face_ = QRectF();
    lastFaceTime_ = -10;
    if (on) detectFace();
    video_->setFaceBox(face_);
  });
  connect(&state_, &StudioState::currentChanged, this, &PlayerPanel::loadCurrent);
  connect(&state_, &StudioState::corpusChanged, this, [this] {
    if (episodeMode_) {
      episodeMode_ = false;
      episode_ = data::Episode{};
      leaveEpisode_->setVisible(false);
      dialogueBox_->setEnabled(true);
      emit episodeModeChanged(false);
    }
    loadCurrent();
  });
  loadCurrent();
}

PlayerPanel::~PlayerPanel() { stopAudio(); }

bool PlayerPanel::faceDetectorAvailable() const { return faces_->ok(); }
bool PlayerPanel::dialogueMode() const { return dialogueBox_->isChecked(); }
void PlayerPanel::setDialogueMode(bool on) { dialogueBox_->setChecked(on); }
const QImage& PlayerPanel::currentFrame() const { return video_->frame(); }
QString PlayerPanel::placeholderText() const { return video_->placeholder(); }

double PlayerPanel::position() const {
  if (!playing_) return std::max(0.0, shownTime_);
  return std::min(duration_, clockOffset_ + clock_.elapsed() / 1000.0);
}

void PlayerPanel::loadCurrent() {
  ViewTimer timing("player (load clip)");
  if (episodeMode_) {
    if (following_) return;  // the playhead moved the selection: nothing to load
    const int span = state_.currentRow() >= 0 ? episode_.spanOf(state_.currentDialogue(), state_.currentUtterance()) : -1;
    if (span >= 0) {
      seek(episode_.spans[static_cast<std::size_t>(span)].start);
      return;
    }
    leaveEpisode();  // an utterance outside the episode: back to its own clip
    return;
  }
  const bool continuePlaying = playing_ && dialogueMode();
  closeMedia();
  const long row = state_.currentRow();
  if (row < 0) {
    video_->setPlaceholder(state_.hasCorpus() ? tr("No utterance selected") : tr("No corpus open"));
    updateTimeLabel();
    emit clipLoaded(false);
    return;
  }
  const auto& c = *state_.corpus();
  const auto& u = c.dialogues[static_cast<std::size_t>(state_.currentDialogue())].utterances[static_cast<std::size_t>(state_.currentUtterance())];
  // A span of a long video the corpus names (a corpus `mlsan extract` made from one): episode mode.
  if (!state_.demoClips() && !u.clipPath.empty()) {
    const int e = data::episodeOfUtterance(state_.episodes(), state_.currentDialogue(), state_.currentUtterance());
    const data::Episode* episode = e >= 0 ? &state_.episodes()[static_cast<std::size_t>(e)] : nullptr;
    if (episode && episode->video == u.clipPath && openEpisode(*episode, QString::fromStdString(u.clipPath))) {
      emit clipLoaded(true);
      return;
    }
  }
  QString path, error;
  if (state_.demoClips()) {
    path = state_.demoClips()->clipFor(state_.currentDialogue(), state_.currentUtterance(), &error);
  } else if (!u.clipPath.empty()) {
    path = QString::fromStdString(u.clipPath);
  } else {
    error = tr("No clip for this utterance. For MELD, open the corpus with its MELD.Raw clips folder "
               "(File \u203A Open corpus, \u201Cclips\u201D).");
  }
  if (error.isEmpty() && !openMedia(path, 44100, &error)) {
    updateTimeLabel();
    emit clipLoaded(false);
    return;
  }
  if (!error.isEmpty()) {
    video_->setPlaceholder(tr("No video\n\n%1").arg(error));
    status_->setText(error);
    updateTimeLabel();
    emit clipLoaded(false);
    return;
  }
  QStringList notes;
  if (!decoder_.warning().isEmpty()) notes << decoder_.warning();
  if (!decoder_.hasAudio()) notes << tr("This clip has no audio track.");
  status_->setText(notes.join(' '));
  updateTimeLabel();
  emit clipLoaded(true);
  if (continuePlaying) play();
}

bool PlayerPanel::openMedia(const QString& path, int audioRate, QString* error) {
  QString why;
  if (!QFileInfo::exists(path)) why = tr("%1: the clip file is missing").arg(path);
  else if (!decoder_.open(path)) why = decoder_.error();
  if (!why.isEmpty()) {
    decoder_.close();
    video_->setPlaceholder(tr("No video\n\n%1").arg(why));
    status_->setText(why);
    if (error) *error = why;
    return false;
  }
  duration_ = decoder_.duration();
  if (decoder_.hasAudio()) decoder_.decodeAudio(&audio_, audioRate);
  if (duration_ <= 0) duration_ = audio_.seconds();
  waveform_->setTrack(audio_.pcm.empty() ? nullptr : &audio_, duration_, decoder_.hasAudio() ? tr("audio unreadable") : tr("no audio track"));
  slider_->setRange(0, static_cast<int>(std::lround(duration_ * 1000)));
  slider_->setValue(0);
  if (decoder_.hasVideo()) showFrameAt(0);
  else video_->setPlaceholder(tr("This clip has no video track (audio only)."));
  return true;
}

void PlayerPanel::closeMedia() {
  timer_->stop();
  stopAudio();
  playing_ = false;
  decoder_.close();
  audio_ = AudioTrack{};
  duration_ = 0;
  shownTime_ = -1;
  face_ = QRectF();
  lastFaceTime_ = -10;
  pendingFrame_ = false;
  slider_->setRange(0, 0);
  status_->clear();
  audioStatus_.clear();
  waveform_->setTrack(nullptr, 0);
  play_->setIcon(style()->standardIcon(QStyle::SP_MediaPlay));
}

bool PlayerPanel::openEpisode(const data::Episode& episode, const QString& video, QString* error) {
  closeMedia();
  // A whole episode's sound at 22,050 Hz: 53 MB for twenty minutes.
  if (!openMedia(video, 22050, error)) {
    const bool was = episodeMode_;
    episodeMode_ = false;
    if (was) emit episodeModeChanged(false);
    return false;
  }
  episode_ = episode;
  episodeMode_ = true;
  leaveEpisode_->setText(tr("Leave episode %1").arg(QString::fromStdString(episode.title())));
  leaveEpisode_->setVisible(true);
  dialogueBox_->setEnabled(false);
  status_->setText(tr("Episode %1: %2 utterances over %3 s; every view follows the playhead.")
                       .arg(QString::fromStdString(episode.title()))
                       .arg(episode.spans.size())
                       .arg(duration_, 0, 'f', 0));
  emit episodeModeChanged(true);
  const int span = state_.currentRow() >= 0 ? episode_.spanOf(state_.currentDialogue(), state_.currentUtterance()) : -1;
  seek(span >= 0 ? episode_.spans[static_cast<std::size_t>(span)].start : 0.0);
  updateTimeLabel();
  return true;
}

void PlayerPanel::leaveEpisode() {
  if (!episodeMode_) return;
  episodeMode_ = false;
  episode_ = data::Episode{};
  leaveEpisode_->setVisible(false);
  dialogueBox_->setEnabled(true);
  state_.setNobodySpeaking(false);
  emit episodeModeChanged(false);
  loadCurrent();
}

void PlayerPanel::followPlayhead(double seconds) {
  if (!episodeMode_) return;
  const int span = episode_.spanAt(seconds);
  if (span < 0) {
    state_.setNobodySpeaking(true);
    return;
  }
  const data::EpisodeSpan& s = episode_.spans[static_cast<std::size_t>(span)];
  following_ = true;
  state_.setCurrent(s.dialogue, s.utterance);
  following_ = false;
}

void PlayerPanel::showFrameAt(double seconds) {
  // Decode forward to the frame showing `seconds` (seek first if it lies behind).
  if (!decoder_.hasVideo()) return;
  if (seconds < shownTime_ || (shownTime_ < 0 && seconds > 0.5) || seconds > shownTime_ + 2.0) {
    decoder_.seek(seconds);
    pendingFrame_ = false;
  }
  const double fps = std::max(1.0, decoder_.frameRate());
  QImage img;
  double t = 0;
  bool got = false;
  QImage best;
  double bestTime = 0;
  if (pendingFrame_) {
    if (pendingTime_ > seconds + 0.5 / fps) return;  // the next frame is still in the future
    best = pending_;
    bestTime = pendingTime_;
    got = true;
    pendingFrame_ = false;
  }
  while (decoder_.nextFrame(&img, &t)) {
    if (t > seconds + 0.5 / fps && got) {
      pending_ = img;  // keep it for the next tick
      pendingTime_ = t;
      pendingFrame_ = true;
      break;
    }
    best = img;
    bestTime = t;
    got = true;
    if (t > seconds + 0.5 / fps) break;
  }
  if (!got) return;
  video_->setFrame(best);
  shownTime_ = bestTime;
  ++framesShown_;
  if (faceBoxToggle_->isChecked() && std::abs(bestTime - lastFaceTime_) >= 0.2) detectFace();
  video_->setFaceBox(faceBoxToggle_->isChecked() ? face_ : QRectF());
}

void PlayerPanel::detectFace() {
  if (video_->frame().isNull()) return;
  face_ = faces_->detect(video_->frame());
  lastFaceTime_ = shownTime_;
}

void PlayerPanel::startAudioAt(double seconds) {
  stopAudio();
  if (audio_.pcm.empty()) {
    audioStatus_ = decoder_.hasAudio() ? tr("The audio track could not be decoded: playing silently.")
                                       : tr("No audio track: playing silently.");
    return;
  }
  const QAudioDevice device = QMediaDevices::defaultAudioOutput();
  if (device.isNull()) {
    audioStatus_ = tr("No audio device: playing silently.");
    return;
  }
  QAudioFormat format;
  format.setSampleRate(audio_.sampleRate);
  format.setChannelCount(1);
  format.setSampleFormat(QAudioFormat::Int16);
  if (!device.isFormatSupported(format)) {
    audioStatus_ = tr("The audio device does not take 16-bit mono at %1 Hz: playing silently.").arg(audio_.sampleRate);
    return;
  }
  const std::size_t first = std::min(audio_.pcm.size(), static_cast<std::size_t>(seconds * audio_.sampleRate));
  sinkBuffer_ = new QBuffer(this);
  sinkBuffer_->setData(reinterpret_cast<const char*>(audio_.pcm.data() + first),
                       static_cast<qsizetype>((audio_.pcm.size() - first) * sizeof(std::int16_t)));
  sinkBuffer_->open(QIODevice::ReadOnly);
  sink_ = new QAudioSink(device, format, this);
  sink_->start(sinkBuffer_);
  if (sink_->error() != QAudio::NoError) {
    stopAudio();
    audioStatus_ = tr("The audio device could not be opened: playing silently.");
    return;
  }
  audioStatus_.clear();
}

void PlayerPanel::stopAudio() {
  if (sink_) {
    sink_->stop();
    delete sink_;
    sink_ = nullptr;
  }
  if (sinkBuffer_) {
    delete sinkBuffer_;
    sinkBuffer_ = nullptr;
  }
}

void PlayerPanel::play() {
  if (playing_ || !decoder_.isOpen()) return;
  double from = std::max(0.0, shownTime_);
  if (from >= duration_ - 0.05) {  // at the end: start over
    from = 0;
    showFrameAt(0);
  }
  playing_ = true;
  clockOffset_ = from;
  clock_.start();
  startAudioAt(from);
  status_->setText(audioStatus_.isEmpty() ? decoder_.warning() : audioStatus_);
  play_->setIcon(style()->standardIcon(QStyle::SP_MediaPause));
  timer_->start(std::max(10, static_cast<int>(1000.0 / std::max(1.0, decoder_.frameRate()) / 2)));
  emit playingChanged(true);
}

void PlayerPanel::pause() {
  if (!playing_) return;
  const double at = position();
  playing_ = false;
  timer_->stop();
  stopAudio();
  // With video, the frame on screen is where playback resumes; with audio alone (or past the
  // end of a truncated video), the clock is.
  const double frame = 1.0 / std::max(1.0, decoder_.frameRate());
  shownTime_ = decoder_.hasVideo() && shownTime_ >= 0 && at - shownTime_ < 2 * frame ? std::min(shownTime_, at) : at;
  play_->setIcon(style()->standardIcon(QStyle::SP_MediaPlay));
  updateTimeLabel();
  emit playingChanged(false);
}

void PlayerPanel::togglePlay() {
  if (playing_) pause();
  else play();
}

void PlayerPanel::seek(double seconds) {
  if (!decoder_.isOpen()) return;
  seconds = std::clamp(seconds, 0.0, std::max(0.0, duration_));
  const bool was = playing_;
  if (was) {
    timer_->stop();
    stopAudio();
  }
  decoder_.seek(seconds);
  pendingFrame_ = false;
  shownTime_ = seconds;
  showFrameAt(seconds);
  shownTime_ = seconds;
  if (was) {
    clockOffset_ = seconds;
    clock_.start();
    startAudioAt(seconds);
    timer_->start();
  }
  waveform_->setPosition(seconds);
  updateTimeLabel();
  followPlayhead(seconds);
}

void PlayerPanel::tick() {
  const double t = position();
  if (decoder_.hasVideo()) showFrameAt(t);
  waveform_->setPosition(t);
  updateTimeLabel();
  followPlayhead(t);
  if (t >= duration_ - 1e-3) {
    playing_ = false;
    timer_->stop();
    stopAudio();
    play_->setIcon(style()->standardIcon(QStyle::SP_MediaPlay));
    shownTime_ = duration_;
    if (dialogueMode() && !episodeMode_) {
      // Next utterance of the same dialogue: every view steps along; loadCurrent plays it.
      const int d = state_.currentDialogue(), u = state_.currentUtterance();
      const int n = static_cast<int>(state_.corpus()->dialogues[static_cast<std::size_t>(d)].size());
      for (int next = u + 1; next < n; ++next)
        if (state_.accepts(d, next)) {
          playing_ = true;  // so that loadCurrent continues
          state_.setCurrent(d, next);
          if (!playing_) emit playingChanged(false);
          return;
        }
    }
    emit playingChanged(false);
  }
}

void PlayerPanel::updateTimeLabel() {
  const double t = playing_ ? position() : std::max(0.0, shownTime_);
  time_->setText(QStringLiteral("%1 / %2 s").arg(t, 0, 'f', 2).arg(duration_, 0, 'f', 2));
  if (!sliderDragging_) {
    const QSignalBlocker block(slider_);
    slider_->setValue(static_cast<int>(std::lround(t * 1000)));
  }
}

}  // namespace mlsan::ui
