// SPDX-License-Identifier: GPL-3.0-or-later
// Experiments end to end: the child-process runner against `mlsan ablation`, Slurm scripts run
// with bash and collected, and a training run that is killed, cancelled, starved of disk or
// diverges. The tests start the real mlsan binary (MLSAN_BIN_PATH) on the demo corpus, one epoch
// ~4 s each.
#include "experiment_support.h"

using namespace experiment_test;
using namespace mlsan::experiments;

// ---------------------------------------------------------------------------------------------
// 4. End to end: the runner and `mlsan ablation` with the real binary.

TEST(Issue6EndToEnd, RunnerAblationMatchesCommandLine) {
  TempDir dir;
  TrainArgs base;
  base.corpus = "demo";
  base.epochs = 1;
  base.threads = 1;
  const auto e = Experiment::ablation(base, {1});
  const std::string root = dir.str("runner");
  e.save(root);
  RunnerObserver quiet;
  const auto status = runChildren(kMlsan, experimentChildren(e, root), 2, quiet, [] { return false; });
  ASSERT_EQ(status.size(), 5u);
  for (std::size_t i = 0; i < status.size(); ++i) {
    EXPECT_EQ(status[i].state, TaskState::Done) << e.tasks[i].label() << ": " << status[i].message;
    EXPECT_TRUE(std::isfinite(status[i].testF1));
  }
  const auto t = collectResults(e, root);
  EXPECT_TRUE(t.complete()) << ::testing::PrintToString(t.problems);
  for (std::size_t g = 0; g < t.rows.size(); ++g) {
    EXPECT_EQ(t.rows[g].finished, 1) << t.rows[g].key;
    EXPECT_DOUBLE_EQ(t.rows[g].runs[0], status[g].testF1) << t.rows[g].key;
  }
  EXPECT_TRUE(leftovers(root).empty());

  // The same experiment by the command line, in another process, with seeds 1 and 2.
  const std::string cli = dir.str("cli");
  std::string out;
  ASSERT_EQ(shell(shellQuote(kMlsan) + " ablation --corpus demo --seeds 2 --epochs 1 --json --out " + shellQuote(cli) +
                      " 2>" + shellQuote(dir.str("ablation.err")),
                  &out),
            0)
      << readText(dir.path() / "ablation.err");
  const json j = json::parse(out);
  ASSERT_EQ(j["rows"].size(), 5u);
  EXPECT_EQ(j["seeds"], json::array({1, 2}));
  EXPECT_TRUE(j["problems"].empty()) << j["problems"];
  const auto cliTable = collectResults(Experiment::load(cli), cli);
  for (std::size_t g = 0; g < 5; ++g) {
    EXPECT_EQ(j["rows"][g]["variant"], t.rows[g].key);
    EXPECT_EQ(j["rows"][g]["finished"], 2);
    // Seed 1: the same number in both processes.
    EXPECT_DOUBLE_EQ(j["rows"][g]["runs"][0].get<double>(), t.rows[g].runs[0]) << t.rows[g].key;
    for (int s = 0; s < 2; ++s)
      EXPECT_DOUBLE_EQ(j["rows"][g]["runs"][s].get<double>(), cliTable.rows[g].runs[s]) << t.rows[g].key << " seed " << s + 1;
    EXPECT_DOUBLE_EQ(j["rows"][g]["mean"].get<double>(), cliTable.rows[g].mean);
  }
}

// A program that exists and is executable but cannot be exec'd (not a binary, no #! line):
// every task fails with a message that names the program and the system's reason.
TEST(Issue6EndToEnd, ExecFailureNamesTheProgramAndTheReason) {
  TempDir dir;
  const std::string fake = dir.str("not-a-program");
  {
    std::ofstream f(fake, std::ios::binary);
    f << std::string(64, '\x7f');
  }
  fs::permissions(fake, fs::perms::owner_all);
  RunnerObserver quiet;
  std::vector<ChildTask> tasks(2);
  tasks[0].args = {"--version"};
  tasks[1].args = {"--version"};
  const auto status = runChildren(fake, tasks, 2, quiet, [] { return false; });
  ASSERT_EQ(status.size(), 2u);
  for (const auto& s : status) {
    EXPECT_EQ(s.state, TaskState::Failed);
    EXPECT_NE(s.message.find(fake), std::string::npos) << s.message;
    EXPECT_NE(s.message.find(std::strerror(ENOEXEC)), std::string::npos) << s.message;
  }
}

