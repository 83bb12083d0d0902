#pragma once
// Work the studio does off the GUI thread: opening a corpus, loading a run, training the demo
// models. Results come back on the GUI thread through signals; errors are messages that name
// the file and the problem.
#include <QObject>
#include <QString>
#include <atomic>
#include <memory>

class QThread;

#include "mlsan/data/corpus.h"
#include "mlsan/data/corpus_source.h"
#include "mlsan/ui/run_data.h"

namespace mlsan::ui {

/// What opening a corpus produced.
struct OpenedCorpus {
  std::shared_ptr<const data::Corpus> corpus;
  data::OpenReport report;
  QString source;   ///< the text form of the source
  QString error;    ///< non-empty when it failed
};

/// Opens a corpus on a worker thread; `done` fires on the receiver's thread.
class CorpusLoader : public QObject {
  Q_OBJECT
 public:
  using QObject::QObject;
  /// Starts opening `source` (the CorpusSource text form). Ignored while busy; returns false then.
  bool start(const QString& source);
  bool busy() const { return busy_; }
 signals:
  void done(std::shared_ptr<mlsan::ui::OpenedCorpus> result);

 private:
  bool busy_ = false;
};

/// Loads a run directory for a corpus on a worker thread.
class RunLoader : public QObject {
  Q_OBJECT
 public:
  using QObject::QObject;
  void start(const QString& dir, std::shared_ptr<const data::Corpus> corpus);
 signals:
  void done(std::shared_ptr<const mlsan::ui::RunData> run, QString error, QString dir);
};

/// Trains the models a first start shows on the demo corpus (ML-SAN, then MultiEMO), on one
/// worker thread, into a cache folder; a finished run there is reused on the next start.
class DemoModelTrainer : public QObject {
  Q_OBJECT
 public:
  /// `root` = "" uses $MLSAN_CACHE_DIR/demo-runs or the user's cache folder.
  explicit DemoModelTrainer(QObject* parent = nullptr, QString root = {});
  ~DemoModelTrainer() override;
  /// The run folder for a variant ("mlsan" or "multiemo") of this corpus.
  QString runDir(const data::Corpus& corpus, const QString& variant) const;
  /// True when the run folder holds a finished run.
  static bool finished(const QString& dir);
  /// Trains whichever of the two is not finished yet. `epochs` 0 = the demo preset's.
  void start(std::shared_ptr<const data::Corpus> corpus, int epochs = 0, int threads = 2);
  void cancel() { cancel_->store(true); }
  bool busy() const { return busy_; }
 signals:
  /// Progress of the run in training: "Training ML-SAN on the demo corpus", epoch, of epochs.
  void progress(QString what, int epoch, int epochs, int batch, int batches);
  /// One run is ready (finished before or just now).
  void runReady(QString dir);
  void failed(QString error);
  void finishedAll(bool cancelled);

 private:
  QString root_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  bool busy_ = false;
  QThread* worker_ = nullptr;
};

}  // namespace mlsan::ui
