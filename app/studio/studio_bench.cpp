// SPDX-License-Identifier: GPL-3.0-or-later
#include "studio_bench.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTemporaryDir>
#include <QThread>
#include <algorithm>
#include <cstdio>
#include <vector>

#include "mlsan/ui/demo_clips.h"
#include "mlsan/ui/player_panel.h"
#include "mlsan/ui/studio_state.h"
#include "mlsan/ui/view_timer.h"

namespace mlsan::studio {
namespace {

struct Stats {
  double median = 0, p95 = 0, max = 0, mean = 0;
};
Stats stats(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.median = v[v.size() / 2];
  s.p95 = v[std::min(v.size() - 1, static_cast<std::size_t>(v.size() * 0.95))];
  s.max = v.back();
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  return s;
}

void report(const char* what, const Stats& s, double target, std::size_t n) {
  std::printf("%-44s n=%-4zu median %7.2f ms  p95 %7.2f ms  max %7.2f ms  (target < %.0f ms: %s)\n", what, n, s.median,
              s.p95, s.max, target, s.p95 < target ? "met at p95" : "NOT met at p95");
}

}  // namespace

int runBench(ui::StudioOptions options) {
  QTemporaryDir cache;
  options.corpus = "demo";
  options.runs.clear();
  options.trainDemoModels = true;
  options.demoEpochs = 1;
  options.useSettings = false;
  options.errorDialogs = false;
  options.cacheRoot = cache.path();
  ui::MainWindow window(options);
  window.resize(1400, 900);
  window.show();
  std::fprintf(stderr, "bench: opening the demo corpus and training two one-epoch models (a temporary cache)...\n");
  if (!waitFor([&] { return window.state().runs().size() >= 2 && !window.busy(); }, 600000)) {
    std::fprintf(stderr, "bench: the demo corpus or its models did not load: %s\n", qPrintable(window.lastError()));
    return 1;
  }
  auto& state = window.state();
  const int steps = 150;
  // Render the clips of the utterances the bench steps through, so that stepping measures the
  // views and the decoder, not the one-off rendering of demo clips (timed separately below).
  std::vector<double> render;
  {
    int d = 0, u = 0;
    for (int i = 0; i <= steps; ++i) {
      QElapsedTimer t;
      t.start();
      QString err;
      const QString p = state.demoClips()->clipFor(d, u, &err);
      render.push_back(t.nsecsElapsed() / 1e6);
      if (p.isEmpty()) { std::fprintf(stderr, "bench: %s\n", qPrintable(err)); return 1; }
      if (++u >= static_cast<int>(state.corpus()->dialogues[static_cast<std::size_t>(d)].size())) { ++d; u = 0; }
    }
  }
  state.setCurrent(0, 0);
  QApplication::processEvents();
  ui::ViewTimer::samples().clear();
  ui::ViewTimer::enabled() = true;
  std::vector<double> step, react, paint, deferred, firstFrame;
  for (int i = 0; i < steps; ++i) {
    QElapsedTimer t;
    t.start();
    state.step(+1);                  // every view reacts synchronously,
    const double direct = t.nsecsElapsed() / 1e6;
    QApplication::processEvents();   // deferred work (layouts, chart updates) runs,
    const double reacted = t.nsecsElapsed() / 1e6;
    deferred.push_back(reacted - direct);
    window.repaint();                // and the window paints now
    step.push_back(t.nsecsElapsed() / 1e6);
    react.push_back(reacted);
    paint.push_back(step.back() - reacted);
    QApplication::processEvents();
  }
  ui::ViewTimer::enabled() = false;
  // First frame: from loading the current utterance's clip to its first frame painted.
  state.setCurrent(0, 0);
  for (int i = 0; i < 60; ++i) {
    QElapsedTimer t;
    t.start();
    window.player()->loadCurrent();
    window.player()->videoView()->repaint();
    firstFrame.push_back(t.nsecsElapsed() / 1e6);
    if (window.player()->currentFrame().isNull()) { std::fprintf(stderr, "bench: no frame shown\n"); return 1; }
    state.step(+1);
    QApplication::processEvents();
  }
  std::printf("mlsan-studio bench: demo corpus (%zu utterances), window 1400x900, platform %s\n",
              state.corpus()->numUtterances(), qPrintable(QGuiApplication::platformName()));
  report("step to next utterance (all views + paint)", stats(step), 50, step.size());
  const Stats re = stats(react), pa = stats(paint);
  std::printf("%-44s median %7.2f ms  p95 %7.2f ms\n", "  of which: views react (models, player load)", re.median, re.p95);
  std::printf("%-44s median %7.2f ms  p95 %7.2f ms\n", "  of which: paint the whole window", pa.median, pa.p95);
  const Stats de = stats(deferred);
  std::printf("    %-40s median %7.2f ms  p95 %7.2f ms\n", "deferred (layouts, chart, deletions)", de.median, de.p95);
  for (const auto& [view, ms] : ui::ViewTimer::samples()) {
    const Stats v = stats(ms);
    std::printf("    %-40s median %7.2f ms  p95 %7.2f ms\n", view.c_str(), v.median, v.p95);
  }
  report("first frame of a clip (open+decode+paint)", stats(firstFrame), 150, firstFrame.size());
  const Stats r = stats(render);
  std::printf("%-44s n=%-4zu median %7.2f ms  p95 %7.2f ms  (once per clip, then cached)\n",
              "render + encode a demo clip", render.size(), r.median, r.p95);
  std::fflush(stdout);
  return runEmbeddingBench();
}

int screenshotWhenReady(ui::MainWindow& window, const QString& file) {
  const bool ok = waitFor([&] {
    return window.state().hasCorpus() && !window.busy() && !window.training() &&
           (window.state().runs().size() >= 2 || !window.lastError().isEmpty() || !window.expectsDemoModels());
  }, 900000);
  QApplication::processEvents();
  const bool saved = window.grab().save(file);
  std::fprintf(stderr, "%s%s\n", saved ? "saved " : "could not save ", qPrintable(file));
  if (window.state().hasCorpus())
    std::fprintf(stderr, "corpus '%s' with %zu run(s) loaded\n", window.state().corpus()->name.c_str(), window.state().runs().size());
  if (!ok) std::fprintf(stderr, "the window was not ready within the time limit\n");
  if (!window.lastError().isEmpty()) std::fprintf(stderr, "error: %s\n", qPrintable(window.lastError()));
  return saved && ok && window.lastError().isEmpty() ? 0 : 1;
}

int writeDemoVideos(const QString& dir, int dialogues) {
  data::DemoConfig cfg;
  cfg.dialogues = std::max(1, dialogues);
  data::DemoTruth truth;
  auto corpus = std::make_shared<const data::Corpus>(data::makeDemoCorpus(cfg, &truth));
  ui::DemoClipCache clips(corpus, cfg, truth, dir + "/clips");
  QString error;
  const bool ok = clips.writeUtteranceTable(dir + "/table.csv", &error, [](int done, int total) {
    if (done % 100 == 0 || done == total) std::fprintf(stderr, "rendering the demo clips: %d of %d\n", done, total);
    return true;
  });
  if (!ok) {
    std::fprintf(stderr, "mlsan-studio: %s\n", qPrintable(error));
    return 1;
  }
  std::printf("wrote %zu clips and %s/table.csv\nextract them: mlsan extract --table %s/table.csv --out CORPUS\n",
              corpus->numUtterances(), qPrintable(dir), qPrintable(dir));
  return 0;
}

}  // namespace mlsan::studio