// ---------------------------------------------------------------------------------------------
// 5. Slurm scripts, run by hand.

TEST(Issue6Slurm, ScriptRunsTasksAndCollectReadsThem) {
  TempDir dir;
  TrainArgs base;
  base.epochs = 1;
  base.threads = 1;
  const auto e = Experiment::seedRuns(base, {1, 2});
  ASSERT_EQ(e.tasks.size(), 2u);
  const std::string root = dir.str("exp with space");
  SlurmOptions so;
  so.mlsan = "/nonexistent/mlsan";  // overridden by $MLSAN below
  so.maxParallel = 2;
  const std::string script = writeSlurm(e, root, so);
  EXPECT_TRUE(fs::exists(experimentFile(root)));
  const std::string text = readText(script);
  EXPECT_NE(text.find("#SBATCH --array=0-1%2"), std::string::npos) << text;
  EXPECT_NE(text.find("#SBATCH --cpus-per-task=1"), std::string::npos);
  EXPECT_EQ(::access(script.c_str(), X_OK), 0);
  EXPECT_EQ(shell("bash -n " + shellQuote(script)), 0);

  const std::string env = "MLSAN=" + shellQuote(kMlsan) + " ";
  for (int i = 0; i < 2; ++i)
    ASSERT_EQ(shell(env + "bash " + shellQuote(script) + " " + std::to_string(i) + " >/dev/null 2>&1"), 0) << "task " << i;
  EXPECT_NE(shell(env + "bash " + shellQuote(script) + " 2 >/dev/null 2>&1"), 0);
  EXPECT_NE(shell(env + "bash " + shellQuote(script) + " >/dev/null 2>&1"), 0);  // no index outside Slurm

  std::string out;
  // (`mlsan collect` has no --json flag, unlike ablation and sweep: --format json.)
  ASSERT_EQ(shell(shellQuote(kMlsan) + " collect " + shellQuote(root) + " --format json 2>/dev/null", &out), 0);
  const json j = json::parse(out);
  ASSERT_EQ(j["rows"].size(), 1u);
  EXPECT_EQ(j["rows"][0]["finished"], 2);
  EXPECT_TRUE(j["problems"].empty()) << j["problems"];
  const auto t = collectResults(Experiment::load(root), root);
  EXPECT_DOUBLE_EQ(j["rows"][0]["mean"].get<double>(), t.rows[0].mean);
  EXPECT_TRUE(leftovers(root).empty());
}

// ---------------------------------------------------------------------------------------------
// 6-9. A training run killed, cancelled, out of disk space, diverging.

TEST(Issue6Robustness, SurvivesSigkillAndResumesToTheSameRun) {
  TempDir dir;
  const fs::path d = dir.path() / "killed";
  {
    auto args = trainArgs(d.string(), 3, 5);
    args.push_back("--events");
    Child c = Child::start(args, dir.str("killed.err"));
    ASSERT_TRUE(c.signalAtBatch(2, 2, SIGKILL)) << readText(dir.path() / "killed.err");
    const int st = c.finish();
    ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  }
  // Everything in the folder is whole.
  EXPECT_TRUE(leftovers(d).empty()) << ::testing::PrintToString(leftovers(d));
  EXPECT_TRUE(fs::exists(d / "checkpoints/last.pt"));
  EXPECT_GT(fs::file_size(d / "checkpoints/last.pt"), 0u);
  EXPECT_EQ(readCurves(d / "curves.csv").size(), 1u);
  EXPECT_NO_THROW(json::parse(readText(d / "config.json")).at("train").at("seed"));
  for (const auto& f : fs::recursive_directory_iterator(d)) {
    if (!f.is_regular_file()) continue;
    if (f.path().extension() == ".json") {
      EXPECT_NO_THROW(json::parse(readText(f.path()))) << f.path();
    }
    if (f.path().extension() == ".csv") {
      EXPECT_NO_THROW(readCurves(f.path())) << f.path();
    }
  }

  std::string out;
  const auto resume = trainArgs(d.string(), 3, 5);
  std::string cmd = shellQuote(kMlsan);
  for (const auto& a : resume) cmd += " " + shellQuote(a);
  ASSERT_EQ(shell(cmd + " --resume --json 2>/dev/null", &out), 0);
  const json r = json::parse(out);
  EXPECT_EQ(r["epochs"], 3);
  EXPECT_FALSE(r["reused"].get<bool>());

  const fs::path whole = dir.path() / "whole";
  std::string cmd2 = shellQuote(kMlsan);
  for (const auto& a : trainArgs(whole.string(), 3, 5)) cmd2 += " " + shellQuote(a);
  ASSERT_EQ(shell(cmd2 + " --json >/dev/null 2>&1"), 0);
  EXPECT_EQ(readCurves(d / "curves.csv").size(), 3u);
  expectSameRun(d, whole);
  EXPECT_TRUE(leftovers(d).empty());
}

