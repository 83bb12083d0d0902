// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/reliance_job.h"

#include <QCoreApplication>
#include <QPointer>
#include <QtConcurrent/QtConcurrent>

#include "mlsan/model/explain.h"

namespace mlsan::ui {

namespace {
/// Forwards batches to the job's signal (queued to the GUI thread) and polls the stop flag.
class JobProgress : public model::Progress {
 public:
  JobProgress(QPointer<RelianceJob> job, QString name, QString split, std::shared_ptr<std::atomic<bool>> stop)
      : job_(std::move(job)), name_(std::move(name)), split_(std::move(split)), stop_(std::move(stop)) {}
  void batch(int, int batch, int batches, double) override {
    QMetaObject::invokeMethod(qApp, [job = job_, name = name_, split = split_, batch, batches] {
      if (job) emit job->progress(name, split, batch, batches);
    }, Qt::QueuedConnection);
  }
  bool cancelled() const override { return stop_->load(); }

 private:
  QPointer<RelianceJob> job_;
  QString name_, split_;
  std::shared_ptr<std::atomic<bool>> stop_;
};
}  // namespace

RelianceJob::~RelianceJob() {
  cancel();
  future_.waitForFinished();
}

void RelianceJob::add(std::shared_ptr<const RunData> run, std::shared_ptr<const data::Corpus> corpus) {
  for (auto& item : queue_)
    if (item.run->dir == run->dir) {
      item = {std::move(run), std::move(corpus)};
      return;
    }
  queue_.push_back({std::move(run), std::move(corpus)});
  if (!running_) next();
}

void RelianceJob::cancel() {
  queue_.clear();
  stop_->store(true);
}

void RelianceJob::next() {
  if (queue_.empty()) return;
  Item item = std::move(queue_.front());
  queue_.pop_front();
  running_ = true;
  stop_ = std::make_shared<std::atomic<bool>>(false);
  QPointer<RelianceJob> self(this);
  future_ = QtConcurrent::run([self, item, stop = stop_] {
    std::shared_ptr<const RunData> measured;
    QString error;
    try {
      std::vector<model::UtteranceReliance> all;
      bool cancelled = false;
      for (const data::Split split : {data::Split::Test, data::Split::Dev, data::Split::Train}) {
        if (model::dialoguesOf(*item.corpus, split).empty()) continue;
        JobProgress progress(self, item.run->name, QString::fromLatin1(data::splitName(split)), stop);
        auto r = model::explainRun(item.run->dir.toStdString(), *item.corpus, split, studioRelianceOptions(), &progress);
        if (r.cancelled) { cancelled = true; break; }
        all.insert(all.end(), r.utterances.begin(), r.utterances.end());
        if (split == data::Split::Test && !model::dialoguesOf(*item.corpus, data::Split::Train).empty()) {
          // The test split first, shown at once: the other splits take several times as long.
          auto partial = item.run->withReliance(*item.corpus, all, false);
          QMetaObject::invokeMethod(qApp, [self, partial, name = item.run->name, corpus = item.corpus] {
            if (self) emit self->finished(partial, QString(), name, corpus);
          }, Qt::QueuedConnection);
        }
      }
      if (cancelled) error = QStringLiteral("cancelled");
      else measured = item.run->withReliance(*item.corpus, all, true);
    } catch (const std::exception& e) {
      error = QString::fromStdString(e.what());
    }
    QMetaObject::invokeMethod(qApp, [self, measured, error, name = item.run->name, corpus = item.corpus] {
      if (!self) return;
      self->running_ = false;
      emit self->finished(measured, error, name, corpus);
      self->next();
    }, Qt::QueuedConnection);
  });
}

}  // namespace mlsan::ui
