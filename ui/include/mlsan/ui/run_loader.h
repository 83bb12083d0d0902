// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Loads a run folder for the open corpus off the GUI thread; the run (or the error naming the
// file) comes back on the GUI thread as a signal. Create and use on the GUI thread.
#include <QObject>
#include <QString>
#include <memory>

#include "mlsan/data/corpus.h"
#include "mlsan/ui/run_data.h"

namespace mlsan::ui {

/// Loads a run directory for a corpus on a worker thread.
class RunLoader : public QObject {
  Q_OBJECT
 public:
  using QObject::QObject;
  void start(const QString& dir, std::shared_ptr<const data::Corpus> corpus);
 signals:
  /// `corpus` is the one the run was loaded for (the open corpus may have changed since).
  void done(std::shared_ptr<const mlsan::ui::RunData> run, QString error, QString dir,
            std::shared_ptr<const mlsan::data::Corpus> corpus);
};

}  // namespace mlsan::ui
