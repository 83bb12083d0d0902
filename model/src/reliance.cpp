// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/model/reliance.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <unordered_map>

#include "mlsan/analysis/shapley.h"
#include "mlsan/analysis/stats.h"
#include "mlsan/data/atomic_file.h"
#include "mlsan/data/csv.h"

namespace mlsan::model {
namespace fs = std::filesystem;
using nlohmann::json;

const char* modalityName(int m) {
  static const char* const names[] = {"text", "audio", "visual"};
  return m >= 0 && m < 3 ? names[m] : "?";
}

const char* interactionName(Interaction i) {
  switch (i) {
    case Interaction::Dominance: return "dominance";
    case Interaction::Complement: return "complement";
    case Interaction::Conflict: return "conflict";
  }
  return "?";
}

void RelianceOptions::check() const {
  if (absent != "mean" && absent != "zero")
    throw std::invalid_argument("absent modality '" + absent + "': expected mean or zero");
  if (scope != "dialogue" && scope != "utterance")
    throw std::invalid_argument("removal scope '" + scope + "': expected dialogue or utterance");
}

std::string RelianceOptions::key() const { return absent + "-" + scope; }

RelianceScores scoreReliance(const UtteranceReliance& u) {
  const std::vector<double> v(u.value.begin(), u.value.end());
  const auto phi = analysis::shapleyValues(v, 3);
  const auto drop = analysis::leaveOneOutDrops(v, 3);
  RelianceScores s;
  double total = 0;
  for (int m = 0; m < 3; ++m) {
    s.shapley[m] = phi[m];
    s.drop[m] = drop[m];
    total += std::fabs(phi[m]);
  }
  for (int m = 0; m < 3; ++m) s.share[m] = total > 0 ? std::fabs(phi[m]) / total : 1.0 / 3;
  int top = 0;
  for (int m = 1; m < 3; ++m)
    if (s.share[m] > s.share[top]) top = m;
  bool conflict = false;
  for (int m = 0; m < 3; ++m)
    if (s.shapley[m] < 0 && s.share[m] >= kConflictShare) conflict = true;
  if (conflict) s.interaction = Interaction::Conflict;
  else if (s.share[top] >= kDominanceShare && u.predicted[1u << top] == u.prediction) {
    s.interaction = Interaction::Dominance;
    s.dominant = top;
  } else s.interaction = Interaction::Complement;
  return s;
}

namespace {
std::string stem(const std::string& runDir, data::Split split, const RelianceOptions& o) {
  return runDir + "/explain/reliance-" + data::splitName(split) + "-" + o.key();
}
}  // namespace

std::string relianceCsvPath(const std::string& runDir, data::Split split, const RelianceOptions& o) {
  return stem(runDir, split, o) + ".csv";
}
std::string relianceMetaPath(const std::string& runDir, data::Split split, const RelianceOptions& o) {
  return stem(runDir, split, o) + ".json";
}

json RelianceStamp::toJson() const { return json{{"checkpoint", checkpoint}, {"corpus_signature", corpusSignature}}; }

std::string checkpointStamp(const std::string& runDir) {
  const std::string path = runDir + "/checkpoints/best.pt";
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) throw std::runtime_error(path + ": no trained model (" + ec.message() + ")");
  const auto mtime = fs::last_write_time(path, ec);
  if (ec) throw std::runtime_error(path + ": " + ec.message());
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(mtime.time_since_epoch()).count();
  return std::to_string(size) + ":" + std::to_string(ns);
}

