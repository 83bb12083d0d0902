// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/model/run.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <stdexcept>

#include "mlsan/analysis/metrics.h"
#include "mlsan/data/atomic_file.h"
#include "mlsan/data/csv.h"

namespace mlsan::model {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json parseConfig(const std::string& config) {
  std::string text;
  try {
    text = data::readFile(config);
  } catch (const std::exception&) {
    throw std::runtime_error(config + ": missing; is " + fs::path(config).parent_path().string() + " a run folder from `mlsan train`?");
  }
  try {
    return json::parse(text);
  } catch (const std::exception& e) {
    throw std::runtime_error(config + ": not valid JSON (" + e.what() + ")");
  }
}

}  // namespace

json RunConfig::toJson() const {
  return json{{"model", json::parse(model.toJson())},
              {"train", json::parse(train.toJson())},
              {"corpus", {{"name", corpusName}, {"dataset", corpusDataset}, {"signature", corpusSignature}, {"source", corpusSource}}},
              {"variant", variant}, {"origin", origin}};
}

RunConfig readRunConfig(const std::string& runDir) {
  const std::string config = RunPaths(runDir).config();
  const json j = parseConfig(config);
  try {
    RunConfig r;
    r.model = ModelConfig::fromJson(j.at("model").dump());
    r.train = TrainConfig::fromJson(j.at("train").dump());
    r.variant = j.value("variant", r.model.variantName());
    r.origin = j.value("origin", "");
    const auto& c = j.at("corpus");
    r.corpusName = c.value("name", "");
    r.corpusDataset = c.value("dataset", "");
    r.corpusSignature = c.value("signature", "");
    r.corpusSource = c.at("source").get<std::string>();
    return r;
  } catch (const std::exception& e) {
    throw std::runtime_error(config + ": unexpected content (" + e.what() + ")");
  }
}

void writeRunConfig(const std::string& runDir, const RunConfig& config) {
  data::atomicWriteFile(RunPaths(runDir).config(), config.toJson().dump(2));
}

std::string runCorpusSource(const std::string& runDir) {
  const std::string config = RunPaths(runDir).config();
  try {
    return parseConfig(config).at("corpus").at("source").get<std::string>();
  } catch (const std::exception& e) {
    throw std::runtime_error(config + ": cannot tell which corpus the run was trained on (" + e.what() + ")");
  }
}

std::string curvesCsv(const std::vector<EpochRecord>& curve) {
  data::CsvWriter out;
  out.row({"epoch", "train_loss", "val_loss", "val_weighted_f1", "test_weighted_f1", "lr", "seconds", "train_ce", "train_swfc",
           "train_hgr", "train_aux"});
  for (const auto& r : curve) {
    out.integer(r.epoch);
    for (double v : {r.trainLoss, r.valLoss, r.valWeightedF1, r.testWeightedF1, r.lr, r.seconds, r.trainCE, r.trainSWFC, r.trainHGR,
                     r.trainAux})
      out.number(v, 8);
    out.endRow();
  }
  return out.str();
}

std::vector<EpochRecord> readCurves(const std::string& path) {
  const data::CsvTable t = data::readCsv(path);
  const int epoch = t.requireColumn("epoch"), trainLoss = t.requireColumn("train_loss"), valLoss = t.requireColumn("val_loss"),
            valF1 = t.requireColumn("val_weighted_f1"), lr = t.requireColumn("lr");
  auto optional = [&t](std::size_t row, const char* name) {
    const int c = t.column(name);
    return c < 0 ? 0.0 : t.number(row, c);
  };
  std::vector<EpochRecord> curve;
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    EpochRecord r;
    const double e = t.number(i, epoch);
    if (!(e >= 1) || e != static_cast<int>(e)) t.fail(i, "epoch '" + t.rows[i][static_cast<std::size_t>(epoch)] + "' is not a whole number >= 1");
    r.epoch = static_cast<int>(e);
    r.trainLoss = t.number(i, trainLoss);
    r.valLoss = t.number(i, valLoss);
    r.valWeightedF1 = t.number(i, valF1);
    r.lr = t.number(i, lr);
    r.testWeightedF1 = optional(i, "test_weighted_f1");
    r.seconds = optional(i, "seconds");
    r.trainCE = optional(i, "train_ce");
    r.trainSWFC = optional(i, "train_swfc");
    r.trainHGR = optional(i, "train_hgr");
    r.trainAux = optional(i, "train_aux");
    curve.push_back(r);
  }
  return curve;
}

