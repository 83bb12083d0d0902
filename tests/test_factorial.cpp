// SPDX-License-Identifier: GPL-3.0-or-later
// The factorial ablation (issue 17, point 5): its 8 groups, runs shared by configuration with
// the leave-one-out table and the sweep, the analysis (effects, paired p, Shapley attribution
// with a Student-t interval over seeds) on tables whose answer is known, and its exports.
#include "experiment_support.h"
#include "mlsan/analysis/stats.h"
#include "mlsan/experiments/factorial.h"

#include <algorithm>
#include <array>
#include <random>
#include <set>

using namespace experiment_test;
using namespace mlsan::experiments;

namespace {
TrainArgs demoBase() {
  TrainArgs b;
  b.corpus = "demo";
  b.epochs = 2;
  b.threads = 1;
  return b;
}

/// cells[mask][seed] from a function of (film, gate, aux, seed index).
template <class F>
std::array<std::vector<double>, 8> table(int seeds, F f) {
  std::array<std::vector<double>, 8> c;
  for (int m = 0; m < 8; ++m)
    for (int s = 0; s < seeds; ++s) c[m].push_back(f(m & 1, (m >> 1) & 1, (m >> 2) & 1, s));
  return c;
}

const FactorialTerm& term(const FactorialAnalysis& a, const std::string& key) {
  for (const auto& t : a.terms)
    if (t.key == key) return t;
  throw std::runtime_error("no term " + key);
}
}  // namespace

TEST(Issue17Factorial, EightGroupsOneReferenceAndTheAblationsFolders) {
  const auto f = Experiment::factorial(demoBase(), {1, 2, 3});
  ASSERT_EQ(f.groups.size(), 8u);
  EXPECT_EQ(f.kindName(), "factorial");
  EXPECT_EQ(f.reference, 0);
  EXPECT_EQ(f.tasks.size(), 24u);
  std::set<int> masks;
  for (const auto& g : f.groups) {
    masks.insert(componentMask(g.args));
    EXPECT_EQ(g.key, configKey(g.args));
  }
  EXPECT_EQ(masks.size(), 8u);  // every subset once
  EXPECT_EQ(componentMask(f.groups[0].args), 7);
  EXPECT_EQ(f.groups[4].key, "no_gate_aux");  // FiLM only
  EXPECT_EQ(f.groups[5].key, "no_film_aux");  // Gate only
  EXPECT_EQ(f.groups[6].key, "no_film_gate"); // Aux only
  EXPECT_EQ(f.groups[7].key, "multiemo");
  EXPECT_TRUE(f.groups[7].args.isMultiEmo());

  // The leave-one-out table's tasks are five of the factorial's: same folder, same command.
  const auto a = Experiment::ablation(demoBase(), {1, 2, 3});
  for (const auto& t : a.tasks) {
    const auto same = std::find_if(f.tasks.begin(), f.tasks.end(), [&](const ExperimentTask& x) { return x.dir == t.dir; });
    ASSERT_NE(same, f.tasks.end()) << t.dir;
    EXPECT_EQ(same->args.toArgs(), t.args.toArgs()) << t.dir;
  }
  // The sweep's preset lambda is full ML-SAN: the same folder and command as the ablation's.
  const auto s = Experiment::lambdaSweep(demoBase(), {0.1, 0.5}, 0.5, {1});
  EXPECT_EQ(s.groups[s.reference].key, "full");
  EXPECT_EQ(s.tasks[s.reference].args.toArgs(), a.tasks[0].args.toArgs());
  EXPECT_EQ(s.groups[0].key, "lambda_0.1");
}

