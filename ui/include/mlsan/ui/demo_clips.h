// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Clips for the built-in demo corpus: per utterance, a short video of a drawn face whose
// expression is the emotion the utterance's visual features show (a distractor when the
// speaker's face was unreliable for it, no face when the features say none was found), leaning
// towards the speaker's resting expression, and a voice-like tone track whose pitch contour and
// loudness follow the emotion the audio features show, in the speaker's own register. Rendered
// with QPainter (QImage, so any thread), encoded with FFmpeg, written to a cache folder on first
// use. A DemoClipCache is used from one thread at a time.
#include <QString>
#include <functional>
#include <memory>

#include "mlsan/data/corpus.h"
#include "mlsan/data/demo_corpus.h"
#include "mlsan/data/episodes.h"
#include "mlsan/media/clip_writer.h"

namespace mlsan::ui {

using media::ClipContent;

/// Renders one utterance's clip (320x240 RGB frames, 15 frames/s, 22,050 Hz mono).
ClipContent renderDemoClip(const data::Corpus& corpus, const data::DemoTruth& truth, int dialogue, int utterance);

/// Where the demo clips of one demo configuration live, and rendering them on demand.
class DemoClipCache {
 public:
  /// `root` = "" uses data::defaultCacheDir()/demo-clips (the cache every part of the product shares).
  DemoClipCache(std::shared_ptr<const data::Corpus> corpus, const data::DemoConfig& config, const data::DemoTruth& truth,
                QString root = {});
  /// The folder for this configuration (created on first render).
  const QString& folder() const { return folder_; }
  /// The clip's path; renders it first if it is not in the cache. "" with `error` on failure.
  QString clipFor(int dialogue, int utterance, QString* error) const;
  /// The path a clip would have, whether or not it exists yet.
  QString pathFor(int dialogue, int utterance) const;
  /// Renders every clip (those not in the cache yet) and writes an utterance table for
  /// `mlsan extract --table` at `csvPath`: video (absolute), start and end empty (a file per
  /// utterance), speaker, transcript, emotion, dialogue and split. `progress(done, total)` may
  /// return false to stop. False with `error` on failure or when stopped.
  /// The video of one demo episode: its utterances' clips at their times in the episode, and
  /// between them a still that says nobody is speaking, rendered and joined (media::ClipWriter,
  /// frame by frame) into the cache folder on first use. `progress(done, total)` (utterances)
  /// may return false to stop. "" with `error` on failure or when stopped (nothing is left).
  QString episodeVideo(const data::Episode& episode, QString* error, const std::function<bool(int, int)>& progress = {}) const;
  bool writeUtteranceTable(const QString& csvPath, QString* error,
                           const std::function<bool(int, int)>& progress = {}) const;

 private:
  std::shared_ptr<const data::Corpus> corpus_;
  data::DemoTruth truth_;
  QString folder_;
};

}  // namespace mlsan::ui
