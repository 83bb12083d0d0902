// SPDX-License-Identifier: GPL-3.0-or-later
// Experiments on a real Slurm: a one-node cluster started on this machine by
// tests/slurm/local_cluster.sh (munged, slurmctld and slurmd from Debian's packages), which
// runs this binary with SLURM_CONF set and tears the cluster down however it ends. ctest
// registers it as slurm.cluster when slurmctld is installed.
//
// - an ablation (demo corpus, 3 epochs, 2 seeds) through `mlsan ablation --submit`, 2 tasks at
//   a time, one task signalled mid-epoch (scancel --signal=TERM --batch, as Slurm's warning
//   before a time limit or a preemption): it requeues itself and finishes with exactly the
//   metrics of the uninterrupted local run, and the table equals the local one run for run;
// - a task that must fail (its corpus does not exist) is reported with its log, never requeued;
// - mlsan cluster cancel stops every task and none requeues itself;
// - sbatch's refusal (a partition that does not exist) is named.
#include <algorithm>
#include <thread>

#include "experiment_support.h"
#include "mlsan/experiments/cluster.h"

namespace experiment_test {
namespace {
using namespace mlsan::experiments;

bool haveCluster() { return std::getenv("SLURM_CONF") != nullptr; }

/// Waits up to `seconds` for `ready()`.
bool waitFor(const std::function<bool()>& ready, double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return ready();
}

std::size_t curveRecords(const fs::path& runDir) {
  std::error_code ec;
  if (!fs::exists(runDir / "curves.csv", ec)) return 0;
  try {
    return readCurves(runDir / "curves.csv").size();
  } catch (const std::exception&) {
    return 0;
  }
}

/// The array's tasks that squeue still lists as pending or running.
std::string activeTasks(const std::string& job) {
  std::string out;
  shell("squeue -h -r -j " + job + " -t PENDING,RUNNING,COMPLETING,CONFIGURING -o %i 2>/dev/null", &out);
  return out;
}

class SlurmCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!haveCluster()) GTEST_SKIP() << "SLURM_CONF is not set: run through tests/slurm/local_cluster.sh run DIR " << "mlsan_cluster_tests";
  }
  TempDir dir;
};