TEST(Issue17Factorial, SharedRootRefusesOtherOptionsAndKeepsEachKind) {
  TempDir dir;
  const std::string root = dir.str("shared");
  Experiment::ablation(demoBase(), {1, 2}).save(root);
  Experiment::factorial(demoBase(), {1, 2, 3}).save(root);
  EXPECT_EQ(Experiment::kindsIn(root), (std::vector<std::string>{"ablation", "factorial"}));
  EXPECT_EQ(Experiment::load(root).kindName(), "factorial");  // planned last
  EXPECT_EQ(Experiment::load(root, "ablation").groups.size(), 5u);
  EXPECT_EQ(Experiment::load(root, "factorial").groups.size(), 8u);
  const std::string before = readText(experimentFile(root));

  // Another number of epochs would make "full/seed1" mean another run: refused, nothing written.
  TrainArgs other = demoBase();
  other.epochs = 5;
  try {
    Experiment::lambdaSweep(other, {0.1}, 0.5, {1}).save(root);
    ADD_FAILURE() << "a sweep with other epochs was accepted into the shared folder";
  } catch (const std::runtime_error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(root), std::string::npos) << m;
    EXPECT_NE(m.find("epochs"), std::string::npos) << m;
  }
  EXPECT_EQ(readText(experimentFile(root)), before);
  EXPECT_EQ(Experiment::kindsIn(root).size(), 2u);
  // Threads and seeds are not part of the configuration.
  TrainArgs threads = demoBase();
  threads.threads = 2;
  EXPECT_NO_THROW(Experiment::seedRuns(threads, {7}).save(root));
  EXPECT_EQ(Experiment::load(root, "seeds").tasks[0].dir, "full/seed7");
  try {
    Experiment::load(root, "lambda-sweep");
    ADD_FAILURE() << "loaded a kind that is not there";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("factorial"), std::string::npos) << e.what();
  }
}

// An additive table: each component adds its own amount, the same in every seed. Shapley values,
// main effects and leave-one-out drops all equal those amounts; interactions are 0; the CI has
// no width.
TEST(Issue17Factorial, AdditiveComponentsAreAttributedExactly) {
  const auto cells = table(5, [](int f, int g, int a, int s) { return 60 + 3.0 * f + 1.0 * g + 0.5 * a + 0.25 * s; });
  const auto r = analyseFactorial(cells, {1, 2, 3, 4, 5});
  ASSERT_TRUE(r.valid()) << r.note;
  EXPECT_EQ(r.seeds.size(), 5u);
  const double want[3] = {3.0, 1.0, 0.5};
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(r.shapley[i].value, want[i], 1e-12) << kComponentNames[i];
    EXPECT_NEAR(r.shapley[i].ciLow, want[i], 1e-12);
    EXPECT_NEAR(r.shapley[i].ciHigh, want[i], 1e-12);
    EXPECT_NEAR(term(r, kComponentKeys[i]).estimate, want[i], 1e-12);
  }
  EXPECT_NEAR(r.gain.value, 4.5, 1e-12);
  for (const char* k : {"film:gate", "film:aux", "gate:aux", "film:gate:aux"}) EXPECT_NEAR(term(r, k).estimate, 0, 1e-12) << k;
}

// Substitutes, as FiLM and the gate are suspected to be: each alone adds 2, both together also 2.
// Leaving either out costs nothing (the leave-one-out table says "unused"); Shapley splits the
// shared 2 points equally, the main effects are +1 each and the interaction is -1.
TEST(Issue17Factorial, SubstitutesGetHalfTheSharedGainEach) {
  const auto cells = table(3, [](int f, int g, int, int s) { return 50 + 2.0 * std::max(f, g) + s; });
  const auto r = analyseFactorial(cells, {1, 2, 3});
  ASSERT_TRUE(r.valid());
  EXPECT_NEAR(cells[7][0] - cells[6][0], 0, 1e-12);  // full - (w/o FiLM) = 0
  EXPECT_NEAR(cells[7][0] - cells[5][0], 0, 1e-12);  // full - (w/o Gate) = 0
  EXPECT_NEAR(r.shapley[0].value, 1, 1e-12);
  EXPECT_NEAR(r.shapley[1].value, 1, 1e-12);
  EXPECT_NEAR(r.shapley[2].value, 0, 1e-12);
  EXPECT_NEAR(term(r, "film").estimate, 1, 1e-12);
  EXPECT_NEAR(term(r, "gate").estimate, 1, 1e-12);
  EXPECT_NEAR(term(r, "film:gate").estimate, -1, 1e-12);
  EXPECT_NEAR(term(r, "aux").estimate, 0, 1e-12);
}

