// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/extract_job.h"

#include <QFileInfo>
#include <QMetaObject>

#include "mlsan/extract/pipeline.h"

namespace mlsan::ui {

ExtractJob::ExtractJob(QObject* parent) : QObject(parent) {}

ExtractJob::~ExtractJob() {
  cancel_ = true;
  join();
}

void ExtractJob::join() {
  if (worker_.joinable()) worker_.join();
}

void ExtractJob::cancel() { cancel_ = true; }

bool ExtractJob::start(const Request& r, QString* error) {
  auto fail = [error](const QString& e) {
    if (error) *error = e;
    return false;
  };
  if (busy_) return fail(tr("An extraction is already running."));
  const std::string why = r.source.problem();
  if (!why.empty()) return fail(QString::fromStdString(why));
  if (r.outDir.isEmpty()) return fail(tr("Choose the folder the corpus is written to."));
  join();
  cancel_ = false;
  busy_ = true;
  worker_ = std::thread([this, r] {
    bool ok = false;
    bool cancelled = false;
    QString summary, err;
    try {
      const extract::ExtractPlan plan = extract::planFrom(r.source);
      for (const auto& p : plan.problems) {
        const QString text = QFileInfo(QString::fromStdString(p.video)).fileName() +
                             QString::fromStdString(" " + p.utterance + ": " + p.reason + " (left out)");
        QMetaObject::invokeMethod(this, [this, text] { emit problem(text); }, Qt::QueuedConnection);
      }
      const extract::Extractors ex = model::loadExtractors(r.models);
      extract::ExtractOptions opt;
      opt.outDir = r.outDir.toStdString();
      opt.threads = r.threads;
      opt.resume = r.resume;
      opt.cancel = &cancel_;
      opt.progress = [this](long done, long total, double media, double elapsed) {
        QMetaObject::invokeMethod(this, [=] { emit progress(done, total, media, elapsed); }, Qt::QueuedConnection);
      };
      opt.problem = [this](const extract::SourceProblem& p) {
        // The file's name: its folder is in the report (extract-report.json).
        const QString text = QFileInfo(QString::fromStdString(p.video)).fileName() + QString::fromStdString(" " + p.utterance + ": " + p.reason);
        QMetaObject::invokeMethod(this, [this, text] { emit problem(text); }, Qt::QueuedConnection);
      };
      const extract::ExtractReport rep = extract::runExtraction(plan, ex, opt);
      cancelled = rep.cancelled;
      ok = !rep.cancelled;
      summary = tr("%1 utterances: %2 extracted, %3 failed, %4 without a face (%5 from the cache); %6 s of media in %7 s (%8x real time)")
                    .arg(rep.utterances)
                    .arg(rep.extracted)
                    .arg(rep.failed)
                    .arg(rep.noFace)
                    .arg(rep.fromCache)
                    .arg(rep.secondsOfMedia, 0, 'f', 1)
                    .arg(rep.seconds, 0, 'f', 1)
                    .arg(rep.seconds > 0 ? rep.secondsOfMedia / rep.seconds : 0.0, 0, 'f', 1);
    } catch (const std::exception& e) {
      err = QString::fromUtf8(e.what());
    }
    QMetaObject::invokeMethod(
        this,
        [this, ok, cancelled, out = r.outDir, summary, err] {
          busy_ = false;
          join();
          emit finished(ok, cancelled, out, summary, err);
        },
        Qt::QueuedConnection);
  });
  return true;
}

}  // namespace mlsan::ui
