// SPDX-License-Identifier: GPL-3.0-or-later
// The Training panel on a real Slurm (a one-node cluster that tests/slurm/local_cluster.sh
// starts for this binary and tears down; ctest: slurm.studio): "Run on: a Slurm cluster"
// submits the experiment, the queue shows each task's Slurm state and the curves come in live;
// the panel is then closed while the jobs still run (as when the studio closes), and a new
// panel on the same runs folder finds the experiment again and follows it to its table.
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>

#include "mlsan/experiments/cluster.h"
#include "mlsan/ui/studio_state.h"
#include "mlsan/ui/training_panel.h"
#include "studio_support.h"

namespace {
using namespace mlsan;
using studio_test::waitFor;

std::string activeTasks(const QString& job) {
  std::string out;
  FILE* f = ::popen(("squeue -h -r -t PENDING,RUNNING -j " + job.toStdString() + " -o %i 2>/dev/null").c_str(), "r");
  char buf[256];
  while (f && std::fgets(buf, sizeof buf, f)) out += buf;
  if (f) ::pclose(f);
  return out;
}

TEST(StudioCluster, TrainingPanelSubmitsFollowsAndFindsTheExperimentAgain) {
  if (!qEnvironmentVariableIsSet("SLURM_CONF")) GTEST_SKIP() << "run through tests/slurm/local_cluster.sh run DIR (ctest: slurm.studio)";
  QTemporaryDir tmp;
  const QString runs = tmp.path() + "/runs";
  ui::StudioState state;
  auto panel = std::make_unique<ui::TrainingPanel>(state, nullptr, runs);
  panel->resize(1360, 860);
  panel->show();
  auto* form = panel->form();
  form->setKind(ui::TrainingPanel::Kind::Comparison);
  form->setCorpus("demo");
  form->setSeeds("1-3");
  form->setEpochs(3);
  form->setThreads(1);
  form->setParallel(2);
  form->setRunOnCluster(true);
  form->setSlurm("", "", "00:20:00", "400M");
  EXPECT_EQ(form->slurmOptions().maxParallel, 2);
  QString err;
  ASSERT_TRUE(panel->start(&err)) << err.toStdString();
  ASSERT_TRUE(waitFor([&] { return !panel->clusterJob().isEmpty(); }, 60000)) << panel->log()->toPlainText().toStdString();
  const QString job = panel->clusterJob();
  // Live: a task running with its curves, the others waiting for the array's limit.
  ASSERT_TRUE(waitFor([&] { return panel->curvePoints() > 0; }, 180000)) << panel->log()->toPlainText().toStdString();
  int running = 0, queued = 0;
  for (const auto& s : panel->tasks()) {
    running += s.state == experiments::TaskState::Running;
    queued += s.state == experiments::TaskState::Queued;
  }
  EXPECT_GE(running, 1);
  EXPECT_GE(queued, 1);
  bool saysWhy = false;
  for (int r = 0; r < panel->queueView()->rowCount(); ++r)
    saysWhy = saysWhy || panel->queueView()->item(r, 6)->text().startsWith("running on") ||
              panel->queueView()->item(r, 6)->text().startsWith("waiting");
  EXPECT_TRUE(saysWhy);
  studio_test::saveShotTo(panel.get(), MLSAN_TEST_OUTPUT_DIR, "training_panel_cluster.png");

  // The studio closes: following stops, the jobs do not.
  panel.reset();
  EXPECT_FALSE(activeTasks(job).empty()) << "closing the studio must not cancel a cluster experiment";

  // Reopened on the same runs folder: found again, followed to the end, the table complete.
  auto again = std::make_unique<ui::TrainingPanel>(state, nullptr, runs);
  again->resize(1360, 860);
  again->show();
  QSignalSpy finished(again.get(), &ui::TrainingPanel::queueFinished);
  ASSERT_TRUE(waitFor([&] { return again->busy(); }, 20000)) << again->log()->toPlainText().toStdString();
  EXPECT_EQ(again->clusterJob(), job);
  ASSERT_TRUE(finished.wait(300000)) << again->log()->toPlainText().toStdString();
  EXPECT_TRUE(finished.first().first().toBool()) << again->log()->toPlainText().toStdString();
  ASSERT_EQ(again->tasks().size(), 6u);
  for (const auto& s : again->tasks()) EXPECT_EQ(s.state, experiments::TaskState::Done) << s.message;
  ASSERT_TRUE(again->results().has_value());
  EXPECT_TRUE(again->results()->complete());
  EXPECT_EQ(again->resultView()->rowCount(), 2);
  EXPECT_TRUE(again->log()->toPlainText().contains("following the comparison experiment submitted to Slurm as job " + job));
  studio_test::saveShotTo(again.get(), MLSAN_TEST_OUTPUT_DIR, "training_panel_cluster_done.png");

  // Open experiment on a finished cluster folder shows it again (one look at the queue).
  const QString root = again->currentRoot();
  again.reset();
  ui::TrainingPanel third(state, nullptr, runs);
  QString e2;
  ASSERT_TRUE(waitFor([&] { return !third.busy(); }, 20000));
  ASSERT_TRUE(third.openExperiment(root, &e2)) << e2.toStdString();
  QSignalSpy done(&third, &ui::TrainingPanel::queueFinished);
  ASSERT_TRUE(done.wait(60000));
  for (const auto& s : third.tasks()) EXPECT_EQ(s.state, experiments::TaskState::Done) << s.message;
}

}  // namespace