void writeReliance(const std::string& runDir, data::Split split, const RelianceOptions& options, const RelianceStamp& stamp,
                   const data::Corpus& corpus, const std::vector<UtteranceReliance>& utterances) {
  fs::create_directories(runDir + "/explain");
  data::CsvWriter out;
  std::vector<std::string> header{"dialogue", "utterance", "speaker", "prediction"};
  for (int s = 0; s < 8; ++s) header.push_back("v" + std::to_string(s));
  for (int s = 0; s < 8; ++s) header.push_back("c" + std::to_string(s));
  out.row(header);
  for (const auto& u : utterances) {
    const auto& d = corpus.dialogues.at(u.dialogue);
    out.text(d.key).integer(u.index).text(corpus.speakers[d.utterances.at(u.index).speaker]).integer(u.prediction);
    for (double v : u.value) out.number(v, 17);
    for (int c : u.predicted) out.integer(c);
    out.endRow();
  }
  const std::string csv = relianceCsvPath(runDir, split, options);
  data::atomicWriteFile(csv, out.str());
  json meta = stamp.toJson();
  meta["split"] = data::splitName(split);
  meta["absent"] = options.absent;
  meta["scope"] = options.scope;
  meta["utterances"] = utterances.size();
  data::atomicWriteFile(relianceMetaPath(runDir, split, options), meta.dump(2) + "\n");
}

bool readReliance(const std::string& runDir, data::Split split, const RelianceOptions& options, const RelianceStamp& stamp,
                  const data::Corpus& corpus, std::vector<UtteranceReliance>& utterances) {
  const std::string metaPath = relianceMetaPath(runDir, split, options), csvPath = relianceCsvPath(runDir, split, options);
  if (!fs::exists(metaPath) || !fs::exists(csvPath)) return false;
  json meta;
  try {
    meta = json::parse(data::readFile(metaPath));
  } catch (const std::exception&) {
    return false;  // unreadable: computed again and rewritten
  }
  if (meta.value("checkpoint", "") != stamp.checkpoint || meta.value("corpus_signature", "") != stamp.corpusSignature) return false;
  const data::CsvTable t = data::readCsv(csvPath);
  if (t.header.size() != 20 || t.header[0] != "dialogue" || t.header[4] != "v0")
    throw std::runtime_error(csvPath + ": not a reliance file written by mlsan explain (unexpected header)");
  std::unordered_map<std::string, int> byKey;
  for (std::size_t i = 0; i < corpus.dialogues.size(); ++i) byKey.emplace(corpus.dialogues[i].key, static_cast<int>(i));
  std::vector<UtteranceReliance> out;
  out.reserve(t.rows.size());
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    UtteranceReliance u;
    const auto it = byKey.find(t.rows[i][0]);
    if (it == byKey.end()) t.fail(i, "dialogue '" + t.rows[i][0] + "' is not in the corpus");
    u.dialogue = it->second;
    const double index = t.number(i, 1), pred = t.number(i, 3);
    if (!(index >= 0) || index >= static_cast<double>(corpus.dialogues[u.dialogue].size()))
      t.fail(i, "utterance '" + t.rows[i][1] + "' is not in dialogue " + t.rows[i][0]);
    if (!(pred >= 0) || pred >= corpus.labels.size()) t.fail(i, "prediction '" + t.rows[i][3] + "' is not a class");
    u.index = static_cast<int>(index);
    u.prediction = static_cast<int>(pred);
    for (int s = 0; s < 8; ++s) {
      u.value[s] = t.number(i, 4 + s);
      if (!std::isfinite(u.value[s])) t.fail(i, "value v" + std::to_string(s) + " is not a finite number");
      const double c = t.number(i, 12 + s);
      if (!(c >= 0) || c >= corpus.labels.size()) t.fail(i, "class c" + std::to_string(s) + " is not a class");
      u.predicted[s] = static_cast<int>(c);
    }
    out.push_back(u);
  }
  if (meta.value("utterances", std::size_t{0}) != out.size())
    throw std::runtime_error(csvPath + ": " + std::to_string(out.size()) + " rows, but " + metaPath + " says " +
                             std::to_string(meta.value("utterances", 0)));
  utterances = std::move(out);
  return true;
}