TEST_F(SlurmCluster, SubmittedAblationEqualsTheLocalRunEvenWithATaskInterruptedMidEpoch) {
  const std::string root = dir.str("cluster"), local = dir.str("local");
  const std::string options = " --corpus demo --seeds 2 --epochs 3";
  // Submit and follow in the background, as a user's shell would.
  std::string submitOut;
  int submitStatus = -1;
  std::thread submitter([&] {
    submitStatus = shell(shellQuote(kMlsan) + " ablation" + options + " --submit --slurm " + shellQuote(dir.str("table2.sbatch")) +
                             " --slurm-max-parallel 2 --slurm-mem 400M --slurm-time 00:30:00 --poll 2 --json --out " +
                             shellQuote(root) + " 2>" + shellQuote(dir.str("submit.err")),
                         &submitOut);
  });
  // Task 1 (full ML-SAN, seed 2) gets the warning signal 1 s into its second epoch, by its own
  // job id (squeue's %A), as Slurm's --signal=B:TERM@... sends it before a time limit. Slurm
  // 22.05 delivers it at once but answers "Job can not be altered now" while the array has
  // pending tasks, and scancel then repeats the signal every few seconds until the requeued
  // task runs again and gets it a second time: scancel is stopped after 4 s, and the test
  // checks what the task did rather than scancel's status.
  std::string jobId, own;
  const int target = 1;  // not 0: any task but the first also shows the requeue is per task
  const bool started = waitFor([&] { return fs::exists(submissionFile(root, "ablation")); }, 60) &&
                       waitFor([&] {
                         jobId = loadSubmission(root, "ablation").jobId;
                         shell("squeue -h -r -j " + jobId + "_1 -t RUNNING -o %A", &own);
                         own.erase(own.find_last_not_of(" \n") + 1);
                         return !own.empty();
                       }, 120);
  // Two tasks at once (--slurm-max-parallel 2 on a node of two CPUs).
  EXPECT_TRUE(started && waitFor([&] {
    std::string running;
    shell("squeue -h -r -j " + jobId + " -t RUNNING -o %i", &running);
    return std::count(running.begin(), running.end(), '\n') == 2;
  }, 60)) << "never two tasks running at once";
  const fs::path signalled = target >= 0 ? fs::path(root) / "full" / ("seed" + std::to_string(target + 1)) : fs::path(root);
  const bool secondEpoch = started && waitFor([&] { return curveRecords(signalled) >= 1; }, 240);
  if (secondEpoch) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    shell("timeout 4 scancel --signal=TERM --batch " + own + " >/dev/null 2>&1");
  }
  submitter.join();
  ASSERT_TRUE(secondEpoch) << readText(dir.path() / "submit.err");
  const std::string label = "full seed " + std::to_string(target + 1), id = jobId + "_" + std::to_string(target);
  ASSERT_EQ(submitStatus, 0) << readText(dir.path() / "submit.err");
  const json cluster = json::parse(submitOut);
  const std::string err = readText(dir.path() / "submit.err");
  EXPECT_NE(err.find("submitted ablation to Slurm as job " + jobId + ": 10 of 10 runs"), std::string::npos) << err;
  EXPECT_NE(err.find(label + ": running on"), std::string::npos) << err;
  EXPECT_NE(err.find(label + ": queued: requeued after 1 interruption(s)"), std::string::npos) << err;
  EXPECT_NE(err.find("multiemo seed 2: queued: waiting"), std::string::npos) << err;
  EXPECT_TRUE(fs::exists(dir.path() / "table2.sbatch"));

  // The interruption: stopped inside epoch 2, requeued by its own script, resumed from the batch.
  const std::string log = readText(fs::path(root) / "slurm" / (id + ".out"));
  EXPECT_NE(log.find("stopped in epoch 2 after batch"), std::string::npos) << log;
  EXPECT_NE(log.find("mlsan exited with status 3, requeued"), std::string::npos) << log;
  EXPECT_NE(log.find("in epoch 2, after batch"), std::string::npos) << log;
  EXPECT_NE(log.find("restart 1"), std::string::npos) << log;
  const json exit0 = json::parse(readText(fs::path(root) / "slurm" / (id + ".exit")));
  EXPECT_EQ(exit0["rc"], 0);
  EXPECT_EQ(exit0["restarts"], 1);
  EXPECT_FALSE(fs::exists(signalled / "checkpoints" / "interrupted.pt"));

  // The same experiment here, with no Slurm: the same table, run for run, and the signalled task exactly.
  std::string localOut;
  ASSERT_EQ(shell(shellQuote(kMlsan) + " ablation" + options + " --jobs 2 --json --out " + shellQuote(local) + " 2>/dev/null", &localOut), 0);
  const json here = json::parse(localOut);
  ASSERT_EQ(cluster["rows"].size(), 5u);
  for (std::size_t g = 0; g < 5; ++g) {
    EXPECT_EQ(cluster["rows"][g]["variant"], here["rows"][g]["variant"]);
    EXPECT_EQ(cluster["rows"][g]["runs"], here["rows"][g]["runs"]) << cluster["rows"][g]["variant"];
  }
  EXPECT_TRUE(cluster["problems"].empty()) << cluster["problems"];
  EXPECT_EQ(readText(signalled / "curves.csv").size() > 0, true);
  std::vector<std::string> header;
  const auto a = readCurves(signalled / "curves.csv", &header), b = readCurves(fs::path(local) / "full" / signalled.filename() / "curves.csv");
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t r = 0; r < a.size(); ++r)
    for (std::size_t c = 0; c < a[r].size(); ++c)
      if (header[c] != "seconds") EXPECT_EQ(a[r][c], b[r][c]) << "epoch " << r + 1 << ", " << header[c];
  EXPECT_EQ(readText(signalled / "predictions.csv"), readText(fs::path(local) / "full" / signalled.filename() / "predictions.csv"));

  // mlsan cluster status, from another process: every task done, the signalled one restarted once.
  std::string statusOut;
  ASSERT_EQ(shell(shellQuote(kMlsan) + " cluster status " + shellQuote(root) + " --json", &statusOut), 0);
  const json status = json::parse(statusOut);
  ASSERT_EQ(status["tasks"].size(), 10u);
  for (const auto& t : status["tasks"]) EXPECT_EQ(t["state"], "done") << t;
  EXPECT_EQ(status["tasks"][target]["restarts"], 1);
  EXPECT_TRUE(leftovers(root).empty()) << ::testing::PrintToString(leftovers(root));
}

