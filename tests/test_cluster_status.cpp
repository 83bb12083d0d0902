// SPDX-License-Identifier: GPL-3.0-or-later
// How a submitted experiment's tasks stand, without a cluster: squeue is a fake (a script in
// MLSAN_SLURM_BIN that prints a prepared answer), and the exit files, logs and run folders are
// written by the test as the task scripts and `mlsan train` write them. The same code against a
// real Slurm is tested in test_slurm_cluster.cpp (slurm.cluster).
#include "experiment_support.h"
#include "mlsan/experiments/cluster.h"

namespace experiment_test {
namespace {
using namespace mlsan::experiments;

/// A fake squeue: prints $FAKE/squeue.out, or fails with $FAKE/squeue.err when that exists.
struct FakeSqueue {
  explicit FakeSqueue(const TempDir& dir) : bin(dir.path() / "bin") {
    fs::create_directories(bin);
    writeText(bin / "squeue", "#!/bin/sh\nd=$(dirname \"$0\")\nif [ -e \"$d/squeue.err\" ]; then cat \"$d/squeue.err\" >&2; exit 1; fi\n"
                              "echo \"$@\" > \"$d/squeue.args\"\ncat \"$d/squeue.out\"\n");
    fs::permissions(bin / "squeue", fs::perms::owner_all);
    ::setenv("MLSAN_SLURM_BIN", bin.c_str(), 1);
  }
  ~FakeSqueue() { ::unsetenv("MLSAN_SLURM_BIN"); }
  void answer(const std::string& out) { writeText(bin / "squeue.out", out); }
  void fail(const std::string& err) { writeText(bin / "squeue.err", err); }
  fs::path bin;
};

TEST(ClusterStatus, ArrayRangesAndScript) {
  EXPECT_EQ(arrayRanges({5, 0, 1, 2, 7, 9, 10, 11, 2}), "0-2,5,7,9-11");
  EXPECT_EQ(arrayRanges({3}), "3");
  TrainArgs base;
  base.corpus = "demo";
  const Experiment e = Experiment::seedRuns(base, {1, 2, 3, 4, 5, 6});
  SlurmOptions o;
  o.tasks = {0, 1, 2, 5};
  o.maxParallel = 2;
  o.maxRequeue = 4;
  const std::string s = slurmScript(e, "/tmp/root", o);
  EXPECT_NE(s.find("#SBATCH --array=0-2,5%2\n"), std::string::npos) << s;
  EXPECT_NE(s.find("#SBATCH --requeue\n"), std::string::npos);
  EXPECT_NE(s.find("#SBATCH --signal=B:TERM@120\n"), std::string::npos);
  EXPECT_NE(s.find("#SBATCH --open-mode=append\n"), std::string::npos);
  EXPECT_NE(s.find("-lt 4 ]"), std::string::npos) << "the requeue cap";
  EXPECT_NE(s.find("cancelled-$SLURM_ARRAY_JOB_ID"), std::string::npos);
  EXPECT_NE(s.find("scontrol requeue \"$SLURM_JOB_ID\""), std::string::npos);
  o.warningSeconds = 0;
  EXPECT_EQ(slurmScript(e, "/tmp/root", o).find("#SBATCH --signal"), std::string::npos);
}

TEST(ClusterStatus, ParseSqueue) {
  const auto q = parseSqueue("77_0|PENDING|Priority|\n77_1|RUNNING|None|node7\n77_[4-9%2]|PENDING|JobArrayTaskLimit|\n"
                             "78_0|RUNNING|None|node1\n77_3|COMPLETED|None|node7\n",
                             "77");
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q.at(0), std::make_pair(std::string("PENDING"), std::string("Priority")));
  EXPECT_EQ(q.at(1), std::make_pair(std::string("RUNNING"), std::string("node7")));
  EXPECT_EQ(q.at(3).first, "COMPLETED");
}

TEST(ClusterStatus, EachWayATaskCanStand) {
  TempDir dir;
  FakeSqueue fake(dir);
  const std::string root = dir.str("root");
  TrainArgs base;
  base.corpus = "demo";
  const Experiment e = Experiment::seedRuns(base, {1, 2, 3, 4, 5, 6, 7});
  e.save(root);
  Submission s;
  s.kind = e.kindName();
  s.jobId = "77";
  s.tasks = {0, 1, 2, 3, 4, 5};  // task 6 was finished before the submission
  const fs::path slurm = fs::path(root) / "slurm";
  auto run = [&](int i) { return fs::path(root) / e.tasks[i].dir; };
  auto exitFile = [&](int i, const std::string& text) { writeText(slurm / ("77_" + std::to_string(i) + ".exit"), text); };
  // 1: running, one epoch in curves.csv
  mlsan::model::EpochRecord r;
  r.epoch = 1;
  r.valWeightedF1 = 41.5;
  writeText(run(1) / "curves.csv", mlsan::model::curvesCsv({r}));
  // 2: stopped by a signal, requeued, waiting for its begin time
  exitFile(2, R"({"rc":3,"restarts":0,"requeued":true})");
  // 3: failed: its log's last lines are the report
  exitFile(3, R"({"rc":1,"restarts":0,"requeued":false})");
  writeText(slurm / "77_3.out", "[date] task 3 on node7\nmlsan epoch 1/2: 50%\rmlsan epoch 1/2: 100%\nmlsan: error: corpus 'x': cannot read features.f32\n");
  // 4: stopped more often than the cap allows
  exitFile(4, R"({"rc":3,"restarts":10,"requeued":false})");
  // 5: vanished without a word; 6: finished before the submission
  writeText(run(6) / "metrics.json", R"({"weighted_f1": 55.5, "best_epoch": 2})");
  fake.answer("77_0|PENDING|Priority|\n77_1|RUNNING|None|node7\n77_2|PENDING|BeginTime|\n");

  auto st = clusterStatus(e, root, s);
  ASSERT_EQ(st.size(), 7u);
  EXPECT_NE(readText(fake.bin / "squeue.args").find("-j 77"), std::string::npos) << "one call for the array";
  EXPECT_EQ(st[0].status.state, TaskState::Queued);
  EXPECT_EQ(st[0].status.message, "waiting (Priority)");
  EXPECT_EQ(st[0].jobId, "77_0");
  EXPECT_EQ(st[1].status.state, TaskState::Running);
  EXPECT_EQ(st[1].status.message, "running on node7");
  EXPECT_EQ(st[1].status.epoch, 1);
  EXPECT_DOUBLE_EQ(st[1].status.valF1, 41.5);
  EXPECT_EQ(st[2].status.state, TaskState::Queued);
  EXPECT_TRUE(st[2].requeued);
  EXPECT_EQ(st[2].restarts, 1);
  EXPECT_EQ(st[2].status.message, "requeued after 1 interruption(s), waiting (BeginTime)");
  EXPECT_EQ(st[3].status.state, TaskState::Failed);
  EXPECT_NE(st[3].status.message.find("exited with status 1"), std::string::npos) << st[3].status.message;
  EXPECT_NE(st[3].status.message.find("cannot read features.f32"), std::string::npos) << st[3].status.message;
  EXPECT_NE(st[3].status.message.find("mlsan epoch 1/2: 100%"), std::string::npos) << "the redrawn line, once";
  EXPECT_EQ(st[3].status.message.find("50%"), std::string::npos) << st[3].status.message;
  EXPECT_EQ(st[4].status.state, TaskState::Cancelled);
  EXPECT_NE(st[4].status.message.find("not requeued again"), std::string::npos) << st[4].status.message;
  EXPECT_EQ(st[5].status.state, TaskState::Failed);
  EXPECT_NE(st[5].status.message.find("no longer lists 77_5"), std::string::npos) << st[5].status.message;
  EXPECT_EQ(st[6].status.state, TaskState::Done);
  EXPECT_TRUE(st[6].status.reused);
  EXPECT_EQ(st[6].jobId, "");

  // The requeued task ran again and finished; the scheduler has since forgotten the whole job.
  exitFile(2, R"({"rc":0,"restarts":1,"requeued":false})");
  writeText(run(2) / "metrics.json", R"({"weighted_f1": 60.25, "best_epoch": 2})");
  fake.fail("slurm_load_jobs error: Invalid job id specified\n");
  st = clusterStatus(e, root, s);
  EXPECT_EQ(st[2].status.state, TaskState::Done);
  EXPECT_EQ(st[2].restarts, 1);
  EXPECT_DOUBLE_EQ(st[2].status.testF1, 60.25);
  EXPECT_EQ(st[0].status.state, TaskState::Failed) << "queued once, now unknown and without an exit file";
  // Any other squeue failure is an error that names squeue.
  fake.fail("slurm_load_jobs error: Unable to contact slurm controller\n");
  try {
    clusterStatus(e, root, s);
    FAIL();
  } catch (const std::runtime_error& ex) {
    EXPECT_NE(std::string(ex.what()).find("squeue failed"), std::string::npos) << ex.what();
    EXPECT_NE(std::string(ex.what()).find("Unable to contact"), std::string::npos) << ex.what();
  }
}

TEST(ClusterStatus, SubmissionRecordRoundTripsAndNamesItsFile) {
  TempDir dir;
  Submission s;
  s.kind = "ablation";
  s.jobId = "1234";
  s.tasks = {0, 3};
  s.options.partition = "gpu";
  s.options.maxParallel = 4;
  const Submission back = Submission::fromJson(s.toJson(), "x.json");
  EXPECT_EQ(back.jobId, "1234");
  EXPECT_EQ(back.tasks, s.tasks);
  EXPECT_EQ(back.options.partition, "gpu");
  EXPECT_EQ(back.options.maxParallel, 4);
  writeText(fs::path(submissionFile(dir.str(), "ablation")), "{not json");
  try {
    loadSubmission(dir.str(), "ablation");
    FAIL();
  } catch (const std::runtime_error& ex) {
    EXPECT_NE(std::string(ex.what()).find("ablation.submission.json"), std::string::npos) << ex.what();
  }
  try {
    loadSubmission(dir.str(), "factorial");
    FAIL();
  } catch (const std::runtime_error& ex) {
    EXPECT_NE(std::string(ex.what()).find("no factorial experiment"), std::string::npos) << ex.what();
  }
}

}  // namespace
}  // namespace experiment_test