namespace {
RelianceGroup groupOf(const std::string& name, const std::vector<std::array<double, 3>>& shares) {
  RelianceGroup g;
  g.name = name;
  g.utterances = static_cast<int>(shares.size());
  for (int m = 0; m < 3; ++m) {
    std::vector<double> v;
    v.reserve(shares.size());
    for (const auto& s : shares) v.push_back(s[m]);
    const auto ci = analysis::meanCI(v);
    g.mean[m] = ci.mean; g.std[m] = ci.std; g.low[m] = ci.low; g.high[m] = ci.high;
  }
  return g;
}

json groupJson(const RelianceGroup& g) {
  json j{{"name", g.name}, {"utterances", g.utterances}};
  for (int m = 0; m < 3; ++m)
    j[modalityName(m)] = {{"mean", g.mean[m]}, {"std", g.std[m]}, {"ci", {g.low[m], g.high[m]}}};
  return j;
}

json testJson(const analysis::TestResult& t, const std::string& name, std::size_t a, std::size_t b) {
  return json{{"test", name}, {"t", t.statistic}, {"df", t.df}, {"p", t.pValue}, {"n_voice_led", a}, {"n_face_led", b}};
}
}  // namespace

std::vector<RelianceGroup> relianceBySpeaker(const data::Corpus& corpus, const std::vector<UtteranceReliance>& utterances) {
  std::vector<std::vector<std::array<double, 3>>> per(corpus.speakers.size());
  for (const auto& u : utterances) per.at(corpus.dialogues.at(u.dialogue).utterances.at(u.index).speaker).push_back(scoreReliance(u).share);
  std::vector<RelianceGroup> out;
  for (std::size_t s = 0; s < per.size(); ++s)
    if (!per[s].empty()) out.push_back(groupOf(corpus.speakers[s], per[s]));
  return out;
}

std::string demoSpeakerType(const data::DemoTruth::Speaker& s) {
  if (s.audioReliability > s.visualReliability) return "voice-led";
  if (s.visualReliability > s.audioReliability) return "face-led";
  return "balanced";
}

std::string demoSpeakerTypeOf(const data::DemoTruth& truth, std::size_t row, int speaker) {
  const int extra = row < truth.extraOf.size() ? truth.extraOf[row] : -1;
  return demoSpeakerType(extra >= 0 ? truth.extras.at(extra) : truth.named.at(speaker));
}

json relianceBySpeakerType(const data::Corpus& corpus, const data::DemoTruth& truth, const std::vector<UtteranceReliance>& utterances) {
  static const char* const types[] = {"voice-led", "face-led", "balanced"};
  std::map<std::string, std::vector<std::array<double, 3>>> shares;
  // Units of the test: named speakers by id, extras by 1000 + index; their (audio - visual) shares.
  std::map<std::string, std::map<int, std::vector<double>>> leanBySpeaker;
  std::map<std::string, std::vector<double>> leanByUtterance;
  for (const auto& u : utterances) {
    const auto& d = corpus.dialogues.at(u.dialogue);
    const std::size_t row = d.firstRow + u.index;
    const int extra = row < truth.extraOf.size() ? truth.extraOf[row] : -1;
    const int speaker = d.utterances.at(u.index).speaker;
    const std::string type = demoSpeakerTypeOf(truth, row, speaker);
    const auto s = scoreReliance(u).share;
    shares[type].push_back(s);
    leanBySpeaker[type][extra >= 0 ? 1000 + extra : speaker].push_back(s[kAudio] - s[kVisual]);
    leanByUtterance[type].push_back(s[kAudio] - s[kVisual]);
  }
  json j = json::object();
  for (const char* type : types) {
    const RelianceGroup g = groupOf(type, shares[type]);
    json t = groupJson(g);
    t["speakers"] = leanBySpeaker[type].size();
    j[type] = t;
  }
  std::vector<double> unitsVoice, unitsFace;
  for (const auto& [id, v] : leanBySpeaker["voice-led"]) unitsVoice.push_back(analysis::meanStd(v).mean);
  for (const auto& [id, v] : leanBySpeaker["face-led"]) unitsFace.push_back(analysis::meanStd(v).mean);
  const std::string measure = "audio share - visual share";
  if (unitsVoice.size() >= 2 && unitsFace.size() >= 2) {
    json t = testJson(analysis::welchTTest(unitsVoice, unitsFace), "Welch's t-test, speakers as units", unitsVoice.size(), unitsFace.size());
    t["measure"] = "per-speaker mean of " + measure;
    t["difference"] = analysis::meanStd(unitsVoice).mean - analysis::meanStd(unitsFace).mean;
    j["test"] = t;
  } else {
    j["test"] = json{{"test", "Welch's t-test, speakers as units"}, {"p", nullptr},
                     {"note", "fewer than 2 voice-led or face-led speakers in this split"}};
  }
  const auto& uv = leanByUtterance["voice-led"];
  const auto& uf = leanByUtterance["face-led"];
  if (uv.size() >= 2 && uf.size() >= 2) {
    json t = testJson(analysis::welchTTest(uv, uf), "Welch's t-test, utterances as units (not independent: for reference)", uv.size(), uf.size());
    t["measure"] = measure;
    t["difference"] = analysis::meanStd(uv).mean - analysis::meanStd(uf).mean;
    j["test_utterances"] = t;
  }
  return j;
}