TEST_F(SlurmCluster, ATaskThatFailsIsReportedWithItsLogAndNotRequeued) {
  const std::string root = dir.str("failing");
  TrainArgs base;
  base.corpus = dir.str("no-such-corpus");  // the submitting side does not open it; the task fails on it
  base.epochs = 1;
  base.threads = 1;
  const Experiment e = Experiment::seedRuns(base, {1});
  SlurmOptions so;
  so.mlsan = kMlsan;
  so.memory = "400M";
  const Submission s = submitExperiment(e, root, so);
  ASSERT_FALSE(s.jobId.empty());
  struct Recorder : RunnerObserver {
    std::vector<std::string> logs;
    void taskLog(int task, const std::string& line) override {
      if (task >= 0) logs.push_back(line);
    }
  } recorder;
  const auto status = followSubmission(e, root, s, recorder, 2, nullptr);
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].status.state, TaskState::Failed);
  EXPECT_EQ(status[0].restarts, 0) << "an error is not requeued";
  EXPECT_NE(status[0].status.message.find("exited with status 1"), std::string::npos) << status[0].status.message;
  EXPECT_NE(status[0].status.message.find("no-such-corpus"), std::string::npos) << status[0].status.message;
  ASSERT_EQ(recorder.logs.size(), 1u);
  // The command line says the same, exits non-zero, and collect marks the run missing.
  std::string out;
  EXPECT_EQ(shell(shellQuote(kMlsan) + " cluster status " + shellQuote(root) + " --follow --poll 2 2>&1", &out), 1) << out;
  EXPECT_NE(out.find("FAILED: mlsan train exited with status 1"), std::string::npos) << out;
  EXPECT_NE(out.find("no-such-corpus"), std::string::npos) << out;
  EXPECT_EQ(shell(shellQuote(kMlsan) + " collect " + shellQuote(root) + " 2>&1", &out), 0);
  EXPECT_NE(out.find("0/1"), std::string::npos) << out;
  EXPECT_NE(out.find("not finished"), std::string::npos) << out;
  EXPECT_TRUE(activeTasks(s.jobId).empty());
}

TEST_F(SlurmCluster, CancelStopsEveryTaskAndNoneRequeuesItself) {
  const std::string root = dir.str("cancelled");
  TrainArgs base;
  base.corpus = "demo";
  base.epochs = 30;
  base.threads = 1;
  const Experiment e = Experiment::seedRuns(base, {1, 2, 3});
  SlurmOptions so;
  so.mlsan = kMlsan;
  so.memory = "400M";
  so.maxParallel = 2;
  const Submission s = submitExperiment(e, root, so);
  ASSERT_TRUE(waitFor([&] { return curveRecords(fs::path(root) / e.tasks[0].dir) >= 1; }, 120));
  std::string out;
  ASSERT_EQ(shell(shellQuote(kMlsan) + " cluster cancel " + shellQuote(root) + " 2>&1", &out), 0) << out;
  EXPECT_NE(out.find("cancelled Slurm job " + s.jobId), std::string::npos) << out;
  EXPECT_TRUE(waitFor([&] { return activeTasks(s.jobId).empty(); }, 60)) << activeTasks(s.jobId);
  // Past the requeue delay (cred_expire, 10 s here): still nothing queued or running.
  std::this_thread::sleep_for(std::chrono::seconds(15));
  EXPECT_TRUE(activeTasks(s.jobId).empty()) << activeTasks(s.jobId);
  const auto status = clusterStatus(e, root, s);
  for (const auto& t : status) EXPECT_EQ(t.status.state, TaskState::Cancelled) << t.jobId << ": " << t.status.message;
  // The running ones kept what they had: a resumable run folder.
  EXPECT_TRUE(fs::exists(fs::path(root) / e.tasks[0].dir / "checkpoints"));
  EXPECT_TRUE(leftovers(root).empty());
}

TEST_F(SlurmCluster, SbatchRefusalIsNamed) {
  TrainArgs base;
  base.corpus = "demo";
  base.epochs = 1;
  const Experiment e = Experiment::seedRuns(base, {1});
  SlurmOptions so;
  so.mlsan = kMlsan;
  so.partition = "no_such_partition";
  try {
    submitExperiment(e, dir.str("refused"), so);
    FAIL() << "sbatch accepted a partition that does not exist";
  } catch (const std::runtime_error& ex) {
    EXPECT_NE(std::string(ex.what()).find("sbatch refused"), std::string::npos) << ex.what();
    EXPECT_NE(std::string(ex.what()).find("partition"), std::string::npos) << ex.what();
  }
  EXPECT_FALSE(fs::exists(submissionFile(dir.str("refused"), "seeds")));
}

}  // namespace
}  // namespace experiment_test
