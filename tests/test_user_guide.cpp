// SPDX-License-Identifier: GPL-3.0-or-later
// The user guide's pictures (docs/USER_GUIDE.md): each step of the guide done in the real
// window, headless, and grabbed into $MLSAN_GUIDE_IMAGE_DIR: under ctest (docs.guide) a folder of
// the build tree; `cmake --build --preset release --target docs-images` points it at docs/images
// to update the guide's pictures on purpose. The checks here are that each step really
// reaches the state its picture claims (a corpus open, models loaded, maps computed, a run
// finished), and that no picture is blank.
#include <gtest/gtest.h>

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableWidget>
#include <QTreeView>

#include "mlsan/ui/browser_panel.h"
#include "mlsan/ui/confusion_panel.h"
#include "mlsan/ui/embedding_panel.h"
#include "mlsan/ui/gate_timeline.h"
#include "mlsan/ui/main_window.h"
#include "mlsan/ui/open_corpus_dialog.h"
#include "mlsan/ui/studio_state.h"
#include "mlsan/ui/training_panel.h"
#include "studio_support.h"

using namespace mlsan;
using studio_test::waitFor;

namespace {

QString imageDir() {
  const QString dir = qEnvironmentVariable("MLSAN_GUIDE_IMAGE_DIR");
  return dir.isEmpty() ? QDir::current().absoluteFilePath("guide-images") : dir;
}

void shot(QWidget* w, const QString& name) { studio_test::saveShotTo(w, imageDir(), name); }

/// The guide's working folder (cache, runs, a copy of the MELD CSVs). Always the same path, so
/// that the paths the pictures show are the same on every machine; emptied before and after.
class GuideFolder {
 public:
  GuideFolder() : path_(QDir::tempPath() + "/mlsan-guide") { QDir(path_).removeRecursively(); QDir().mkpath(path_); }
  ~GuideFolder() { QDir(path_).removeRecursively(); }
  const QString& path() const { return path_; }

 private:
  QString path_;
};

QTabWidget* tabsAround(QWidget* w) {
  for (QWidget* p = w; p; p = p->parentWidget())
    if (auto* t = qobject_cast<QTabWidget*>(p)) return t;
  return nullptr;
}

}  // namespace

