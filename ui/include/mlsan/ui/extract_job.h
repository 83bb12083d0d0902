// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// File > New corpus from videos: mlsan_extract's pipeline (the same code as `mlsan extract`) on a
// worker thread, with progress, the problems as they are found, and Cancel. GUI thread only;
// the destructor cancels and waits.
#include <QObject>
#include <QString>
#include <QStringList>
#include <atomic>
#include <memory>
#include <thread>

#include "mlsan/extract/plan.h"
#include "mlsan/model/torchscript_extractors.h"

namespace mlsan::ui {

class ExtractJob : public QObject {
  Q_OBJECT
 public:
  struct Request {
    extract::ExtractSource source;
    model::ExtractorFiles models;
    QString outDir;
    int threads = 0;
    bool resume = false;
  };
  explicit ExtractJob(QObject* parent = nullptr);
  ~ExtractJob() override;

  /// Starts; false with `error` when busy or the request lacks an input or an output folder.
  bool start(const Request& request, QString* error = nullptr);
  void cancel();
  bool busy() const { return busy_; }

 signals:
  void progress(long done, long total, double mediaSeconds, double elapsedSeconds);
  /// One problem: "FILE line 4: no audio stream".
  void problem(QString text);
  /// The end. ok: the corpus is in outDir. `summary`: a sentence of the report's figures.
  void finished(bool ok, bool cancelled, QString outDir, QString summary, QString error);

 private:
  void join();
  std::thread worker_;
  std::atomic<bool> cancel_{false};
  bool busy_ = false;
};

}  // namespace mlsan::ui