std::vector<EpochGap> epochGaps(const std::vector<std::vector<EpochRecord>>& a, const std::vector<std::vector<EpochRecord>>& b) {
  std::vector<EpochGap> out;
  if (a.empty() || b.empty()) return out;
  std::size_t n = SIZE_MAX;
  for (const auto* side : {&a, &b})
    for (const auto& c : *side) n = std::min(n, c.size());
  const bool paired = a.size() == b.size();
  auto mean = [](const std::vector<std::vector<EpochRecord>>& side, std::size_t e, double EpochRecord::*f) {
    double s = 0;
    for (const auto& c : side) s += c[e].*f;
    return s / static_cast<double>(side.size());
  };
  for (std::size_t e = 0; e < n; ++e) {
    EpochGap g;
    g.epoch = a.front()[e].epoch;
    g.testA = mean(a, e, &EpochRecord::testWeightedF1);
    g.testB = mean(b, e, &EpochRecord::testWeightedF1);
    g.valA = mean(a, e, &EpochRecord::valWeightedF1);
    g.valB = mean(b, e, &EpochRecord::valWeightedF1);
    g.ceA = mean(a, e, &EpochRecord::trainCE);
    g.ceB = mean(b, e, &EpochRecord::trainCE);
    g.gap = g.testB - g.testA;  // = the mean of paired gaps when paired
    g.paired = paired;
    if (paired && a.size() > 1) {
      double ss = 0;
      for (std::size_t i = 0; i < a.size(); ++i) {
        const double d = b[i][e].testWeightedF1 - a[i][e].testWeightedF1 - g.gap;
        ss += d * d;
      }
      g.gapSd = std::sqrt(ss / static_cast<double>(a.size() - 1));
    }
    out.push_back(g);
  }
  return out;
}

bool isRunFolder(const std::string& dir) {
  std::error_code ec;
  return fs::is_regular_file(RunPaths(dir).config(), ec);
}

std::vector<std::string> runFoldersIn(const std::string& path) {
  if (isRunFolder(path)) return {path};
  std::vector<std::string> runs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(path, ec))
    if (entry.is_directory(ec) && isRunFolder(entry.path().string())) runs.push_back(entry.path().string());
  std::sort(runs.begin(), runs.end());
  return runs;
}

std::vector<std::string> findRuns(const std::string& root) {
  std::vector<std::string> runs;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return runs;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_directory(ec) && isRunFolder(it->path().string())) runs.push_back(it->path().string());
  std::sort(runs.begin(), runs.end());
  return runs;
}

double readTestWeightedF1(const std::string& runDir) {
  const std::string path = RunPaths(runDir).metrics();
  const std::string text = data::readFile(path);
  double f1 = 0;
  try {
    f1 = json::parse(text).at("weighted_f1").get<double>();
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": unexpected content (" + e.what() + ")");
  }
  if (!std::isfinite(f1)) throw std::runtime_error(path + ": the weighted F1 is not a number");
  return f1;
}

RunSummary summariseRun(const std::string& runDir) {
  RunSummary s;
  s.dir = runDir;
  const RunPaths paths(runDir);
  try {
    const RunConfig c = readRunConfig(runDir);
    s.variant = c.variant;
    s.epochs = c.train.epochs;
    std::error_code ec;
    if (fs::exists(paths.curves(), ec)) s.epochsDone = static_cast<int>(readCurves(paths.curves()).size());
    if (fs::exists(paths.metrics(), ec)) {
      s.testWeightedF1 = readTestWeightedF1(runDir);
      s.finished = true;
    }
  } catch (const std::exception& e) {
    s.problem = e.what();
  }
  return s;
}

