// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/run_loader.h"

#include <QCoreApplication>
#include <QPointer>
#include <QtConcurrent/QtConcurrent>

namespace mlsan::ui {

void RunLoader::start(const QString& dir, std::shared_ptr<const data::Corpus> corpus) {
  QPointer<RunLoader> self(this);
  (void)QtConcurrent::run([self, dir, corpus] {
    std::shared_ptr<const RunData> run;
    QString error;
    try {
      if (!corpus) throw std::runtime_error("open a corpus before a run");
      run = RunData::loadWithSeeds(dir, *corpus);
    } catch (const std::exception& e) {
      error = QString::fromStdString(e.what());
    }
    QMetaObject::invokeMethod(qApp, [self, run, error, dir, corpus] {
      if (self) emit self->done(run, error, dir, corpus);
    }, Qt::QueuedConnection);
  });
}

}  // namespace mlsan::ui