TEST(Issue6Robustness, SigtermCancelsWithStatus3AndResumes) {
  TempDir dir;
  const fs::path d = dir.path() / "run";
  std::vector<json> events;
  int st = 0;
  {
    auto args = trainArgs(d.string(), 2, 7);
    args.push_back("--events");
    Child c = Child::start(args, dir.str("cancel.err"));
    ASSERT_TRUE(c.signalAtBatch(2, 1, SIGTERM, &events)) << readText(dir.path() / "cancel.err");
    st = c.finish(&events);
  }
  ASSERT_TRUE(WIFEXITED(st)) << "status " << st;
  EXPECT_EQ(WEXITSTATUS(st), 3) << readText(dir.path() / "cancel.err");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().value("event", ""), "cancelled") << events.back();
  EXPECT_EQ(events.back().value("epochs_done", -1), 1);
  EXPECT_FALSE(fs::exists(d / "metrics.json"));
  EXPECT_TRUE(leftovers(d).empty());

  std::string cmd = shellQuote(kMlsan), out;
  for (const auto& a : trainArgs(d.string(), 2, 7)) cmd += " " + shellQuote(a);
  ASSERT_EQ(shell(cmd + " --resume --json 2>/dev/null", &out), 0);
  EXPECT_EQ(json::parse(out)["epochs"], 2);
  EXPECT_TRUE(fs::exists(d / "metrics.json"));
  EXPECT_EQ(readCurves(d / "curves.csv").size(), 2u);
}

TEST(Issue6Robustness, FullDiskKeepsTheLastCheckpoint) {
  TempDir dir;
  const fs::path d = dir.path() / "run";
  {
    Child c = Child::start(trainArgs(d.string(), 1, 3), dir.str("first.err"));
    const int st = c.finish();
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << readText(dir.path() / "first.err");
  }
  const fs::path last = d / "checkpoints/last.pt";
  ASSERT_TRUE(fs::exists(last));
  const auto size = fs::file_size(last);
  const std::string before = fileBytes(last);
  const std::string curvesBefore = readText(d / "curves.csv");

  // Every file the child writes is cut at half of last.pt's size: last.pt cannot be saved.
  auto args = trainArgs(d.string(), 2, 3);
  args.push_back("--resume");
  const std::string errFile = dir.str("full.err");
  Child c = Child::start(args, errFile, static_cast<rlim_t>(size / 2));
  const int st = c.finish();
  const std::string err = readText(errFile);
  ASSERT_TRUE(WIFEXITED(st)) << "status " << st << ": " << err;
  EXPECT_NE(WEXITSTATUS(st), 0) << err;
  EXPECT_NE(err.find(last.string()), std::string::npos) << err;
  EXPECT_NE(err.find("File too large"), std::string::npos) << err;  // the system's reason, not a guess
  EXPECT_EQ(fileBytes(last), before) << "last.pt changed";
  EXPECT_EQ(readText(d / "curves.csv"), curvesBefore);
  EXPECT_TRUE(leftovers(d).empty()) << ::testing::PrintToString(leftovers(d));
}

TEST(Issue6Robustness, HugeLearningRateDiverges) {
  // With --lr 1e30 the demo model's loss is NaN at the second batch of epoch 1.
  TempDir dir;
  const fs::path d = dir.path() / "run";
  auto args = trainArgs(d.string(), 2, 1);
  args.insert(args.end(), {"--lr", "1e30"});
  Child c = Child::start(args, dir.str("nan.err"));
  const int st = c.finish();
  const std::string err = readText(dir.path() / "nan.err");
  ASSERT_TRUE(WIFEXITED(st)) << st;
  EXPECT_NE(WEXITSTATUS(st), 0);
  EXPECT_NE(WEXITSTATUS(st), 3);
  EXPECT_NE(err.find("diverged"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(d / "metrics.json"));
  EXPECT_TRUE(leftovers(d).empty());
}
