// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The demo corpus's episodes as videos: DemoClipCache::episodeVideo on a worker thread (rendering
// and joining an episode's clips takes a few seconds the first time), with progress and cancel.
// GUI thread only; the destructor cancels and waits.
#include <QObject>
#include <QString>
#include <atomic>
#include <memory>
#include <thread>

#include "mlsan/data/episodes.h"

namespace mlsan::ui {

class DemoClipCache;

class EpisodeRenderer : public QObject {
  Q_OBJECT
 public:
  explicit EpisodeRenderer(QObject* parent = nullptr);
  ~EpisodeRenderer() override;
  /// False when busy.
  bool start(std::shared_ptr<const DemoClipCache> clips, const data::Episode& episode);
  void cancel() { cancel_ = true; }
  bool busy() const { return busy_; }

 signals:
  void progress(int done, int total);
  /// `video` "" with `error` when it failed or was cancelled.
  void finished(mlsan::data::Episode episode, QString video, QString error);

 private:
  std::thread worker_;
  std::atomic<bool> cancel_{false};
  bool busy_ = false;
};

}  // namespace mlsan::ui
