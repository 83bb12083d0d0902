// SPDX-License-Identifier: GPL-3.0-or-later
#include <cmath>
#include <iostream>
#include <vector>

#include "commands.h"
#include "mlsan/analysis/comparison.h"
#include "mlsan/model/run.h"

namespace mlsan::app {
using nlohmann::json;

namespace {

json interval(const analysis::Interval& i) { return json{{"low", 100 * i.low}, {"high", 100 * i.high}, {"level", i.level}, {"resamples", i.resamples}}; }

/// The two sides' curves epoch by epoch (model::epochGaps); a note instead when a run has none.
void addEpochGaps(json& j, const std::vector<std::string>& sideA, const std::vector<std::string>& sideB) {
  std::vector<std::vector<model::EpochRecord>> a, b;
  try {
    for (const auto& r : sideA) a.push_back(model::readCurves(model::RunPaths(r).curves()));
    for (const auto& r : sideB) b.push_back(model::readCurves(model::RunPaths(r).curves()));
  } catch (const std::exception& e) {
    j["epochs_note"] = std::string("no per-epoch comparison: ") + e.what();
    return;
  }
  json rows = json::array();
  for (const auto& g : model::epochGaps(a, b))
    rows.push_back({{"epoch", g.epoch}, {"test_a", g.testA}, {"test_b", g.testB}, {"gap", g.gap}, {"gap_sd", g.gapSd},
                    {"paired", g.paired}, {"val_a", g.valA}, {"val_b", g.valB}, {"train_ce_a", g.ceA}, {"train_ce_b", g.ceB}});
  j["epochs"] = rows;
}

void printEpochGaps(const json& j) {
  if (j.contains("epochs_note")) {
    std::printf("\n%s\n", j["epochs_note"].get<std::string>().c_str());
    return;
  }
  if (!j.contains("epochs") || j["epochs"].empty()) return;
  const bool seeds = j["epochs"][0]["gap_sd"].get<double>() > 0 || j.contains("seeds");
  std::printf("\nPer epoch (test weighted F1%s; gap = B - A):\n", seeds ? ", means over seeds" : "");
  std::printf("%5s %8s %8s %8s%s %10s %10s\n", "epoch", "test A", "test B", "gap", seeds ? "   +- s.d." : "", "train CE A", "train CE B");
  std::vector<int> leads;
  double worst = 0, last = 0;
  int worstEpoch = 0;
  for (const auto& e : j["epochs"]) {
    const double gap = e["gap"].get<double>();
    const int epoch = e["epoch"].get<int>();
    if (seeds)
      std::printf("%5d %8.2f %8.2f %+8.2f   %8.2f %10.4f %10.4f\n", epoch, e["test_a"].get<double>(), e["test_b"].get<double>(), gap,
                  e["gap_sd"].get<double>(), e["train_ce_a"].get<double>(), e["train_ce_b"].get<double>());
    else
      std::printf("%5d %8.2f %8.2f %+8.2f %10.4f %10.4f\n", epoch, e["test_a"].get<double>(), e["test_b"].get<double>(), gap,
                  e["train_ce_a"].get<double>(), e["train_ce_b"].get<double>());
    if (gap > 0) leads.push_back(epoch);
    if (gap < worst) { worst = gap; worstEpoch = epoch; }
    last = gap;
  }
  const std::size_t n = j["epochs"].size();
  std::printf("B leads A at %zu of %zu epochs", leads.size(), n);
  if (!leads.empty() && leads.size() <= 6) {
    std::printf(" (");
    for (std::size_t i = 0; i < leads.size(); ++i) std::printf("%s%d", i ? ", " : "", leads[i]);
    std::printf(")");
  }
  if (worstEpoch > 0) std::printf("; its largest deficit %+.2f at epoch %d", worst, worstEpoch);
  std::printf("; at the last epoch %+.2f\n", last);
}

}  // namespace

json compareRuns(const std::string& runA, const std::string& runB, const std::vector<std::string>& moreA,
                 const std::vector<std::string>& moreB, int resamples) {
  // Every run on the test utterances of A, in A's order (the corpus's, as the studio has them).
  std::vector<std::string> dirs{runA, runB};
  dirs.insert(dirs.end(), moreA.begin(), moreA.end());
  dirs.insert(dirs.end(), moreB.begin(), moreB.end());
  const model::AlignedPredictions al = model::alignPredictions(dirs, data::Split::Test);
  std::vector<std::vector<int>> sideA{al.predictions[0]}, sideB{al.predictions[1]};
  for (std::size_t i = 0; i < moreA.size(); ++i) sideA.push_back(al.predictions[2 + i]);
  for (std::size_t i = 0; i < moreB.size(); ++i) sideB.push_back(al.predictions[2 + moreA.size() + i]);
  const std::vector<std::string>& labels = al.labels;
  const int k = static_cast<int>(labels.size());
  const auto all = analysis::compareWithSeeds(al.gold, sideA, sideB, k, resamples, 1);
  const auto& cmp = all.first;
  const auto& ra = cmp.a;
  const auto& rb = cmp.b;
  json perClass = json::array();
  for (std::size_t i = 0; i < labels.size(); ++i)
    perClass.push_back({{"label", labels[i]}, {"support", ra.support[i]}, {"f1_a", 100 * ra.f1[i]}, {"f1_b", 100 * rb.f1[i]},
                        {"delta", 100 * (rb.f1[i] - ra.f1[i])}, {"recall_a", 100 * ra.recall[i]}, {"recall_b", 100 * rb.recall[i]},
                        {"precision_a", 100 * ra.precision[i]}, {"precision_b", 100 * rb.precision[i]},
                        {"delta_precision", 100 * (rb.precision[i] - ra.precision[i])}, {"delta_recall", 100 * (rb.recall[i] - ra.recall[i])}});
  json j{{"run_a", runA}, {"run_b", runB}, {"utterances", al.gold.size()},
         {"weighted_f1_a", 100 * ra.weightedF1}, {"weighted_f1_b", 100 * rb.weightedF1},
         {"delta", 100 * (rb.weightedF1 - ra.weightedF1)}, {"accuracy_a", 100 * ra.accuracy}, {"accuracy_b", 100 * rb.accuracy},
         {"weighted_f1_ci_a", interval(cmp.ciA)}, {"weighted_f1_ci_b", interval(cmp.ciB)}, {"delta_ci", interval(cmp.ciDelta)},
         {"per_class", perClass}, {"labels", labels}, {"confusion_a", ra.confusion}, {"confusion_b", rb.confusion},
         {"confusion_difference", cmp.differenceCounts}, {"confusion_difference_normalised", cmp.differenceRates},
         {"mcnemar", {{"a_right_b_wrong", cmp.mcnemar.statistic}, {"discordant", cmp.mcnemar.df}, {"p_value", cmp.mcnemar.pValue}}}};
  if (!moreA.empty() || !moreB.empty()) {
    auto side = [&labels](const analysis::SeedSummary& s, const std::string& first, const std::vector<std::string>& more) {
      json runs = json::array({first});
      for (const auto& r : more) runs.push_back(r);
      json f1 = json::object();
      for (std::size_t i = 0; i < labels.size(); ++i) f1[labels[i]] = {{"mean", 100 * s.f1[i].mean}, {"std", 100 * s.f1[i].std}};
      return json{{"runs", runs}, {"seeds", s.seeds}, {"weighted_f1_mean", 100 * s.weightedF1.mean},
                  {"weighted_f1_std", 100 * s.weightedF1.std}, {"per_class_f1", f1}};
    };
    json seeds{{"a", side(all.a, runA, moreA)}, {"b", side(all.b, runB, moreB)}};
    if (all.paired) {
      seeds["paired_t_test"] = {{"t", all.pairedT.statistic}, {"df", all.pairedT.df}, {"p_value", all.pairedT.pValue}};
      const auto& d = all.pairedDifference;
      auto num = [](double v) { return std::isfinite(v) ? json(100 * v) : json(nullptr); };
      seeds["difference"] = {{"mean", 100 * d.mean}, {"std", 100 * d.std}, {"ci", json::array({num(d.low), num(d.high)})},
                             {"interval", "t"}, {"seeds", d.n}};
    }
    j["seeds"] = seeds;
  }
  std::vector<std::string> runsA{runA}, runsB{runB};
  runsA.insert(runsA.end(), moreA.begin(), moreA.end());
  runsB.insert(runsB.end(), moreB.begin(), moreB.end());
  addEpochGaps(j, runsA, runsB);
  return j;
}

void printComparison(const json& j) {
  std::printf("A: %s\nB: %s\n%ld test utterances\n\n", j["run_a"].get<std::string>().c_str(), j["run_b"].get<std::string>().c_str(),
              j["utterances"].get<long>());
  std::printf("weighted F1   A %.2f   B %.2f   delta %+.2f\n", j["weighted_f1_a"].get<double>(), j["weighted_f1_b"].get<double>(),
              j["delta"].get<double>());
  const auto& ca = j["weighted_f1_ci_a"];
  const auto& cb = j["weighted_f1_ci_b"];
  const auto& cd = j["delta_ci"];
  std::printf("95%% bootstrap CI (%d resamples): A [%.2f, %.2f]   B [%.2f, %.2f]   delta [%+.2f, %+.2f]\n", ca["resamples"].get<int>(),
              ca["low"].get<double>(), ca["high"].get<double>(), cb["low"].get<double>(), cb["high"].get<double>(),
              cd["low"].get<double>(), cd["high"].get<double>());
  std::printf("accuracy      A %.2f   B %.2f\n\n", j["accuracy_a"].get<double>(), j["accuracy_b"].get<double>());
  std::printf("%-12s %8s %7s %7s %7s %7s %7s %7s %7s %7s %7s\n", "label", "support", "P A", "P B", "dP", "R A", "R B", "dR", "F1 A",
              "F1 B", "dF1");
  for (const auto& c : j["per_class"])
    std::printf("%-12s %8ld %7.2f %7.2f %+7.2f %7.2f %7.2f %+7.2f %7.2f %7.2f %+7.2f\n", c["label"].get<std::string>().c_str(),
                c["support"].get<long>(), c["precision_a"].get<double>(), c["precision_b"].get<double>(),
                c["delta_precision"].get<double>(), c["recall_a"].get<double>(), c["recall_b"].get<double>(),
                c["delta_recall"].get<double>(), c["f1_a"].get<double>(), c["f1_b"].get<double>(), c["delta"].get<double>());
  const auto labels = j["labels"].get<std::vector<std::string>>();
  std::printf("\nConfusion matrix difference B - A (rows true, columns predicted; + on the diagonal is a gain):\n%-12s", "");
  for (const auto& l : labels) std::printf(" %8.8s", l.c_str());
  std::printf("\n");
  const auto diff = j["confusion_difference"].get<std::vector<std::vector<long>>>();
  for (std::size_t r = 0; r < labels.size(); ++r) {
    std::printf("%-12s", labels[r].c_str());
    for (long v : diff[r]) std::printf(" %+8ld", v);
    std::printf("\n");
  }
  const auto& m = j["mcnemar"];
  std::printf("\nMcNemar (exact): %.0f discordant utterances, A right/B wrong %.0f, p = %.3g\n", m["discordant"].get<double>(),
              m["a_right_b_wrong"].get<double>(), m["p_value"].get<double>());
  if (j.contains("seeds")) {
    const auto& s = j["seeds"];
    std::printf("\nOver seeds: A %.2f +- %.2f (%d runs)   B %.2f +- %.2f (%d runs)\n", s["a"]["weighted_f1_mean"].get<double>(),
                s["a"]["weighted_f1_std"].get<double>(), s["a"]["seeds"].get<int>(), s["b"]["weighted_f1_mean"].get<double>(),
                s["b"]["weighted_f1_std"].get<double>(), s["b"]["seeds"].get<int>());
    for (const auto& l : labels)
      std::printf("  %-12s A %6.2f +- %5.2f   B %6.2f +- %5.2f\n", l.c_str(), s["a"]["per_class_f1"][l]["mean"].get<double>(),
                  s["a"]["per_class_f1"][l]["std"].get<double>(), s["b"]["per_class_f1"][l]["mean"].get<double>(),
                  s["b"]["per_class_f1"][l]["std"].get<double>());
    if (s.contains("paired_t_test")) {
      std::printf("Paired t-test over seeds (B - A): t = %.3f, p = %.3g\n", s["paired_t_test"]["t"].get<double>(),
                  s["paired_t_test"]["p_value"].get<double>());
      const auto& d = s["difference"];
      if (d["ci"][0].is_null())
        std::printf("B - A over %d seeds: %+.2f +- %.2f (no interval below 3 seeds)\n", d["seeds"].get<int>(), d["mean"].get<double>(),
                    d["std"].get<double>());
      else
        std::printf("B - A over %d seeds: %+.2f +- %.2f, 95%% t-interval [%+.2f, %+.2f] (%d degrees of freedom)\n", d["seeds"].get<int>(),
                    d["mean"].get<double>(), d["std"].get<double>(), d["ci"][0].get<double>(), d["ci"][1].get<double>(),
                    d["seeds"].get<int>() - 1);
    }
  }
  printEpochGaps(j);
}

void addCompareCommand(CLI::App& app) {
  auto a = std::make_shared<std::string>(), b = std::make_shared<std::string>();
  auto asJson = std::make_shared<bool>(false);
  auto moreA = std::make_shared<std::vector<std::string>>(), moreB = std::make_shared<std::vector<std::string>>();
  auto resamples = std::make_shared<int>(1000);
  auto* cmd = app.add_subcommand("compare",
                                 "Compare two runs on the same corpus: weighted F1 with bootstrap CIs, per-class P/R/F1, confusion "
                                 "matrices and their difference, McNemar's test; mean +- std over seeds; the training curves epoch by epoch "
                                 "(test weighted F1 of each and the gap B - A)");
  cmd->add_option("run_a", *a, "First run folder (e.g. MultiEMO)")->required();
  cmd->add_option("run_b", *b, "Second run folder (e.g. ML-SAN); deltas are B - A")->required();
  cmd->add_option("--seeds-a", *moreA, "More runs of A's configuration (other seeds): mean +- std and a paired t-test");
  cmd->add_option("--seeds-b", *moreB, "More runs of B's configuration (other seeds)");
  cmd->add_option("--bootstrap", *resamples, "Bootstrap resamples for the confidence intervals")->capture_default_str()
      ->check(CLI::Range(10, 100000));
  cmd->add_flag("--json", *asJson, "Print one JSON object");
  setExamples(cmd,
      {
       {"ML-SAN against MultiEMO, one run each",
        "mlsan compare runs/multiemo runs/mlsan"},
       {"Over three seeds each: mean +- std and a paired t-test",
        "mlsan compare runs/multiemo-s1 runs/mlsan-s1 --seeds-a runs/multiemo-s2 runs/multiemo-s3 --seeds-b runs/mlsan-s2 runs/mlsan-s3"}});
  cmd->callback([a, b, asJson, moreA, moreB, resamples] {
    const json j = compareRuns(*a, *b, *moreA, *moreB, *resamples);
    if (*asJson) printJson(j);
    else printComparison(j);
  });
}

}  // namespace mlsan::app
