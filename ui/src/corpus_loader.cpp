// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/corpus_loader.h"

#include <QCoreApplication>
#include <QPointer>
#include <QtConcurrent/QtConcurrent>

namespace mlsan::ui {

bool CorpusLoader::start(const QString& source) {
  if (busy_) return false;
  busy_ = true;
  QPointer<CorpusLoader> self(this);
  (void)QtConcurrent::run([self, source] {
    auto result = std::make_shared<OpenedCorpus>();
    result->source = source;
    try {
      const data::CorpusSource src = data::CorpusSource::parse(source.toStdString());
      auto corpus = std::make_shared<data::Corpus>(data::openCorpus(src, &result->report));
      result->corpus = std::move(corpus);
      result->source = QString::fromStdString(src.toString());
    } catch (const std::exception& e) {
      result->error = QString::fromStdString(e.what());
    }
    QMetaObject::invokeMethod(qApp, [self, result] {
      if (!self) return;
      self->busy_ = false;
      emit self->done(result);
    }, Qt::QueuedConnection);
  });
  return true;
}

}  // namespace mlsan::ui
