// SPDX-License-Identifier: GPL-3.0-or-later
// A MultiEMO model trained in Python by the authors' code (the golden state_dict), imported with
// model/import.h, opened in the studio beside the same model evaluated with padding masked:
// the confusion, reliance and embedding views show it like any run.
#include <QApplication>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include "mlsan/data/corpus_io.h"
#include "mlsan/model/import.h"
#include "mlsan/ui/confusion_matrix_view.h"
#include "mlsan/ui/confusion_panel.h"
#include "mlsan/ui/embedding_panel.h"
#include "mlsan/ui/experiment_job.h"
#include "mlsan/ui/gate_timeline.h"
#include "mlsan/ui/main_window.h"
#include "mlsan/ui/run_data.h"
#include "mlsan/ui/studio_state.h"
#include "multiemo_golden_corpus.h"
#include "studio_support.h"

using namespace mlsan;
using studio_test::waitFor;

TEST(StudioImport, APythonTrainedMultiEmoOpensInTheConfusionRelianceAndEmbeddingViews) {
  QTemporaryDir dir;
  const QString root = dir.path();
  const auto corpus = multiemo_golden::corpusOf("iemocap", multiemo_golden::goldenJson()["forms"]["iemocap"]["batch"]["dialogues"],
                                                {data::Split::Test, data::Split::Test, data::Split::Test});
  const std::string corpusDir = (root + "/corpus").toStdString();
  data::writeCorpus(corpus, corpusDir);
  model::ImportOptions o;
  o.corpusSource = corpusDir;
  o.threads = 1;
  const std::string python = (root + "/python").toStdString(), masked = (root + "/masked").toStdString();
  model::importMultiEmo(multiemo_golden::golden("iemocap_state.pt"), corpus, python, o);
  o.maskPadding = true;
  model::importMultiEmo(multiemo_golden::golden("iemocap_state.pt"), corpus, masked, o);

  // The command line's reliance of the Python model first; its stored results are then removed, so
  // that the studio measures again and the two must agree.
  QJsonArray cliReliance;
  {
    QProcess cli;
    cli.start(ui::ExperimentJob::program(), {"explain", QString::fromStdString(python), "--json", "--threads", "1", "--draws", "8"});
    ASSERT_TRUE(cli.waitForFinished(120000));
    ASSERT_EQ(cli.exitCode(), 0) << cli.readAllStandardError().toStdString();
    cliReliance = QJsonDocument::fromJson(cli.readAllStandardOutput()).object().value("utterances").toArray();
    ASSERT_GT(cliReliance.size(), 0);
    ASSERT_TRUE(QDir(QString::fromStdString(python) + "/explain").removeRecursively());
  }

  ui::StudioOptions so;
  so.relianceDraws = 8;  // as the command line's above
  so.corpus = QString::fromStdString(corpusDir);
  so.runs = {QString::fromStdString(python), QString::fromStdString(masked)};
  so.trainDemoModels = false;
  so.useSettings = false;
  so.errorDialogs = false;
  so.cacheRoot = root + "/cache";
  so.runsRoot = root + "/runs";
  ui::MainWindow w(so);
  w.resize(1400, 900);
  w.show();
  ASSERT_TRUE(waitFor([&] { return w.state().hasCorpus() && w.state().runs().size() == 2 && !w.busy(); }, 20000))
      << "corpus " << w.state().hasCorpus() << ", runs " << w.state().runs().size() << ", busy " << w.busy() << ": "
      << w.lastError().toStdString();
  const auto runs = w.state().runs();
  const long utterances = static_cast<long>(corpus.numUtterances());
  const QStringList names{runs[0]->name, runs[1]->name};
  EXPECT_TRUE(names.contains("MultiEMO (Python)")) << names.join(", ").toStdString();
  EXPECT_TRUE(names.contains("MultiEMO (Python, masked)")) << names.join(", ").toStdString();
  for (const auto& r : runs) {
    EXPECT_FALSE(r->hasGate);
    EXPECT_EQ(r->covered, utterances);
  }
  // Confusion: the two evaluations of the Python model, on every labelled test utterance.
  auto* confusion = w.confusionPanel();
  w.centreTabs()->setCurrentWidget(confusion);
  QApplication::processEvents();
  EXPECT_EQ(static_cast<long>(confusion->compared()), utterances - 1) << confusion->message().toStdString();  // one is unlabelled
  EXPECT_EQ(confusion->viewA()->size(), 6);
  studio_test::saveShotTo(confusion, MLSAN_TEST_OUTPUT_DIR, "imported_multiemo_confusion.png");
  // The gate views: MultiEMO has no speaker gate, and says so.
  EXPECT_TRUE(w.gateTimeline()->message().contains("no speaker gate")) << w.gateTimeline()->message().toStdString();
  // Reliance (measured): any model has it; the studio measures it in the background, and it is the
  // command line's, utterance by utterance.
  ASSERT_TRUE(waitFor([&] {
    if (w.measuringReliance()) return false;
    for (const auto& r : w.state().runs())
      if (!r->hasReliance()) return false;
    return true;
  }, 120000)) << w.statusText().toStdString();
  const ui::RunData* py = nullptr;
  for (const auto& r : w.state().runs())
    if (r->name == "MultiEMO (Python)") py = r.get();
  ASSERT_NE(py, nullptr);
  EXPECT_EQ(py->relianceRows, static_cast<int>(cliReliance.size()));
  for (const QJsonValue& v : cliReliance) {
    const QJsonObject u = v.toObject();
    std::size_t row = 0;
    for (const auto& dd : corpus.dialogues)
      if (QString::fromStdString(dd.key) == u.value("dialogue").toString()) row = dd.firstRow + static_cast<std::size_t>(u.value("utterance").toInt());
    const QJsonObject rel = u.value("reliance").toObject();
    EXPECT_NEAR(py->relianceText[row], rel.value("text").toDouble(), 1e-5);
    EXPECT_NEAR(py->relianceAudio[row], rel.value("audio").toDouble(), 1e-5);
    EXPECT_NEAR(py->relianceVisual[row], rel.value("visual").toDouble(), 1e-5);
  }
  w.gateTimeline()->setMode(ui::GateTimeline::Mode::Reliance);
  QApplication::processEvents();
  EXPECT_TRUE(w.gateTimeline()->message().isEmpty()) << w.gateTimeline()->message().toStdString();
  EXPECT_GT(w.gateTimeline()->plottedPoints(), 0);
  studio_test::saveShotTo(&w, MLSAN_TEST_OUTPUT_DIR, "imported_multiemo_reliance.png");
  w.gateTimeline()->setMode(ui::GateTimeline::Mode::Weights);
  // Embeddings: the fused features of the imported model, computed by our engine.
  auto* embedding = w.embeddingPanel();
  w.centreTabs()->setCurrentWidget(embedding);
  embedding->setFeatures(model::FeatureKind::Fused);
  embedding->setIterations(250);
  embedding->compute();
  ASSERT_TRUE(waitFor([&] { return !embedding->busy() && embedding->result(); }, 120000)) << embedding->verdict().toStdString();
  ASSERT_FALSE(embedding->result()->maps.empty());
  EXPECT_EQ(static_cast<long>(embedding->result()->maps.back()->rows()), utterances - 1);  // the labelled ones
  studio_test::saveShotTo(&w, MLSAN_TEST_OUTPUT_DIR, "imported_multiemo_embeddings.png");
}