void writePredictions(const std::string& path, const data::Corpus& corpus, const Inference& inf) {
  data::CsvWriter out;
  std::vector<std::string> header{"dialogue", "split", "utterance", "speaker", "label", "prediction",
                                  "gate_audio", "gate_visual", "weight_audio", "weight_visual",
                                  "gain_audio", "gain_visual", "gate_used_audio", "gate_used_visual"};
  for (const auto& l : corpus.labels.labels) header.push_back("p_" + l);
  out.row(header);
  // In corpus order (inference runs batches longest dialogue first), so that every reader sees
  // the utterances in the order the corpus has them.
  std::vector<const UtteranceOutput*> order;
  order.reserve(inf.utterances.size());
  for (const auto& u : inf.utterances) order.push_back(&u);
  std::stable_sort(order.begin(), order.end(), [](const UtteranceOutput* a, const UtteranceOutput* b) { return a->row < b->row; });
  for (const UtteranceOutput* up : order) {
    const UtteranceOutput& u = *up;
    const auto& d = corpus.dialogues[u.dialogue];
    const auto& utt = d.utterances[u.index];
    out.text(d.key).text(data::splitName(d.split)).integer(u.index).text(corpus.speakers[utt.speaker]);
    out.text(u.label >= 0 ? corpus.labels.labels[u.label] : "").text(corpus.labels.labels[u.prediction]);
    for (float v : {u.gateAudio, u.gateVisual, u.weightAudio, u.weightVisual, u.gainAudio, u.gainVisual, u.usedAudio, u.usedVisual})
      out.number(v, 6);
    for (float p : u.probabilities) out.number(p, 6);
    out.endRow();
  }
  data::atomicWriteFile(path, out.str());
}

std::vector<PredictionRow> readPredictions(const std::string& path, std::vector<std::string>* labelNames) {
  const data::CsvTable t = data::readCsv(path);
  const auto& header = t.header;
  if (header.size() < 10 || header[0] != "dialogue" || header[4] != "label" || header[5] != "prediction")
    throw std::runtime_error(path + ": not a predictions.csv written by mlsan (unexpected header)");
  // Columns by name: files from before the gain and gate_used columns still read (those are NaN).
  const int cSplit = t.requireColumn("split"), cUtt = t.requireColumn("utterance"), cSpeaker = t.requireColumn("speaker");
  const int cGate[4] = {t.requireColumn("gate_audio"), t.requireColumn("gate_visual"), t.requireColumn("weight_audio"),
                        t.requireColumn("weight_visual")};
  const int cMore[4] = {t.column("gain_audio"), t.column("gain_visual"), t.column("gate_used_audio"), t.column("gate_used_visual")};
  std::vector<std::string> labels;
  std::vector<int> cProb;
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i].rfind("p_", 0) == 0) {
      labels.push_back(header[i].substr(2));
      cProb.push_back(static_cast<int>(i));
    }
  if (labels.empty()) throw std::runtime_error(path + ": no probability columns (p_LABEL)");
  auto labelId = [&labels](const std::string& s) -> int {
    if (s.empty()) return -1;
    for (std::size_t i = 0; i < labels.size(); ++i) if (labels[i] == s) return static_cast<int>(i);
    return -2;
  };
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<PredictionRow> rows;
  rows.reserve(t.rows.size());
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const auto& f = t.rows[i];
    PredictionRow r;
    r.dialogue = f[0];
    try {
      r.split = data::parseSplit(f[cSplit]);
    } catch (const std::exception& e) {
      t.fail(i, e.what());
    }
    const double index = t.number(i, cUtt);
    if (!(index >= 0) || index != static_cast<int>(index)) t.fail(i, "utterance '" + f[cUtt] + "' is not an index");
    r.index = static_cast<int>(index);
    r.speaker = f[cSpeaker];
    r.label = labelId(f[4]);
    r.prediction = labelId(f[5]);
    if (r.label == -2 || r.prediction < 0) t.fail(i, "unknown label");
    float* gate[4] = {&r.gateAudio, &r.gateVisual, &r.weightAudio, &r.weightVisual};
    float* more[4] = {&r.gainAudio, &r.gainVisual, &r.usedAudio, &r.usedVisual};
    for (int k = 0; k < 4; ++k) {
      *gate[k] = static_cast<float>(t.number(i, cGate[k]));
      *more[k] = cMore[k] >= 0 ? static_cast<float>(t.number(i, cMore[k])) : nan;
    }
    for (int c : cProb) r.probabilities.push_back(static_cast<float>(t.number(i, c)));
    rows.push_back(std::move(r));
  }
  if (labelNames) *labelNames = labels;
  return rows;
}

