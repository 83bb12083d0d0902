#include <iostream>
#include <map>

#include "commands.h"
#include "mlsan/analysis/metrics.h"
#include "mlsan/analysis/stats.h"
#include "mlsan/model/run.h"

namespace mlsan::app {
using nlohmann::json;

json compareRuns(const std::string& runA, const std::string& runB) {
  std::vector<std::string> labelsA, labelsB;
  const auto a = model::readPredictions(model::RunPaths(runA).predictions(), &labelsA);
  const auto b = model::readPredictions(model::RunPaths(runB).predictions(), &labelsB);
  if (labelsA != labelsB) throw std::runtime_error("runs " + runA + " and " + runB + " use different label sets");
  std::map<std::pair<std::string, int>, const model::PredictionRow*> byKey;
  for (const auto& r : b)
    if (r.split == data::Split::Test) byKey[{r.dialogue, r.index}] = &r;
  std::vector<int> gold, pa, pb;
  for (const auto& r : a) {
    if (r.split != data::Split::Test || r.label < 0) continue;
    const auto it = byKey.find({r.dialogue, r.index});
    if (it == byKey.end())
      throw std::runtime_error("runs do not align: " + runB + " has no test prediction for dialogue " + r.dialogue + ", utterance " +
                               std::to_string(r.index) + " (were they trained on the same corpus?)");
    if (it->second->label != r.label)
      throw std::runtime_error("runs disagree on the gold label of dialogue " + r.dialogue + ", utterance " + std::to_string(r.index));
    gold.push_back(r.label);
    pa.push_back(r.prediction);
    pb.push_back(it->second->prediction);
  }
  if (gold.empty()) throw std::runtime_error("no labelled test utterances to compare");
  std::vector<int> all(labelsA.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  const auto ra = analysis::classificationReport(gold, pa, all);
  const auto rb = analysis::classificationReport(gold, pb, all);
  const auto mc = analysis::mcnemar(gold, pa, pb);
  json perClass = json::array();
  for (std::size_t i = 0; i < all.size(); ++i)
    perClass.push_back({{"label", labelsA[i]}, {"support", ra.support[i]}, {"f1_a", 100 * ra.f1[i]}, {"f1_b", 100 * rb.f1[i]},
                        {"delta", 100 * (rb.f1[i] - ra.f1[i])}, {"recall_a", 100 * ra.recall[i]}, {"recall_b", 100 * rb.recall[i]}});
  return json{{"run_a", runA}, {"run_b", runB}, {"utterances", gold.size()},
              {"weighted_f1_a", 100 * ra.weightedF1}, {"weighted_f1_b", 100 * rb.weightedF1},
              {"delta", 100 * (rb.weightedF1 - ra.weightedF1)}, {"accuracy_a", 100 * ra.accuracy}, {"accuracy_b", 100 * rb.accuracy},
              {"per_class", perClass}, {"labels", labelsA}, {"confusion_a", ra.confusion}, {"confusion_b", rb.confusion},
              {"mcnemar", {{"a_right_b_wrong", mc.statistic}, {"discordant", mc.df}, {"p_value", mc.pValue}}}};
}

void printComparison(const json& j) {
  std::printf("A: %s\nB: %s\n%ld test utterances\n\n", j["run_a"].get<std::string>().c_str(), j["run_b"].get<std::string>().c_str(),
              j["utterances"].get<long>());
  std::printf("weighted F1   A %.2f   B %.2f   delta %+.2f\n", j["weighted_f1_a"].get<double>(), j["weighted_f1_b"].get<double>(),
              j["delta"].get<double>());
  std::printf("accuracy      A %.2f   B %.2f\n\n", j["accuracy_a"].get<double>(), j["accuracy_b"].get<double>());
  std::printf("%-12s %8s %8s %8s %8s\n", "label", "support", "F1 A", "F1 B", "delta");
  for (const auto& c : j["per_class"])
    std::printf("%-12s %8ld %8.2f %8.2f %+8.2f\n", c["label"].get<std::string>().c_str(), c["support"].get<long>(),
                c["f1_a"].get<double>(), c["f1_b"].get<double>(), c["delta"].get<double>());
  const auto& m = j["mcnemar"];
  std::printf("\nMcNemar (exact): %.0f discordant utterances, A right/B wrong %.0f, p = %.3g\n", m["discordant"].get<double>(),
              m["a_right_b_wrong"].get<double>(), m["p_value"].get<double>());
}

void addCompareCommand(CLI::App& app) {
  auto a = std::make_shared<std::string>(), b = std::make_shared<std::string>();
  auto asJson = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("compare", "Compare two runs on the same corpus: weighted F1, per-class F1, McNemar's test");
  cmd->add_option("run_a", *a, "First run folder (e.g. MultiEMO)")->required();
  cmd->add_option("run_b", *b, "Second run folder (e.g. ML-SAN); deltas are B - A")->required();
  cmd->add_flag("--json", *asJson, "Print one JSON object");
  cmd->callback([a, b, asJson] {
    const json j = compareRuns(*a, *b);
    if (*asJson) printJson(j);
    else printComparison(j);
  });
}

}  // namespace mlsan::app
