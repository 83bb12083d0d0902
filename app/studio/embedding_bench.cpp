// SPDX-License-Identifier: GPL-3.0-or-later
// `mlsan-studio --bench`, second part: the Embeddings tab's "All points" on a MELD-sized corpus.
// What the tab does (ui::EmbeddingJob: inference, t-SNE of the raw and the FiLM-calibrated
// audio, the disentanglement numbers of each) timed stage by stage, how long the GUI thread
// went without running its event loop meanwhile, and how soon a cancel really stops the worker
// in each stage. Measured and printed, never asserted.
#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTemporaryDir>
#include <QThread>
#include <QThreadPool>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

#include "mlsan/data/demo_corpus.h"
#include "mlsan/model/config.h"
#include "mlsan/model/engine.h"
#include "mlsan/ui/embedding_job.h"
#include "studio_bench.h"

namespace mlsan::studio {
namespace {

double seconds(const QElapsedTimer& t) { return static_cast<double>(t.nsecsElapsed()) / 1e9; }

}  // namespace

int runEmbeddingBench() {
  QTemporaryDir work;
  std::fprintf(stderr, "bench: a MELD-sized corpus and a one-epoch ML-SAN model on it (a temporary folder)...\n");
  auto corpus = std::make_shared<const data::Corpus>(data::makeDemoCorpus(data::meldSizedConfig()));
  model::Preset p = model::preset("meld");
  model::fitConfigToCorpus(p.model, *corpus);
  p.train.epochs = 1;
  p.train.threads = 2;
  p.train.corpus = "meld-sized";
  const QString run = work.filePath("run");
  QElapsedTimer trainTime;
  trainTime.start();
  model::NullProgress quiet;
  model::train(*corpus, p.model, p.train, run.toStdString(), false, quiet);
  std::fprintf(stderr, "bench: trained in %.1f s\n", seconds(trainTime));

  ui::EmbeddingRequest request;
  request.runDir = run;
  request.corpus = corpus;
  request.kind = model::FeatureKind::AudioFilm;
  request.split = data::Split::Test;
  request.maxPoints = 0;  // "All points"
  request.threads = 2;

  // 1. The whole job, stage by stage, with the GUI thread's longest wait between two turns of
  //    its event loop (a 5 ms timer's late arrivals).
  ui::EmbeddingJob job;
  QElapsedTimer clock;
  std::vector<std::pair<QString, double>> stages;  // stage name, when it began
  QObject::connect(&job, &ui::EmbeddingJob::progress, [&](const QString& stage, int) {
    if (stages.empty() || stages.back().first != stage) stages.emplace_back(stage, seconds(clock));
  });
  std::shared_ptr<const ui::EmbeddingResult> result;
  QString error;
  QObject::connect(&job, &ui::EmbeddingJob::finished, [&](std::shared_ptr<const ui::EmbeddingResult> r) { result = std::move(r); });
  QObject::connect(&job, &ui::EmbeddingJob::failed, [&](const QString& e) { error = e; });
  std::vector<double> gaps;
  QElapsedTimer tick;
  QTimer timer;
  timer.setInterval(5);
  QObject::connect(&timer, &QTimer::timeout, [&] {
    gaps.push_back(tick.nsecsElapsed() / 1e6);
    tick.restart();
  });
  // A real event loop, as the window runs, until the job ends (or 15 minutes pass).
  QEventLoop loop;
  QObject::connect(&job, &ui::EmbeddingJob::finished, &loop, &QEventLoop::quit);
  QObject::connect(&job, &ui::EmbeddingJob::failed, &loop, &QEventLoop::quit);
  QTimer::singleShot(900000, &loop, &QEventLoop::quit);
  clock.start();
  tick.start();
  timer.start();
  job.start(request);
  loop.exec();
  if (!result) {
    std::fprintf(stderr, "bench: the embedding job did not finish: %s\n", qPrintable(error));
    return 1;
  }
  const double total = seconds(clock);
  timer.stop();
  std::sort(gaps.begin(), gaps.end());
  const std::size_t points = result->maps.empty() ? 0 : result->maps.front()->rows();
  std::printf("\nEmbeddings tab, All points: MELD-sized corpus (%zu utterances), test split: %zu points, audio raw and FiLM, "
              "2-D, 1,000 iterations, 2 threads\n", corpus->numUtterances(), points);
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const double end = i + 1 < stages.size() ? stages[i + 1].second : total;
    std::printf("  %-44s %7.2f s\n", qPrintable(stages[i].first), end - stages[i].second);
  }
  std::printf("  %-44s %7.2f s\n", "total", total);
  if (!gaps.empty())
    std::printf("  GUI thread meanwhile: event loop turned every %.1f ms at the median, %.1f ms at p99, %.1f ms at worst "
                "(timer 5 ms)\n", gaps[gaps.size() / 2], gaps[std::min(gaps.size() - 1, gaps.size() * 99 / 100)], gaps.back());

  // 2. Cancel in each stage: from cancel() to the worker thread's end.
  struct Stop { const char* stage; const char* prefix; };
  for (const Stop& stop : {Stop{"loading the model", "Loading"}, Stop{"inference", "Inferring"}, Stop{"t-SNE", "t-SNE"},
                           Stop{"measuring", "Measuring"}}) {
    QString stage;
    auto c = QObject::connect(&job, &ui::EmbeddingJob::progress, [&stage](const QString& s, int) { stage = s; });
    job.start(request);
    if (!waitFor([&] { return stage.startsWith(stop.prefix); }, 600000)) {
      std::fprintf(stderr, "bench: never reached the %s stage\n", stop.stage);
      return 1;
    }
    QElapsedTimer t;
    t.start();
    job.cancel();
    QThreadPool::globalInstance()->waitForDone();
    std::printf("  cancel during %-31s worker stopped %7.1f ms later\n", stop.stage, t.nsecsElapsed() / 1e6);
    QObject::disconnect(c);
  }
  return 0;
}

}  // namespace mlsan::studio