// Noisy seeds: the point values sum to the gain, each interval is the Student-t interval of its
// per-seed values (5 degrees of freedom: t = 2.5706), and the p of a main effect is the paired
// t-test of the two halves' means.
TEST(Issue17Factorial, NoisySeedsPairedTestAndTInterval) {
  const double noise[6][8] = {{0.3, -0.2, 0.5, 0.1, -0.4, 0.2, 0.0, 0.6},  {-0.5, 0.4, 0.1, -0.3, 0.2, 0.7, -0.1, 0.0},
                              {0.2, 0.1, -0.6, 0.4, 0.3, -0.2, 0.5, -0.4}, {0.0, -0.3, 0.2, 0.6, -0.1, 0.1, -0.5, 0.3},
                              {0.4, 0.5, -0.1, -0.2, 0.0, -0.6, 0.3, 0.1}, {-0.1, 0.0, 0.3, -0.5, 0.6, 0.2, 0.1, -0.3}};
  const auto cells = table(6, [&](int f, int g, int a, int s) {
    return 60 + 2.0 * f + 1.0 * g + 0.5 * a - 0.5 * f * g + noise[s][f | (g << 1) | (a << 2)];
  });
  const std::vector<std::uint64_t> seeds{1, 2, 3, 4, 5, 6};
  const auto r = analyseFactorial(cells, seeds);
  ASSERT_TRUE(r.valid());
  EXPECT_NEAR(r.shapley[0].value + r.shapley[1].value + r.shapley[2].value, r.gain.value, 1e-9);
  EXPECT_EQ(r.interval, "t");
  for (const Attributed* x : {&r.shapley[0], &r.shapley[1], &r.shapley[2], &r.gain}) {
    const auto ms = mlsan::analysis::meanStd(x->perSeed);
    const double half = 2.570582 * ms.std / std::sqrt(6.0);  // scipy.stats.t.ppf(0.975, 5)
    EXPECT_NEAR(x->ciLow, ms.mean - half, 1e-5);
    EXPECT_NEAR(x->ciHigh, ms.mean + half, 1e-5);
  }
  // FiLM's main effect: per seed, mean of the 4 cells with FiLM minus mean of the 4 without.
  std::vector<double> with, without;
  for (int s = 0; s < 6; ++s) {
    double w = 0, wo = 0;
    for (int m = 0; m < 8; ++m) (m & 1 ? w : wo) += cells[m][s] / 4;
    with.push_back(w);
    without.push_back(wo);
  }
  const auto& film = term(r, "film");
  EXPECT_NEAR(film.estimate, mlsan::analysis::meanStd(with).mean - mlsan::analysis::meanStd(without).mean, 1e-12);
  EXPECT_NEAR(film.pValue, mlsan::analysis::pairedTTest(with, without).pValue, 1e-12);
  EXPECT_LT(film.pValue, 1e-4);
  const double halfFilm = 2.570582 * film.std / std::sqrt(6.0);
  EXPECT_NEAR(film.ciLow, film.estimate - halfFilm, 1e-5);
  EXPECT_NEAR(film.ciHigh, film.estimate + halfFilm, 1e-5);
}

