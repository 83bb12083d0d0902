// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/model/run.h"

#include <cmath>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>

#include "mlsan/analysis/metrics.h"
#include "mlsan/data/atomic_file.h"

namespace mlsan::model {
using nlohmann::json;

namespace {
std::string csvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char ch : s) { if (ch == '"') q += '"'; q += ch; }
  return q + "\"";
}

// Splits one CSV record (RFC 4180 quoting, no embedded newlines in our own files).
std::vector<std::string> splitCsv(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') { cur += '"'; ++i; }
      else if (ch == '"') quoted = false;
      else cur += ch;
    } else if (ch == '"') quoted = true;
    else if (ch == ',') { out.push_back(cur); cur.clear(); }
    else if (ch != '\r') cur += ch;
  }
  out.push_back(cur);
  return out;
}

std::string num(float v) {
  if (std::isnan(v)) return "";
  std::ostringstream s;
  s << std::setprecision(6) << v;
  return s.str();
}
}  // namespace

std::string runCorpusSource(const std::string& runDir) {
  const std::string config = RunPaths(runDir).config();
  try {
    return json::parse(data::readFile(config)).at("corpus").at("source").get<std::string>();
  } catch (const std::exception& e) {
    throw std::runtime_error(config + ": cannot tell which corpus the run was trained on (" + e.what() + ")");
  }
}

void writePredictions(const std::string& path, const data::Corpus& corpus, const Inference& inf) {
  std::ostringstream out;
  out << "dialogue,split,utterance,speaker,label,prediction,gate_audio,gate_visual,weight_audio,weight_visual";
  for (const auto& l : corpus.labels.labels) out << ",p_" << l;
  out << '\n';
  for (const auto& u : inf.utterances) {
    const auto& d = corpus.dialogues[u.dialogue];
    const auto& utt = d.utterances[u.index];
    out << csvField(d.key) << ',' << data::splitName(d.split) << ',' << u.index << ',' << csvField(corpus.speakers[utt.speaker]) << ','
        << (u.label >= 0 ? corpus.labels.labels[u.label] : "") << ',' << corpus.labels.labels[u.prediction] << ','
        << num(u.gateAudio) << ',' << num(u.gateVisual) << ',' << num(u.weightAudio) << ',' << num(u.weightVisual);
    for (float p : u.probabilities) out << ',' << num(p);
    out << '\n';
  }
  data::atomicWriteFile(path, out.str());
}

std::vector<PredictionRow> readPredictions(const std::string& path, std::vector<std::string>* labelNames) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error(path + ": empty file");
  const auto header = splitCsv(line);
  if (header.size() < 10 || header[0] != "dialogue" || header[4] != "label" || header[5] != "prediction")
    throw std::runtime_error(path + ": not a predictions.csv written by mlsan (unexpected header)");
  std::vector<std::string> labels;
  for (std::size_t i = 10; i < header.size(); ++i) labels.push_back(header[i].substr(2));
  auto labelId = [&labels](const std::string& s) -> int {
    if (s.empty()) return -1;
    for (std::size_t i = 0; i < labels.size(); ++i) if (labels[i] == s) return static_cast<int>(i);
    return -2;
  };
  auto toFloat = [](const std::string& s) { return s.empty() ? std::nanf("") : std::stof(s); };
  std::vector<PredictionRow> rows;
  int lineNo = 1;
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.empty() || line == "\r") continue;
    const auto f = splitCsv(line);
    try {
      if (f.size() != header.size()) throw std::runtime_error("has " + std::to_string(f.size()) + " fields, expected " + std::to_string(header.size()));
      PredictionRow r;
      r.dialogue = f[0];
      r.split = data::parseSplit(f[1]);
      r.index = std::stoi(f[2]);
      r.speaker = f[3];
      r.label = labelId(f[4]);
      r.prediction = labelId(f[5]);
      if (r.label == -2 || r.prediction < 0) throw std::runtime_error("unknown label");
      r.gateAudio = toFloat(f[6]); r.gateVisual = toFloat(f[7]); r.weightAudio = toFloat(f[8]); r.weightVisual = toFloat(f[9]);
      for (std::size_t i = 10; i < f.size(); ++i) r.probabilities.push_back(toFloat(f[i]));
      rows.push_back(std::move(r));
    } catch (const std::exception& e) {
      throw std::runtime_error(path + ", line " + std::to_string(lineNo) + ": " + e.what());
    }
  }
  if (labelNames) *labelNames = labels;
  return rows;
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
