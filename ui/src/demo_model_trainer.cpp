// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/demo_model_trainer.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QPointer>
#include <QThread>

#include "mlsan/data/corpus_cache.h"
#include "mlsan/data/demo_corpus.h"
#include "mlsan/model/engine.h"

namespace mlsan::ui {

namespace {

/// Forwards the engine's progress to the GUI thread; polls the shared cancel flag.
class Forwarder : public model::Progress {
 public:
  Forwarder(QPointer<DemoModelTrainer> target, QString what, std::shared_ptr<std::atomic<bool>> cancel, int epochs)
      : target_(std::move(target)), what_(std::move(what)), cancel_(std::move(cancel)), epochs_(epochs) {}
  void batch(int epoch, int batch, int batches, double) override {
    post(epoch, batch, batches);
  }
  void epoch(const model::EpochRecord& r, int epochs) override {
    epochs_ = epochs;
    post(r.epoch, 0, 0);
  }
  bool cancelled() const override { return cancel_->load(); }

 private:
  void post(int epoch, int batch, int batches) {
    QPointer<DemoModelTrainer> t = target_;
    const QString what = what_;
    const int epochs = epochs_;
    QMetaObject::invokeMethod(qApp, [t, what, epoch, epochs, batch, batches] {
      if (t) emit t->progress(what, epoch, epochs, batch, batches);
    }, Qt::QueuedConnection);
  }
  QPointer<DemoModelTrainer> target_;
  QString what_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  int epochs_;
};

}  // namespace

DemoModelTrainer::DemoModelTrainer(QObject* parent, QString root)
    : QObject(parent), root_(std::move(root)), cancel_(std::make_shared<std::atomic<bool>>(false)) {
  if (root_.isEmpty()) root_ = QString::fromStdString(data::defaultCacheDir()) + "/demo-runs";
}

DemoModelTrainer::~DemoModelTrainer() {
  // Stop at the next batch boundary and wait, so that no training outlives the window.
  cancel_->store(true);
  if (worker_) {
    worker_->wait();
    delete worker_;
  }
}

QString DemoModelTrainer::runDir(const data::Corpus& corpus, const QString& variant) const {
  return QStringLiteral("%1/%2/%3").arg(root_, QString::fromStdString(corpus.signature()), variant);
}

bool DemoModelTrainer::finished(const QString& dir) {
  return QFileInfo::exists(dir + "/metrics.json") && QFileInfo::exists(dir + "/predictions.csv") &&
         QFileInfo::exists(dir + "/config.json");
}

void DemoModelTrainer::start(std::shared_ptr<const data::Corpus> corpus, int epochs, int threads) {
  if (busy_ || !corpus) return;
  busy_ = true;
  cancel_->store(false);
  const QString dirs[2] = {runDir(*corpus, "mlsan"), runDir(*corpus, "multiemo")};
  QPointer<DemoModelTrainer> self(this);
  auto cancel = cancel_;
  QThread* worker = QThread::create([self, corpus, epochs, threads, cancel, d0 = dirs[0], d1 = dirs[1]] {
    bool cancelled = false;
    const QString dirsIn[2] = {d0, d1};
    for (int i = 0; i < 2 && !cancelled; ++i) {
      const QString dir = dirsIn[i];
      const bool mlsan = i == 0;
      if (!finished(dir)) {
        try {
          model::Preset p = model::preset(model::presetForDataset(corpus->dataset));
          if (!mlsan) p.model.film = p.model.gate = p.model.aux = false;
          model::fitConfigToCorpus(p.model, *corpus);
          if (epochs > 0) p.train.epochs = epochs;
          p.train.threads = threads;
          const std::string argument = data::demoCorpusArgument(corpus->name);  // "demo", "demo:8", "demo-null", ...
          p.train.corpus = argument.empty() ? corpus->name : argument;
          model::setThreads(threads);
          QDir().mkpath(QFileInfo(dir).absolutePath());
          Forwarder fw(self, mlsan ? QObject::tr("Training ML-SAN on the demo corpus") : QObject::tr("Training MultiEMO on the demo corpus"),
                       cancel, p.train.epochs);
          const model::TrainResult r = model::train(*corpus, p.model, p.train, dir.toStdString(), false, fw);
          cancelled = r.cancelled;
          if (cancelled) break;
        } catch (const std::exception& e) {
          const QString msg = QString::fromStdString(e.what());
          QMetaObject::invokeMethod(qApp, [self, msg] { if (self) emit self->failed(msg); }, Qt::QueuedConnection);
          cancelled = true;
          break;
        }
      }
      QMetaObject::invokeMethod(qApp, [self, dir, corpus] { if (self) emit self->runReady(dir, corpus); }, Qt::QueuedConnection);
    }
    QMetaObject::invokeMethod(qApp, [self, cancelled] {
      if (!self) return;
      self->busy_ = false;
      emit self->finishedAll(cancelled);
    }, Qt::QueuedConnection);
  });
  if (worker_) {
    worker_->wait();
    delete worker_;
  }
  worker_ = worker;
  worker->start(QThread::LowPriority);
}

}  // namespace mlsan::ui