// The intervals keep their promise: over many simulated factorial tables with a known Shapley
// value and Gaussian seed noise, the 95% interval holds the truth about 95% of the time at 3 and
// at 5 seeds. (The percentile bootstrap over seeds used before issue 31 held it 73% and 82% of
// the time.)
TEST(Issue31Intervals, TheFactorialIntervalCoversTheTruthAtItsLevel) {
  std::mt19937_64 rng(31);
  std::normal_distribution<double> noise(0.0, 1.0);
  for (int n : {3, 5}) {
    const int sims = 4000;
    int covered[4] = {0, 0, 0, 0};
    for (int k = 0; k < sims; ++k) {
      std::vector<double> seedShift(static_cast<std::size_t>(n));
      for (auto& v : seedShift) v = noise(rng);
      std::array<std::vector<double>, 8> cells;
      for (int m = 0; m < 8; ++m)
        for (int s = 0; s < n; ++s)
          cells[m].push_back(60 + 2.0 * (m & 1) + 1.0 * ((m >> 1) & 1) - 0.5 * ((m >> 2) & 1) + seedShift[s] + 0.8 * noise(rng));
      std::vector<std::uint64_t> seeds;
      for (int s = 1; s <= n; ++s) seeds.push_back(s);
      const auto a = analyseFactorial(cells, seeds);
      const double truth[4] = {2.0, 1.0, -0.5, 2.5};
      const Attributed* x[4] = {&a.shapley[0], &a.shapley[1], &a.shapley[2], &a.gain};
      for (int i = 0; i < 4; ++i) covered[i] += x[i]->ciLow <= truth[i] && truth[i] <= x[i]->ciHigh;
    }
    for (int i = 0; i < 4; ++i) {
      const double rate = static_cast<double>(covered[i]) / sims;
      EXPECT_NEAR(rate, 0.95, 0.012) << n << " seeds, quantity " << i;  // 3.5 binomial s.e.
    }
  }
}

// Below 3 seeds no interval is given: not in the analysis, not in any export.
TEST(Issue31Intervals, NoIntervalBelowThreeSeeds) {
  const auto cells = table(2, [](int f, int g, int a, int s) { return 60 + 3.0 * f + g + a + 0.7 * s * f; });
  const auto r = analyseFactorial(cells, {1, 2});
  ASSERT_TRUE(r.valid());
  EXPECT_NEAR(r.shapley[0].value, 3.35, 1e-12);
  for (const Attributed* x : {&r.shapley[0], &r.shapley[1], &r.shapley[2], &r.gain}) {
    EXPECT_TRUE(std::isnan(x->ciLow));
    EXPECT_TRUE(std::isnan(x->ciHigh));
  }
  for (const auto& t : r.terms) EXPECT_TRUE(std::isnan(t.ciLow)) << t.key;
  EXPECT_TRUE(std::isnan(mlsan::analysis::seedInterval({1.0}).low));
  EXPECT_TRUE(std::isnan(mlsan::analysis::seedInterval({1.0, 2.0}).high));
  EXPECT_NEAR(mlsan::analysis::seedInterval({1.0, 2.0, 3.0}).high, 2 + 4.302653 / std::sqrt(3.0), 1e-5);  // t.ppf(0.975, 2)
}

TEST(Issue17Factorial, IncompleteSeedsAreLeftOutAndNamed) {
  auto cells = table(3, [](int f, int g, int a, int s) { return 60 + f + g + a + s; });
  cells[5][1] = std::nan("");  // seed 2 lacks "w/o Gate"
  const auto r = analyseFactorial(cells, {1, 2, 3});
  EXPECT_EQ(r.seeds, (std::vector<std::uint64_t>{1, 3}));
  for (auto& c : cells) c[0] = c[2] = std::nan("");
  const auto none = analyseFactorial(cells, {1, 2, 3});
  EXPECT_FALSE(none.valid());
  EXPECT_NE(none.note.find("8 runs"), std::string::npos);
}