TEST(UserGuide, PicturesOfEveryStep) {
  GuideFolder work;
  ui::StudioOptions o;
  o.corpus = "demo";
  o.demoEpochs = 4;  // models good enough to show something, quick enough for CI
  o.relianceDraws = 8;  // the reliance measured in the background: few draws, quick enough for CI
  o.useSettings = false;
  o.errorDialogs = false;
  o.cacheRoot = work.path() + "/cache";
  o.runsRoot = work.path() + "/runs";
  ui::MainWindow window(o);
  window.resize(1600, 1000);
  window.show();
  ASSERT_TRUE(waitFor([&] { return window.state().hasCorpus() && window.state().runs().size() >= 2 && !window.busy(); }, 600000))
      << window.lastError().toStdString();
  // The models' modality reliance, measured in the background after they load.
  ASSERT_TRUE(waitFor([&] { return !window.measuringReliance() && window.state().relianceRun(); }, 600000))
      << window.statusText().toStdString();

  // 1. Browse a dialogue and watch the gate (Browse tab).
  window.centreTabs()->setCurrentIndex(0);
  studio_test::clickUtterance(window.browser()->tree(), 6, 3);
  ASSERT_TRUE(waitFor([&] { return window.state().currentDialogue() == 6 && window.state().currentUtterance() == 3; }, 5000));
  QTest::qWait(500);  // the clip's first frame
  shot(&window, "guide_browse.png");
  // The same dialogue's measured modality reliance.
  window.gateTimeline()->setMode(ui::GateTimeline::Mode::Reliance);
  ASSERT_TRUE(window.gateTimeline()->message().isEmpty()) << window.gateTimeline()->message().toStdString();
  shot(&window, "guide_reliance.png");
  window.gateTimeline()->setMode(ui::GateTimeline::Mode::Weights);

  // 2. ML-SAN against MultiEMO (Confusion tab).
  window.centreTabs()->setCurrentWidget(window.confusionPanel());
  ASSERT_TRUE(waitFor([&] { return window.confusionPanel()->compared() > 100; }, 30000))
      << window.confusionPanel()->message().toStdString();
  shot(&window, "guide_confusion.png");

  // 3. t-SNE before and after FiLM, with the disentanglement numbers of every stage (Embeddings tab).
  auto* emb = window.embeddingPanel();
  emb->setIterations(500);
  emb->setMaxPoints(800);
  emb->setFeatures(model::FeatureKind::AudioFilm);
  QSignalSpy computed(emb, &ui::EmbeddingPanel::computed);
  window.centreTabs()->setCurrentWidget(emb);
  QApplication::processEvents();
  if (computed.isEmpty() && !emb->busy()) emb->compute();
  ASSERT_TRUE(computed.wait(300000));
  ASSERT_TRUE(computed.front().front().toBool());
  EXPECT_FALSE(emb->verdict().isEmpty());
  shot(&window, "guide_embeddings.png");
  // The same audio where the model reads it: after the projection and after the gate.
  computed.clear();
  emb->setFeatures(model::FeatureKind::AudioGated);
  emb->compute();
  ASSERT_TRUE(computed.wait(300000));
  ASSERT_TRUE(computed.front().front().toBool());
  ASSERT_EQ(emb->result()->stages.size(), 4u);
  EXPECT_TRUE(emb->verdict().contains("after the gate")) << emb->verdict().toStdString();
  shot(&window, "guide_embeddings_gate.png");

  // 4. Retrain: one ML-SAN run with live curves (Training tab).
  auto* train = window.trainingPanel();
  window.centreTabs()->setCurrentWidget(train);
  studio_test::describeSingleRun(train->form(), 4, "1", 2);
  QSignalSpy single(train, &ui::TrainingPanel::queueFinished);
  QString err;
  ASSERT_TRUE(train->start(&err)) << err.toStdString();
  ASSERT_TRUE(single.wait(300000));
  ASSERT_TRUE(single.front().front().toBool()) << train->log()->toPlainText().toStdString();
  EXPECT_EQ(train->curvePoints(), 16);
  window.centreTabs()->setCurrentWidget(train);
  shot(&window, "guide_training.png");

  // 5. Table 2 (two seeds of one epoch each here; the guide's command uses three seeds).
  train->form()->setKind(ui::TrainingPanel::Kind::Ablation);
  train->form()->setEpochs(1);
  train->form()->setSeeds("1-2");
  train->form()->setThreads(1);
  train->form()->setParallel(2);
  QSignalSpy table(train, &ui::TrainingPanel::queueFinished);
  ASSERT_TRUE(train->start(&err)) << err.toStdString();
  ASSERT_TRUE(table.wait(300000));
  ASSERT_TRUE(table.front().front().toBool()) << train->log()->toPlainText().toStdString();
  ASSERT_TRUE(train->results().has_value());
  EXPECT_EQ(train->results()->rows.size(), 5u);
  QTabWidget* resultTabs = tabsAround(train->resultView());
  ASSERT_NE(resultTabs, nullptr);
  for (int i = 0; i < resultTabs->count(); ++i)
    if (resultTabs->widget(i)->isAncestorOf(train->resultView())) resultTabs->setCurrentIndex(i);
  shot(&window, "guide_table2.png");

  // 5b. The factorial ablation with the same options: Table 2's runs are reused, the three
  // single-component configurations train, and the attribution chart appears.
  train->form()->setKind(ui::TrainingPanel::Kind::Factorial);
  QSignalSpy factorial(train, &ui::TrainingPanel::queueFinished);
  ASSERT_TRUE(train->start(&err)) << err.toStdString();
  ASSERT_TRUE(factorial.wait(300000));
  ASSERT_TRUE(factorial.front().front().toBool()) << train->log()->toPlainText().toStdString();
  ASSERT_TRUE(train->results() && train->results()->factorial && train->results()->factorial->valid());
  shot(&window, "guide_factorial.png");

  // 6. Opening MELD: the dialog with MultiEMO's features, the CSVs and the clips...
  ui::OpenCorpusDialog dialog(&window);
  dialog.setSource("/data/MultiEMO/Data/MELD", "/data/MELD.Raw", "/data/MELD.Raw");
  dialog.show();
  shot(&dialog, "guide_open_corpus.png");
  dialog.hide();

  // ...and the corpus tree of the real MELD annotations (the CSVs in tests/data/meld):
  // Season > Episode > Dialogue > Utterance with the speakers and transcripts of Friends.
  const QString meld = work.path() + "/MELD";
  QDir().mkpath(meld);
  for (const QString& f : QDir(QStringLiteral(MLSAN_TEST_DATA_DIR "/meld")).entryList({"*.csv"}))
    ASSERT_TRUE(QFile::copy(QStringLiteral(MLSAN_TEST_DATA_DIR "/meld/") + f, meld + "/" + f));
  window.openCorpus(meld);
  ASSERT_TRUE(waitFor([&] { return window.state().hasCorpus() && window.state().corpus()->name.find("MELD") != std::string::npos && !window.busy(); },
                      120000))
      << window.lastError().toStdString();
  window.centreTabs()->setCurrentIndex(0);
  studio_test::clickUtterance(window.browser()->tree(), 0, 2);
  ASSERT_TRUE(waitFor([&] { return window.state().currentDialogue() == 0 && window.state().currentUtterance() == 2; }, 5000));
  shot(&window, "guide_meld.png");
}