json relianceJson(const data::Corpus& corpus, data::Split split, const RelianceOptions& options,
                  const std::vector<UtteranceReliance>& utterances, const data::DemoTruth* truth) {
  json j;
  j["split"] = data::splitName(split);
  j["absent"] = options.absent;
  j["scope"] = options.scope;
  j["value"] = "log-probability of the class predicted with all modalities present";
  j["interaction_rule"] = "conflict: a modality with Shapley value < 0 and share >= 0.2; else dominance: a share >= 0.6 whose "
                          "modality alone predicts the same class; else complement";
  json list = json::array();
  std::map<std::string, int> counts{{"dominance", 0}, {"complement", 0}, {"conflict", 0}};
  for (const auto& u : utterances) {
    const auto& d = corpus.dialogues.at(u.dialogue);
    const RelianceScores s = scoreReliance(u);
    json e{{"dialogue", d.key}, {"utterance", u.index}, {"speaker", corpus.speakers[d.utterances.at(u.index).speaker]},
           {"prediction", corpus.labels.labels.at(u.prediction)}, {"interaction", interactionName(s.interaction)},
           {"dominant", s.dominant >= 0 ? json(modalityName(s.dominant)) : json(nullptr)}};
    json rel, shap, drop;
    for (int m = 0; m < 3; ++m) {
      rel[modalityName(m)] = s.share[m];
      shap[modalityName(m)] = s.shapley[m];
      drop[modalityName(m)] = s.drop[m];
    }
    e["reliance"] = rel;
    e["shapley"] = shap;
    e["drop"] = drop;
    e["values"] = u.value;
    ++counts[interactionName(s.interaction)];
    if (s.interaction == Interaction::Dominance) ++counts[std::string("dominance_") + modalityName(s.dominant)];
    list.push_back(std::move(e));
  }
  j["utterances"] = std::move(list);
  j["interactions"] = counts;
  json speakers = json::array();
  for (const auto& g : relianceBySpeaker(corpus, utterances)) speakers.push_back(groupJson(g));
  j["speakers"] = std::move(speakers);
  std::vector<std::array<double, 3>> all;
  for (const auto& u : utterances) all.push_back(scoreReliance(u).share);
  j["overall"] = groupJson(groupOf("all", all));
  if (truth) j["by_speaker_type"] = relianceBySpeakerType(corpus, *truth, utterances);
  return j;
}

}  // namespace mlsan::model
