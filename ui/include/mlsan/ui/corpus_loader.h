// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Opens a corpus off the GUI thread (QtConcurrent); the result comes back on the GUI thread as
// a signal, with the error message (naming the file) when it failed. Create and use on the GUI
// thread.
#include <QObject>
#include <QString>
#include <memory>

#include "mlsan/data/corpus.h"
#include "mlsan/data/corpus_source.h"

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

}  // namespace mlsan::ui
