// SPDX-License-Identifier: GPL-3.0-or-later
// Experiments over many `mlsan train` runs (mlsan_experiments): argument parsing, experiment
// descriptions, the queue's progress, and result tables and their statistics from hand-made run
// folders. The runs themselves (the runner, `mlsan ablation`, Slurm scripts, a training killed,
// cancelled, starved of disk or diverging) are in test_experiment_runs.cpp.
#include "experiment_support.h"

using namespace experiment_test;
using namespace mlsan::experiments;

// ---------------------------------------------------------------------------------------------
// 1. Arguments.

TEST(Issue6Args, ParseSeedsGoodAndBad) {
  EXPECT_EQ(parseSeeds("1,2,3"), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(parseSeeds("1-5"), (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(parseSeeds("1-3,7"), (std::vector<std::uint64_t>{1, 2, 3, 7}));
  EXPECT_EQ(parseSeeds(" 4, 2 ,4"), (std::vector<std::uint64_t>{4, 2}));  // duplicates dropped, order kept
  for (const char* bad : {"", "x", "1,a", "-1", "3-1", "1-", "1.5", "1-2000", ","})
    EXPECT_THROW(parseSeeds(bad), std::invalid_argument) << "'" << bad << "'";
}

TEST(Issue6Args, ParseLambdasGoodAndBad) {
  EXPECT_EQ(parseLambdas("0,0.1,0.5"), (std::vector<double>{0, 0.1, 0.5}));
  EXPECT_EQ(parseLambdas("1e-3"), (std::vector<double>{0.001}));
  for (const char* bad : {"", "-0.1", "abc", "0.1x", "nan", "inf", "0.1,,-2"})
    EXPECT_THROW(parseLambdas(bad), std::invalid_argument) << "'" << bad << "'";
}

TEST(Issue6Args, TrainArgsRoundTrip) {
  TrainArgs a;
  a.corpus = "/data/meld dir";
  a.csvDir = "/csv";
  a.variant = "multiemo";
  a.noFilm = a.noAux = true;
  a.lambda = 0.3;
  a.gateInput = "speaker";
  a.gateInit = 0.25;
  a.epochs = 7;
  a.batchSize = 16;
  a.microBatch = 4;
  a.speakerLrScale = 0.1;
  a.lr = 1e-4;
  a.lossWeights = {1, 0.5, 0.25};
  a.seed = 42;
  a.threads = 3;
  const TrainArgs b = TrainArgs::fromJson(json::parse(a.toJson().dump()));
  EXPECT_EQ(b.toJson(), a.toJson());
  EXPECT_EQ(b.toArgs(), a.toArgs());

  const std::vector<std::string> want{"--corpus", "/data/meld dir", "--csv", "/csv", "--variant", "multiemo", "--no-film",
                                      "--no-aux", "--lambda", "0.3", "--gate-input", "speaker", "--gate-init", "0.25",
                                      "--epochs", "7", "--batch-size", "16", "--micro-batch", "4", "--speaker-lr-scale",
                                      "0.1", "--lr", "0.0001", "--loss-weights", "1,0.5,0.25", "--seed", "42", "--threads",
                                      "3"};
  EXPECT_EQ(a.toArgs(), want);
  // Defaults: only corpus, seed and threads.
  EXPECT_EQ(TrainArgs().toArgs(), (std::vector<std::string>{"--corpus", "demo", "--seed", "1", "--threads", "2"}));
  // Missing keys keep their defaults; wrong types throw.
  EXPECT_EQ(TrainArgs::fromJson(json::object()).toJson(), TrainArgs().toJson());
  EXPECT_THROW(TrainArgs::fromJson(json{{"epochs", "seven"}}), json::exception);
}

// A run folder read back as the options it was trained with (the Training panel's Resume): the
// configuration model/run.h writes, every option that reaches `mlsan train`.
TEST(Issue6Args, TrainArgsFromARunFolder) {
  TempDir dir;
  mlsan::model::RunConfig c;
  c.model.preset = "meld";
  c.model.film = false;
  c.model.lambda = 0.7;
  c.model.gateInput = "speaker";
  c.model.gateInit = 0.9;
  c.model.gateForm = "sigmoid";  // not the default: read back as given
  c.model.weightCE = 1;
  c.model.weightSWFC = 0;
  c.model.weightHGR = 0.5;
  c.model.dropout = 0.2;
  c.model.recurrentDropout = 0.1;
  c.train.selectOn = "test";
  c.train.epochs = 12;
  c.train.batchSize = 30;
  c.train.microBatch = 5;
  c.model.auxGradient = "balanced";
  c.train.speakerLrScale = 2;
  c.train.lr = 3e-4;
  c.train.seed = 9;
  c.train.threads = 4;
  c.corpusSource = "/data/MELD features";
  c.variant = c.model.variantName();
  mlsan::model::writeRunConfig(dir.str(), c);
  const TrainArgs a = TrainArgs::fromRun(dir.str());
  EXPECT_EQ(a.corpus, "/data/MELD features");
  EXPECT_EQ(a.variantTitle(), "ML-SAN w/o FiLM");
  EXPECT_EQ(a.toArgs(), (std::vector<std::string>{"--corpus", "/data/MELD features", "--preset", "meld", "--no-film", "--lambda", "0.7",
                                                  "--gate-input", "speaker", "--gate-init", "0.9", "--gate-form", "sigmoid", "--aux-gradient",
                                                  "balanced", "--epochs", "12", "--batch-size", "30", "--micro-batch", "5", "--speaker-lr-scale", "2",
                                                  "--lr", "0.0003", "--loss-weights", "1,0,0.5", "--dropout", "0.2",
                                                  "--recurrent-dropout", "0.1", "--select-on", "test", "--seed", "9", "--threads", "4"}));
  // MultiEMO's unmasked padding (micro-batches off, as `mlsan train` requires with it).
  c.model.maskPadding = false;
  c.train.microBatch = 0;
  mlsan::model::writeRunConfig(dir.str(), c);
  const auto unmasked = TrainArgs::fromRun(dir.str()).toArgs();
  EXPECT_NE(std::find(unmasked.begin(), unmasked.end(), "--no-mask-padding"), unmasked.end());
  c.model.maskPadding = true;
  c.train.microBatch = 5;
  c.model.gate = c.model.aux = false;  // FiLM, gate and aux all off: MultiEMO
  mlsan::model::writeRunConfig(dir.str(), c);
  EXPECT_TRUE(TrainArgs::fromRun(dir.str()).isMultiEmo());
  EXPECT_EQ(TrainArgs::fromRun(dir.str()).variant, "multiemo");
  writeText(dir.path() / "config.json", "{\"model\": {}}");
  try {
    TrainArgs::fromRun(dir.str());
    FAIL() << "a config.json without the trainer's fields was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("config.json"), std::string::npos) << e.what();
  }
}

// The queue's progress and ETA (the Training panel's bar): ended tasks count whole, running
// ones by epoch and batch, queued ones not at all; no ETA before 2% is done.
TEST(Issue6Queue, ProgressCountsEpochsAndBatches) {
  std::vector<TaskStatus> tasks(4);
  tasks[0].state = TaskState::Done;
  tasks[1].state = TaskState::Failed;
  tasks[2].state = TaskState::Running;
  tasks[2].epoch = 1;
  tasks[2].epochs = 4;
  tasks[2].batch = 5;
  tasks[2].batches = 10;  // 1.5 of 4 epochs
  const QueueProgress q = queueProgress(tasks);
  EXPECT_EQ(q.tasks, 4);
  EXPECT_EQ(q.ended, 2);
  EXPECT_EQ(q.failed, 1);
  EXPECT_EQ(q.running, 1);
  EXPECT_DOUBLE_EQ(q.fraction, (2 + 1.5 / 4) / 4);
  EXPECT_DOUBLE_EQ(q.remainingSeconds(100), 100 * (1 - q.fraction) / q.fraction);
  EXPECT_TRUE(std::isnan(queueProgress(std::vector<TaskStatus>(3)).remainingSeconds(100)));
}

TEST(Issue6Args, FormatNumberAndShellQuote) {
  EXPECT_EQ(formatNumber(0.5), "0.5");
  EXPECT_EQ(formatNumber(0.0005), "0.0005");
  EXPECT_EQ(formatNumber(1e-5), "1e-05");
  EXPECT_EQ(formatNumber(0.1), "0.1");
  EXPECT_EQ(formatNumber(3), "3");
  for (double v : {0.1 + 0.2, 1.0 / 3, 123456.789, 2.5e-300})
    EXPECT_EQ(std::strtod(formatNumber(v).c_str(), nullptr), v) << formatNumber(v);

  EXPECT_EQ(shellQuote("demo"), "demo");
  EXPECT_EQ(shellQuote("/a/b-c_d.e"), "/a/b-c_d.e");
  EXPECT_EQ(shellQuote(""), "''");
  EXPECT_EQ(shellQuote("a b"), "'a b'");
  EXPECT_EQ(shellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(shellQuote("$HOME;rm"), "'$HOME;rm'");
  // The shell reads each quoted argument back exactly.
  for (const std::string s : {"it's a \"test\"", "$(echo no)", "a\\b", "tab\there", "*"}) {
    std::string out;
    ASSERT_EQ(shell("printf '%s' " + shellQuote(s), &out), 0);
    EXPECT_EQ(out, s);
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Experiments.

TEST(Issue6Experiment, AblationGroupsAndSwitches) {
  TrainArgs base;
  base.epochs = 2;
  base.threads = 1;
  base.lambda = 0.4;
  base.noGate = true;  // the base's switches are reset: each group sets its own
  const auto e = Experiment::ablation(base, {1, 2, 3});
  ASSERT_EQ(e.groups.size(), 5u);
  ASSERT_EQ(e.tasks.size(), 15u);
  EXPECT_EQ(e.reference, 0);
  EXPECT_EQ(e.kindName(), "ablation");
  struct W { const char* key; bool noFilm, noGate, noAux, multi; };
  const W want[] = {{"full", false, false, false, false}, {"no_film", true, false, false, false},
                    {"no_gate", false, true, false, false}, {"no_aux", false, false, true, false},
                    {"multiemo", false, false, false, true}};
  for (int g = 0; g < 5; ++g) {
    const auto& a = e.groups[g].args;
    EXPECT_EQ(e.groups[g].key, want[g].key);
    EXPECT_EQ(a.isMultiEmo(), want[g].multi) << want[g].key;
    if (!want[g].multi) {
      EXPECT_EQ(a.noFilm, want[g].noFilm) << want[g].key;
      EXPECT_EQ(a.noGate, want[g].noGate) << want[g].key;
      EXPECT_EQ(a.noAux, want[g].noAux) << want[g].key;
      EXPECT_EQ(a.variant, "mlsan");
      EXPECT_EQ(a.lambda, 0.4);
    }
    EXPECT_EQ(a.epochs, 2);
  }
  for (std::size_t i = 0; i < e.tasks.size(); ++i) {
    const auto& t = e.tasks[i];
    EXPECT_EQ(t.group, static_cast<int>(i / 3));
    EXPECT_EQ(t.seed, i % 3 + 1);
    EXPECT_EQ(t.args.seed, t.seed);
    EXPECT_EQ(t.args.threads, 1);
    EXPECT_EQ(t.dir, e.groups[t.group].key + "/seed" + std::to_string(t.seed));
  }
  // The command line of the w/o Gate task has exactly its switch.
  const auto args = e.tasks[2 * 3].args.toArgs();
  EXPECT_NE(std::find(args.begin(), args.end(), "--no-gate"), args.end());
  EXPECT_EQ(std::find(args.begin(), args.end(), "--no-film"), args.end());
  const auto multi = e.tasks[4 * 3].args.toArgs();
  EXPECT_NE(std::find(multi.begin(), multi.end(), "multiemo"), multi.end());
}

TEST(Issue6Experiment, LambdaSweepAddsAndMarksReference) {
  TrainArgs base;
  const auto e = Experiment::lambdaSweep(base, {0.5, 0.1, 0.5, 0}, 0.3, {1, 2});
  ASSERT_EQ(e.groups.size(), 4u);  // 0, 0.1, 0.3, 0.5
  EXPECT_EQ(e.groups[0].args.lambda, 0);
  EXPECT_EQ(e.groups[1].args.lambda, 0.1);
  EXPECT_EQ(e.groups[2].args.lambda, -1);  // the preset's: full ML-SAN as the ablation trains it
  EXPECT_EQ(e.groups[3].args.lambda, 0.5);
  EXPECT_EQ(e.reference, 2);
  EXPECT_EQ(e.groups[2].key, "full");
  EXPECT_EQ(e.groups[3].key, "lambda_0.5");
  EXPECT_NE(e.groups[2].title.find("preset"), std::string::npos);
  for (int g : {0, 1, 3}) EXPECT_EQ(e.groups[g].title.find("preset"), std::string::npos);
  EXPECT_EQ(e.tasks.size(), 8u);
  // Already present: not duplicated, still the reference.
  const auto e2 = Experiment::lambdaSweep(base, {0.3, 1}, 0.3, {1});
  ASSERT_EQ(e2.groups.size(), 2u);
  EXPECT_EQ(e2.reference, 0);
}

TEST(Issue6Experiment, SaveLoadRoundTripAndCorruptFile) {
  TempDir dir;
  TrainArgs base;
  base.epochs = 3;
  const auto e = Experiment::lambdaSweep(base, {0, 0.7}, 0.2, {4, 9});
  e.save(dir.str("exp"));
  EXPECT_TRUE(leftovers(dir.path()).empty());
  const auto back = Experiment::load(dir.str("exp"));
  EXPECT_EQ(back.toJson(), e.toJson());
  EXPECT_EQ(back.reference, e.reference);
  ASSERT_EQ(back.tasks.size(), e.tasks.size());
  EXPECT_EQ(back.tasks[3].dir, e.tasks[3].dir);

  const std::string file = experimentFile(dir.str("exp"));
  auto expectThrowNaming = [&](const std::string& content) {
    writeText(file, content);
    try {
      Experiment::load(dir.str("exp"));
      ADD_FAILURE() << "no exception for: " << content;
    } catch (const std::runtime_error& ex) {
      EXPECT_NE(std::string(ex.what()).find(file), std::string::npos) << ex.what();
    }
  };
  expectThrowNaming("{\"format\": \"mlsan-experiment\", \"kind\": ");         // truncated JSON
  expectThrowNaming("[1, 2, 3]");                                             // not an object
  expectThrowNaming("{\"format\": \"mlsan-experiment\", \"kind\": \"x\"}");   // unknown kind
  json j = e.toJson();
  j["tasks"][0]["dir"] = "../escape";
  expectThrowNaming(j.dump());
  j = e.toJson();
  j["reference"] = 17;
  expectThrowNaming(j.dump());
  fs::remove(file);
  expectThrowNaming("");  // empty file
  fs::remove(file);
  EXPECT_THROW(Experiment::load(dir.str("exp")), std::runtime_error);  // missing
}

// ---------------------------------------------------------------------------------------------
// 3. Result tables from hand-made run folders.


TEST(Issue6Results, MeanStdDeltaPairedTTestAndProblems) {
  TempDir dir;
  const auto e = Experiment::ablation(TrainArgs(), {1, 2, 3});
  const fs::path root = dir.path();
  const double full[] = {50, 52, 54}, noFilm[] = {48, 51, 50}, multi[] = {40, 41, 45};
  for (int s = 0; s < 3; ++s) {
    fakeRun(root / ("full/seed" + std::to_string(s + 1)), true, true, true, 0.3, s + 1, full[s]);
    fakeRun(root / ("no_film/seed" + std::to_string(s + 1)), false, true, true, 0.3, s + 1, noFilm[s]);
    fakeRun(root / ("multiemo/seed" + std::to_string(s + 1)), false, false, false, 0.3, s + 1, multi[s]);
  }
  // no_gate: seed 3 missing. no_aux: seed 1 trained with the wrong seed, seed 2 the wrong variant, seed 3 broken.
  fakeRun(root / "no_gate/seed1", true, false, true, 0.3, 1, 47);
  fakeRun(root / "no_gate/seed2", true, false, true, 0.3, 2, 49);
  fakeRun(root / "no_aux/seed1", true, true, false, 0.3, 99, 10);
  fakeRun(root / "no_aux/seed2", true, true, true, 0.3, 2, 10);
  fakeRun(root / "no_aux/seed3", true, true, false, 0.3, 3, 10);
  writeText(root / "no_aux/seed3/metrics.json", "{\"weighted_f1\": ");

  const auto t = collectResults(e, root.string());
  ASSERT_EQ(t.rows.size(), 5u);
  EXPECT_EQ(t.kind, "ablation");
  EXPECT_EQ(t.seeds, (std::vector<std::uint64_t>{1, 2, 3}));
  const auto& r0 = t.rows[0];
  EXPECT_TRUE(r0.reference);
  EXPECT_EQ(r0.finished, 3);
  EXPECT_NEAR(r0.mean, 52, 1e-12);
  EXPECT_NEAR(r0.std, 2, 1e-12);  // sample std (n - 1): population std would be 1.633
  EXPECT_NEAR(r0.delta, 0, 1e-12);
  EXPECT_TRUE(std::isnan(r0.pValue));

  // w/o FiLM: mean 149/3, sample std sqrt(7/3); paired differences -2, -1, -4: mean -7/3,
  // sd sqrt(7/3), t = -sqrt(7), df 2; two-sided p = 1 - |t| / sqrt(t^2 + 2) = 1 - sqrt(7)/3.
  const auto& r1 = t.rows[1];
  EXPECT_EQ(r1.finished, 3);
  EXPECT_NEAR(r1.mean, 149.0 / 3, 1e-12);
  EXPECT_NEAR(r1.std, std::sqrt(7.0 / 3), 1e-12);
  EXPECT_NEAR(r1.delta, 149.0 / 3 - 52, 1e-12);
  EXPECT_NEAR(r1.pValue, 1 - std::sqrt(7.0) / 3, 1e-6);

  // w/o Gate: two runs, the pairs are seeds 1 and 2: differences -3, -3 -> zero variance.
  const auto& r2 = t.rows[2];
  EXPECT_EQ(r2.finished, 2);
  EXPECT_TRUE(std::isnan(r2.runs[2]));
  EXPECT_NEAR(r2.mean, 48, 1e-12);
  EXPECT_NEAR(r2.std, std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(r2.delta, -4, 1e-12);

  // w/o Aux: nothing usable.
  const auto& r3 = t.rows[3];
  EXPECT_EQ(r3.finished, 0);
  EXPECT_TRUE(std::isnan(r3.mean));
  EXPECT_TRUE(std::isnan(r3.delta));

  // MultiEMO: differences -10, -11, -9: mean -10, sd 1, t = -10 sqrt(3), df 2.
  const auto& r4 = t.rows[4];
  EXPECT_EQ(r4.finished, 3);
  EXPECT_NEAR(r4.mean, 42, 1e-12);
  const double tm = 10 * std::sqrt(3.0);
  EXPECT_NEAR(r4.pValue, 1 - tm / std::sqrt(tm * tm + 2), 1e-6);

  // Problems: no_gate/seed3 missing, the three no_aux runs.
  ASSERT_EQ(t.problems.size(), 4u) << ::testing::PrintToString(t.problems);
  EXPECT_FALSE(t.complete());
  auto hasProblem = [&](const std::string& dirName, const std::string& what) {
    for (const auto& p : t.problems)
      if (p.find(dirName) != std::string::npos && p.find(what) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(hasProblem("no_gate/seed3", "not finished"));
  EXPECT_TRUE(hasProblem("no_aux/seed1", "seed 99"));
  EXPECT_TRUE(hasProblem("no_aux/seed2", "variant"));
  EXPECT_TRUE(hasProblem("no_aux/seed3", ""));

  // Exports hold the numbers.
  const std::string csv = toCsv(t), md = toMarkdown(t), tex = toLatex(t);
  EXPECT_NE(csv.find("full,ML-SAN (full),3,52.0000,2.0000,0.0000,,50.0000,52.0000,54.0000"), std::string::npos) << csv;
  EXPECT_NE(csv.find("49.6667"), std::string::npos);
  EXPECT_NE(csv.find("-2.3333"), std::string::npos);
  EXPECT_NE(csv.find("0.118083"), std::string::npos) << csv;
  EXPECT_NE(md.find("| ML-SAN (full) | 52.00 ± 2.00 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| w/o FiLM | 49.67 ± 1.53 | -2.33 | 0.118 | 3/3 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| w/o Aux loss | - |"), std::string::npos) << md;
  EXPECT_NE(tex.find("\\toprule"), std::string::npos);
  EXPECT_NE(tex.find("\\bottomrule"), std::string::npos);
  EXPECT_NE(tex.find("$52.00 \\pm 2.00$"), std::string::npos) << tex;
  EXPECT_NE(tex.find("w/o FiLM & $49.67 \\pm 1.53$ & $-2.33$ & $0.118$"), std::string::npos) << tex;
  const json tj = toJson(t);
  EXPECT_TRUE(tj["rows"][3]["mean"].is_null());
  EXPECT_DOUBLE_EQ(tj["rows"][0]["mean"].get<double>(), 52);

  for (const char* ext : {"csv", "md", "tex", "json", "txt"}) {
    const fs::path p = root / (std::string("table.") + ext);
    exportTable(t, p.string());
    const std::string text = readText(p);
    EXPECT_NE(text.find("52"), std::string::npos) << ext;
  }
  EXPECT_EQ(readText(root / "table.csv"), csv);
  try {
    exportTable(t, (root / "table.xlsx").string());
    ADD_FAILURE() << "no exception for .xlsx";
  } catch (const std::runtime_error& ex) {
    EXPECT_NE(std::string(ex.what()).find("table.xlsx"), std::string::npos) << ex.what();
  }
  EXPECT_FALSE(fs::exists(root / "table.xlsx"));
  EXPECT_TRUE(leftovers(root).empty());
}

TEST(Issue6Results, LambdaMismatchIsAProblem) {
  TempDir dir;
  const auto e = Experiment::lambdaSweep(TrainArgs(), {0.1}, 0.3, {1});
  fakeRun(dir.path() / "lambda_0.1/seed1", true, true, true, 0.5, 1, 60);  // wrong lambda
  fakeRun(dir.path() / "full/seed1", true, true, true, 0.3, 1, 61);
  const auto t = collectResults(e, dir.str());
  EXPECT_EQ(t.rows[0].finished, 0);
  EXPECT_EQ(t.rows[1].finished, 1);
  ASSERT_EQ(t.problems.size(), 1u);
  EXPECT_NE(t.problems[0].find("lambda"), std::string::npos) << t.problems[0];
}

// ---------------------------------------------------------------------------------------------
// Issue 20: two configurations' curves epoch by epoch (mlsan compare, the Training panel's overlay).

TEST(Issue20Curves, EpochGapsPairSeedsAndStopAtTheShortestRun) {
  auto curve = [](std::vector<double> test, double ce0) {
    std::vector<mlsan::model::EpochRecord> c;
    for (std::size_t i = 0; i < test.size(); ++i) {
      mlsan::model::EpochRecord r;
      r.epoch = static_cast<int>(i + 1);
      r.testWeightedF1 = test[i];
      r.valWeightedF1 = test[i] + 1;
      r.trainCE = ce0 - 0.1 * static_cast<double>(i);
      c.push_back(r);
    }
    return c;
  };
  // One run each: the gap is B - A, no s.d.
  auto one = mlsan::model::epochGaps({curve({20, 30, 40}, 1.8)}, {curve({18, 25, 41}, 1.9)});
  ASSERT_EQ(one.size(), 3u);
  EXPECT_DOUBLE_EQ(one[1].gap, -5);
  EXPECT_DOUBLE_EQ(one[2].gap, 1);
  EXPECT_DOUBLE_EQ(one[0].gapSd, 0);
  EXPECT_DOUBLE_EQ(one[0].valB, 19);
  EXPECT_DOUBLE_EQ(one[2].ceA, 1.6);
  EXPECT_TRUE(one[0].paired);
  // Two seeds a side, paired in order: mean gap and the s.d. of the per-seed gaps; the shorter
  // run (still training) bounds the epochs shown.
  auto two = mlsan::model::epochGaps({curve({20, 30, 40}, 1.8), curve({22, 32}, 1.8)},
                                     {curve({18, 26, 41}, 1.9), curve({18, 30, 50}, 1.9)});
  ASSERT_EQ(two.size(), 2u);
  EXPECT_DOUBLE_EQ(two[0].testA, 21);
  EXPECT_DOUBLE_EQ(two[0].gap, -3);               // gaps -2 and -4
  EXPECT_NEAR(two[0].gapSd, std::sqrt(2.0), 1e-12);
  EXPECT_DOUBLE_EQ(two[1].gap, -3);               // gaps -4 and -2
  // Unequal numbers of runs: the difference of the means, unpaired.
  auto un = mlsan::model::epochGaps({curve({20, 30}, 1.8), curve({22, 32}, 1.8)}, {curve({25, 35}, 1.9)});
  ASSERT_EQ(un.size(), 2u);
  EXPECT_FALSE(un[0].paired);
  EXPECT_DOUBLE_EQ(un[0].gap, 4);
  EXPECT_DOUBLE_EQ(un[0].gapSd, 0);
  EXPECT_TRUE(mlsan::model::epochGaps({}, {curve({1}, 1)}).empty());
}