// From run folders to every export: the JSON the issue names, the CSV's sections, Markdown and
// LaTeX with the attribution.
TEST(Issue17Factorial, CollectAndExportEveryFormat) {
  TempDir dir;
  const fs::path root = dir.path();
  const auto e = Experiment::factorial(TrainArgs(), {1, 2, 3});
  e.save(root.string());
  for (const auto& t : e.tasks) {
    const int m = componentMask(t.args);
    const double f1 = 60 + 3.0 * (m & 1) + 1.0 * ((m >> 1) & 1) + 0.5 * ((m >> 2) & 1) + 0.1 * static_cast<double>(t.seed * t.seed);
    fakeRun(root / t.dir, m & 1, (m >> 1) & 1, (m >> 2) & 1, 0.5, t.seed, f1);
  }
  const auto t = collectResults(e, root.string());
  ASSERT_TRUE(t.complete()) << ::testing::PrintToString(t.problems);
  ASSERT_TRUE(t.factorial && t.factorial->valid());
  const json j = toJson(t);
  ASSERT_EQ(j["rows"].size(), 8u);
  for (const auto& row : j["rows"]) {
    for (const char* k : {"film", "gate", "aux"}) EXPECT_TRUE(row[k].is_boolean()) << row.dump();
    EXPECT_EQ(row["weighted_f1"]["runs"].size(), 3u);
    EXPECT_TRUE(row["weighted_f1"]["mean"].is_number());
    EXPECT_TRUE(row["weighted_f1"]["std"].is_number());
  }
  EXPECT_EQ(j["rows"][0]["film"], true);
  EXPECT_EQ(j["rows"][7]["gate"], false);
  const double want[3] = {3.0, 1.0, 0.5};
  double sum = 0;
  for (int i = 0; i < 3; ++i) {
    const auto& s = j["shapley"][kComponentKeys[i]];
    EXPECT_NEAR(s["value"].get<double>(), want[i], 1e-9);
    ASSERT_EQ(s["ci"].size(), 2u);
    EXPECT_TRUE(s["ci"][0].is_number());
    sum += s["value"].get<double>();
  }
  EXPECT_EQ(j["interval"], "t");
  EXPECT_EQ(j["interval_seeds"], 3);
  EXPECT_FALSE(j.contains("bootstrap"));
  EXPECT_NEAR(sum, j["rows"][0]["weighted_f1"]["mean"].get<double>() - j["rows"][7]["weighted_f1"]["mean"].get<double>(), 1e-9);
  EXPECT_EQ(j["effects"].size(), 7u);

  for (const char* ext : {".csv", ".md", ".tex", ".json", ".txt"}) exportTable(t, (root / (std::string("factorial") + ext)).string());
  const std::string csv = readText(root / "factorial.csv");
  EXPECT_EQ(csv.rfind("section,key,title,film,gate,aux", 0), 0u) << csv;
  for (const char* s : {"\ncell,full,", "\neffect,film:gate,", "\nshapley,film,FiLM,1,0,0,3,3.0000,", "\ngain,"})
    EXPECT_NE(csv.find(s), std::string::npos) << s << "\n" << csv;
  const std::string md = readText(root / "factorial.md");
  EXPECT_NE(md.find("| FiLM | +3.00 | [+3.00, +3.00] | 67% |"), std::string::npos) << md;
  EXPECT_NE(md.find("FiLM x Gate"), std::string::npos);
  const std::string tex = readText(root / "factorial.tex");
  EXPECT_NE(tex.find("Full $-$ MultiEMO & $+4.50$"), std::string::npos) << tex;
  EXPECT_EQ(std::count(tex.begin(), tex.end(), '{') - std::count(tex.begin(), tex.end(), '}'), 0);
  EXPECT_NE(readText(root / "factorial.txt").find("Shapley attribution of full - MultiEMO = +4.50"), std::string::npos);
  EXPECT_TRUE(leftovers(root).empty());
}

// The factorial as a Slurm array: 8 x seeds tasks, each the same `mlsan train` the local run
// starts, into the shared folders; the script says how to gather this kind.
TEST(Issue17Factorial, SlurmExportHasEveryTask) {
  TempDir dir;
  const std::string root = dir.str("slurm");
  const auto e = Experiment::factorial(demoBase(), {1, 2});
  SlurmOptions so;
  so.maxParallel = 4;
  const std::string script = writeSlurm(e, root, so);
  const std::string text = readText(script);
  EXPECT_NE(text.find("#SBATCH --array=0-15%4"), std::string::npos) << text;
  EXPECT_NE(text.find("--kind factorial"), std::string::npos);
  for (const auto& t : e.tasks) EXPECT_NE(text.find((fs::path(root) / t.dir).string()), std::string::npos) << t.dir;
  EXPECT_EQ(Experiment::load(root, "factorial").tasks.size(), 16u);
}
