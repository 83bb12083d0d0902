// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/episode_renderer.h"

#include <QMetaObject>

#include "mlsan/ui/demo_clips.h"

namespace mlsan::ui {

EpisodeRenderer::EpisodeRenderer(QObject* parent) : QObject(parent) {}

EpisodeRenderer::~EpisodeRenderer() {
  cancel_ = true;
  if (worker_.joinable()) worker_.join();
}

bool EpisodeRenderer::start(std::shared_ptr<const DemoClipCache> clips, const data::Episode& episode) {
  if (busy_ || !clips) return false;
  if (worker_.joinable()) worker_.join();
  busy_ = true;
  cancel_ = false;
  worker_ = std::thread([this, clips, episode] {
    QString error;
    const QString video = clips->episodeVideo(episode, &error, [this](int done, int total) {
      QMetaObject::invokeMethod(this, [this, done, total] { emit progress(done, total); }, Qt::QueuedConnection);
      return !cancel_.load();
    });
    QMetaObject::invokeMethod(
        this,
        [this, episode, video, error] {
          busy_ = false;
          if (worker_.joinable()) worker_.join();
          emit finished(episode, video, error);
        },
        Qt::QueuedConnection);
  });
  return true;
}

}  // namespace mlsan::ui