AlignedPredictions alignPredictions(const std::vector<std::string>& runDirs, data::Split split) {
  AlignedPredictions out;
  std::map<std::pair<std::string, int>, std::size_t> position;
  for (std::size_t r = 0; r < runDirs.size(); ++r) {
    const std::string& run = runDirs[r];
    std::vector<std::string> labels;
    const auto rows = readPredictions(RunPaths(run).predictions(), &labels);
    if (r == 0) {
      out.labels = labels;
      for (const auto& p : rows)
        if (p.split == split && p.label >= 0 && position.emplace(std::make_pair(p.dialogue, p.index), out.keys.size()).second) {
          out.keys.emplace_back(p.dialogue, p.index);
          out.gold.push_back(p.label);
        }
      if (out.keys.empty()) throw std::runtime_error(run + ": no labelled " + data::splitName(split) + " predictions");
    } else if (labels != out.labels) {
      throw std::runtime_error("runs " + runDirs[0] + " and " + run + " use different label sets");
    }
    std::vector<int> pred(out.keys.size(), -1);
    for (const auto& p : rows) {
      const auto it = position.find({p.dialogue, p.index});
      if (it == position.end() || p.split != split) continue;
      if (p.label != out.gold[it->second])
        throw std::runtime_error("runs disagree on the gold label of dialogue " + p.dialogue + ", utterance " + std::to_string(p.index) +
                                 " (" + runDirs[0] + " and " + run + ")");
      pred[it->second] = p.prediction;
    }
    for (std::size_t i = 0; i < pred.size(); ++i)
      if (pred[i] < 0)
        throw std::runtime_error("runs do not align: " + run + " has no " + data::splitName(split) + " prediction for dialogue " +
                                 out.keys[i].first + ", utterance " + std::to_string(out.keys[i].second) +
                                 " (were they trained on the same corpus?)");
    out.predictions.push_back(std::move(pred));
  }
  return out;
}

json evaluationJson(const std::vector<int>& gold, const std::vector<int>& pred, const std::vector<std::string>& names) {
  if (gold.empty()) return json{{"utterances", 0}};
  const auto rep = analysis::classificationReport(gold, pred);
  json perClass = json::object(), detail = json::object(), labels = json::array();
  for (std::size_t i = 0; i < rep.labels.size(); ++i) {
    const std::string name = rep.labels[i] >= 0 && rep.labels[i] < static_cast<int>(names.size()) ? names[rep.labels[i]] : std::to_string(rep.labels[i]);
    labels.push_back(name);
    perClass[name] = 100 * rep.f1[i];
    detail[name] = {{"precision", 100 * rep.precision[i]}, {"recall", 100 * rep.recall[i]}, {"f1", 100 * rep.f1[i]}, {"support", rep.support[i]}};
  }
  return json{{"utterances", gold.size()}, {"weighted_f1", 100 * rep.weightedF1}, {"accuracy", 100 * rep.accuracy},
              {"macro_f1", 100 * rep.macroF1}, {"per_class_f1", perClass}, {"per_class", detail}, {"labels", labels},
              {"confusion", rep.confusion}};
}

json evaluationJson(const data::Corpus& corpus, const Inference& inf, data::Split split) {
  std::vector<int> gold, pred;
  for (const auto& u : inf.utterances)
    if (corpus.dialogues[u.dialogue].split == split && u.label >= 0) { gold.push_back(u.label); pred.push_back(u.prediction); }
  json j = evaluationJson(gold, pred, corpus.labels.labels);
  j["split"] = data::splitName(split);
  return j;
}

}  // namespace mlsan::model
