// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QString>
#include <QThread>

#include "mlsan/ui/main_window.h"

namespace mlsan::studio {

/// Processes events until `ready()` or the timeout; false on timeout.
template <class F>
bool waitFor(F ready, int timeoutMs) {
  QElapsedTimer t;
  t.start();
  while (!ready()) {
    if (t.elapsed() > timeoutMs) return false;
    QApplication::processEvents(QEventLoop::AllEvents, 50);
    QThread::msleep(5);
  }
  return true;
}

/// `mlsan-studio --bench`: opens the demo corpus with two freshly trained one-epoch models (in a
/// temporary folder: the cached demo models are left alone), then times stepping through
/// utterances (every view updated and repainted) and showing a clip's first frame, and prints
/// the figures against the targets (step < 50 ms, first frame < 150 ms); then runEmbeddingBench.
/// Returns the exit code.
int runBench(ui::StudioOptions options);

/// The Embeddings tab's "All points" on a MELD-sized generated corpus with a one-epoch ML-SAN
/// model: each stage's time, the GUI thread's event-loop latency meanwhile, and how soon a
/// cancel stops the worker in each stage. Returns the exit code.
int runEmbeddingBench();

/// `mlsan-studio --write-demo-videos DIR`: the demo corpus (seed 7, `dialogues` dialogues) rendered
/// to clips in DIR/clips and its utterance table DIR/table.csv, the input of
/// `mlsan extract --table` and `mlsan bench extract --table`. Returns the exit code.
int writeDemoVideos(const QString& dir, int dialogues);

/// Waits until the corpus and runs have loaded (and the demo models trained), saves a picture
/// of the window to `file`, and returns the exit code.
int screenshotWhenReady(ui::MainWindow& window, const QString& file);

}  // namespace mlsan::studio
