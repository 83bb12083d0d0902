// SPDX-License-Identifier: GPL-3.0-or-later
// A MultiEMO model trained in Python by the authors' code (the golden state_dict), imported with
// model/import.h, opened in the studio beside the same model evaluated with padding masked:
// the confusion, reliance and embedding views show it like any run.
#include <QApplication>
#include <QTemporaryDir>

#include "mlsan/data/corpus_io.h"
#include "mlsan/model/import.h"
#include "mlsan/ui/confusion_matrix_view.h"
#include "mlsan/ui/confusion_panel.h"
#include "mlsan/ui/embedding_panel.h"
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

  ui::StudioOptions so;
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
  // Reliance: MultiEMO has no speaker gate, and says so.
  EXPECT_TRUE(w.gateTimeline()->message().contains("no speaker gate")) << w.gateTimeline()->message().toStdString();
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
