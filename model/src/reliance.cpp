// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/model/reliance.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
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
    case Interaction::Additive: return "additive";
    case Interaction::Weak: return "weak";
  }
  return "?";
}

const char* pairName(int k) {
  static const char* const names[] = {"text_audio", "text_visual", "audio_visual"};
  return k >= 0 && k < 3 ? names[k] : "?";
}

void RelianceOptions::check() const {
  if (absent != "draw" && absent != "mean" && absent != "zero")
    throw std::invalid_argument("absent modality '" + absent + "': expected draw, mean or zero");
  if (scope != "dialogue" && scope != "utterance")
    throw std::invalid_argument("removal scope '" + scope + "': expected dialogue or utterance");
  if (absent == "draw" && (draws < 2 || draws > 1024))
    throw std::invalid_argument("draws " + std::to_string(draws) + ": expected 2 to 1024 (a standard error needs two)");
}

std::string RelianceOptions::key() const {
  if (absent != "draw") return absent + "-" + scope;
  return "draw" + std::to_string(draws) + (seed != 1 ? "s" + std::to_string(seed) : std::string()) + "-" + scope;
}

RelianceScores scoreReliance(const UtteranceReliance& u) {
  const std::vector<double> v(u.value.begin(), u.value.end());
  const auto phi = analysis::shapleyValues(v, 3);
  const auto drop = analysis::leaveOneOutDrops(v, 3);
  const auto pairs = analysis::shapleyInteractions(v, 3);
  RelianceScores s;
  for (int m = 0; m < 3; ++m) {
    s.shapley[m] = phi[m];
    s.drop[m] = drop[m];
    s.pairs[m] = pairs[m];
    s.magnitude += std::fabs(phi[m]);
  }
  const double M = s.magnitude;
  for (int m = 0; m < 3; ++m) s.share[m] = M > 0 ? phi[m] / M : 0.0;
  if (M < kWeakNats) {
    s.interaction = Interaction::Weak;
    return s;
  }
  // Conflict: the modalities favour different classes: one pushes towards the prediction and
  // another away from it, or two that move it predict different classes on their own.
  bool up = false, down = false;
  std::vector<int> alone;
  for (int m = 0; m < 3; ++m) {
    up = up || phi[m] > kConflictFraction * M;
    down = down || phi[m] < -kConflictFraction * M;
    if (std::fabs(phi[m]) > kConflictFraction * M) alone.push_back(u.predicted[1u << m]);
  }
  const bool disagree = std::any_of(alone.begin(), alone.end(), [&](int c) { return c != alone.front(); });
  if ((up && down) || disagree) {
    s.interaction = Interaction::Conflict;
    return s;
  }
  for (int k = 0; k < 3; ++k)
    if (pairs[k] >= kComplementFraction * M) {
      s.interaction = Interaction::Complement;
      return s;
    }
  int top = 0;
  for (int m = 1; m < 3; ++m)
    if (phi[m] > phi[top]) top = m;
  if (phi[top] >= kDominanceFraction * M && u.predicted[1u << top] == u.prediction) {
    s.interaction = Interaction::Dominance;
    s.dominant = top;
    return s;
  }
  s.interaction = Interaction::Additive;
  return s;
}

namespace {
constexpr int kRelianceFormat = 2;
constexpr std::size_t kColumns = 4 + 8 + 8 + 1 + 8 + 3 + 3 + 3;
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
  header.push_back("draws");
  for (int s = 0; s < 8; ++s) header.push_back("se_v" + std::to_string(s));
  for (int m = 0; m < 3; ++m) header.push_back(std::string("se_phi_") + modalityName(m));
  for (int k = 0; k < 3; ++k) header.push_back(std::string("se_pair_") + pairName(k));
  for (int m = 0; m < 3; ++m) header.push_back(std::string("se_share_") + modalityName(m));
  out.row(header);
  for (const auto& u : utterances) {
    const auto& d = corpus.dialogues.at(u.dialogue);
    out.text(d.key).integer(u.index).text(corpus.speakers[d.utterances.at(u.index).speaker]).integer(u.prediction);
    for (double v : u.value) out.number(v, 17);
    for (int c : u.predicted) out.integer(c);
    out.integer(u.draws);
    for (double v : u.valueSe) out.number(v, 9);
    for (double v : u.shapleySe) out.number(v, 9);
    for (double v : u.interactionSe) out.number(v, 9);
    for (double v : u.shareSe) out.number(v, 9);
    out.endRow();
  }
  const std::string csv = relianceCsvPath(runDir, split, options);
  data::atomicWriteFile(csv, out.str());
  json meta = stamp.toJson();
  meta["format"] = kRelianceFormat;
  meta["draws"] = options.passes();
  meta["seed"] = options.seed;
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
  if (meta.value("format", 1) != kRelianceFormat) return false;  // an older layout: computed again and rewritten
  const data::CsvTable t = data::readCsv(csvPath);
  if (t.header.size() != kColumns || t.header[0] != "dialogue" || t.header[4] != "v0" || t.header[20] != "draws")
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
    const double draws = t.number(i, 20);
    if (!(draws >= 1) || draws != std::floor(draws)) t.fail(i, "draws '" + t.rows[i][20] + "' is not a count");
    u.draws = static_cast<int>(draws);
    std::size_t col = 21;
    auto se = [&](double& x) {
      x = t.number(i, col);
      if (!(x >= 0) || !std::isfinite(x)) t.fail(i, "standard error '" + t.rows[i][col] + "' is not a finite number >= 0");
      ++col;
    };
    for (double& x : u.valueSe) se(x);
    for (double& x : u.shapleySe) se(x);
    for (double& x : u.interactionSe) se(x);
    for (double& x : u.shareSe) se(x);
    out.push_back(u);
  }
  if (meta.value("utterances", std::size_t{0}) != out.size())
    throw std::runtime_error(csvPath + ": " + std::to_string(out.size()) + " rows, but " + metaPath + " says " +
                             std::to_string(meta.value("utterances", 0)));
  utterances = std::move(out);
  return true;
}

RelianceGroup relianceGroup(const std::string& name, const std::vector<std::array<double, 3>>& shapley) {
  RelianceGroup g;
  g.name = name;
  g.utterances = static_cast<int>(shapley.size());
  const double nan = std::nan("");
  std::vector<double> magnitude;
  magnitude.reserve(shapley.size());
  for (const auto& phi : shapley) magnitude.push_back(std::fabs(phi[0]) + std::fabs(phi[1]) + std::fabs(phi[2]));
  for (int m = 0; m < 3; ++m) {
    std::vector<double> up, down;
    double sum = 0;
    for (const auto& phi : shapley) {
      up.push_back(std::max(phi[m], 0.0));
      down.push_back(std::max(-phi[m], 0.0));
      sum += phi[m];
    }
    const auto r = analysis::ratioOfSums(up, magnitude);
    g.mean[m] = r.mean; g.std[m] = r.std; g.low[m] = r.low; g.high[m] = r.high;
    g.against[m] = analysis::ratioOfSums(down, magnitude).mean;
    g.shapley[m] = shapley.empty() ? nan : sum / static_cast<double>(shapley.size());
  }
  g.magnitude = magnitude.empty() ? nan : analysis::meanStd(magnitude).mean;
  return g;
}

namespace {
json groupJson(const RelianceGroup& g) {
  auto num = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  json j{{"name", g.name}, {"utterances", g.utterances}, {"mean_magnitude_nats", num(g.magnitude)}};
  for (int m = 0; m < 3; ++m)
    j[modalityName(m)] = {{"reliance", num(g.mean[m])}, {"se", num(g.std[m])}, {"ci", {num(g.low[m]), num(g.high[m])}},
                          {"against", num(g.against[m])}, {"mean_shapley_nats", num(g.shapley[m])}};
  return j;
}

json testJson(const analysis::TestResult& t, const std::string& name, std::size_t a, std::size_t b) {
  return json{{"test", name}, {"t", t.statistic}, {"df", t.df}, {"p", t.pValue}, {"n_voice_led", a}, {"n_face_led", b}};
}
}  // namespace

std::vector<RelianceGroup> relianceBySpeaker(const data::Corpus& corpus, const std::vector<UtteranceReliance>& utterances) {
  std::vector<std::vector<std::array<double, 3>>> per(corpus.speakers.size());
  for (const auto& u : utterances) per.at(corpus.dialogues.at(u.dialogue).utterances.at(u.index).speaker).push_back(scoreReliance(u).shapley);
  std::vector<RelianceGroup> out;
  for (std::size_t s = 0; s < per.size(); ++s)
    if (!per[s].empty()) out.push_back(relianceGroup(corpus.speakers[s], per[s]));
  return out;
}

std::string demoSpeakerType(const data::DemoTruth::Speaker& s) { return data::demoTypeName(s.type); }

std::string demoSpeakerTypeOf(const data::DemoTruth& truth, std::size_t row, int speaker) {
  const int extra = row < truth.extraOf.size() ? truth.extraOf[row] : -1;
  return demoSpeakerType(extra >= 0 ? truth.extras.at(extra) : truth.named.at(speaker));
}

json relianceBySpeakerType(const data::Corpus& corpus, const data::DemoTruth& truth, const std::vector<UtteranceReliance>& utterances) {
  static const char* const types[] = {"voice-led", "face-led", "balanced"};
  std::map<std::string, std::vector<std::array<double, 3>>> byType;
  // Units of the test: named speakers by id, extras by 1000 + index.
  std::map<std::string, std::map<int, std::vector<std::array<double, 3>>>> bySpeaker;
  for (const auto& u : utterances) {
    const auto& d = corpus.dialogues.at(u.dialogue);
    const std::size_t row = d.firstRow + u.index;
    const int extra = row < truth.extraOf.size() ? truth.extraOf[row] : -1;
    const int speaker = d.utterances.at(u.index).speaker;
    const std::string type = demoSpeakerTypeOf(truth, row, speaker);
    const auto phi = scoreReliance(u).shapley;
    byType[type].push_back(phi);
    bySpeaker[type][extra >= 0 ? 1000 + extra : speaker].push_back(phi);
  }
  json j = json::object();
  for (const char* type : types) {
    json t = groupJson(relianceGroup(type, byType[type]));
    t["speakers"] = bySpeaker[type].size();
    j[type] = t;
  }
  std::map<std::string, std::vector<double>> lean;  // per type, each speaker's audio - visual reliance
  for (const char* type : {"voice-led", "face-led"})
    for (const auto& [id, phis] : bySpeaker[type]) {
      const RelianceGroup g = relianceGroup("", phis);
      if (std::isfinite(g.mean[kAudio]) && std::isfinite(g.mean[kVisual])) lean[type].push_back(g.mean[kAudio] - g.mean[kVisual]);
    }
  const auto& uv = lean["voice-led"];
  const auto& uf = lean["face-led"];
  if (uv.size() >= 2 && uf.size() >= 2) {
    json t = testJson(analysis::welchTTest(uv, uf), "Welch's t-test, speakers as units", uv.size(), uf.size());
    t["measure"] = "each speaker's audio reliance - visual reliance (ratios of sums over the speaker's utterances)";
    t["difference"] = analysis::meanStd(uv).mean - analysis::meanStd(uf).mean;
    j["test"] = t;
  } else {
    j["test"] = json{{"test", "Welch's t-test, speakers as units"}, {"p", nullptr},
                     {"note", "fewer than 2 voice-led or face-led speakers in this split"}};
  }
  return j;
}

TruthCheck checkAgainstTruth(const data::Corpus& corpus, const data::DemoTruth& truth, const std::vector<UtteranceReliance>& utterances) {
  long beatN = 0, beatK = 0, conflictN = 0, conflictTrue = 0, disagreeN = 0, disagreeFound = 0;
  for (const auto& u : utterances) {
    const auto& d = corpus.dialogues.at(u.dialogue);
    const std::size_t row = d.firstRow + u.index;
    if (row >= truth.audioShows.size() || truth.visualShows[row] < 0) continue;  // no face: no visual truth
    const int gold = d.utterances.at(u.index).label;
    const int a = truth.audioShows[row], v = truth.visualShows[row];
    const RelianceScores s = scoreReliance(u);
    if (gold >= 0 && u.prediction == gold && (a == gold) != (v == gold)) {
      ++beatN;
      const int showing = a == gold ? kAudio : kVisual, misleading = a == gold ? kVisual : kAudio;
      beatK += s.shapley[showing] > s.shapley[misleading];
    }
    const bool conflict = s.interaction == Interaction::Conflict, disagree = a != v;
    conflictN += conflict;
    conflictTrue += conflict && disagree;
    disagreeN += disagree;
    disagreeFound += conflict && disagree;
  }
  auto figure = [](long k, long n) {
    const auto p = analysis::wilsonInterval(k, n);
    return TruthFigure{p.value, p.low, p.high, k, n};
  };
  return {figure(beatK, beatN), figure(conflictTrue, conflictN), figure(disagreeFound, disagreeN)};
}

json truthCheckJson(const TruthCheck& t) {
  auto one = [](const TruthFigure& f) {
    auto num = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
    return json{{"value", num(f.value)}, {"utterances", f.n}, {"ci", {num(f.low), num(f.high)}}, {"count", f.k}};
  };
  return json{{"showing_beats_misleading", one(t.showingBeatsMisleading)},
              {"conflict_precision", one(t.conflictPrecision)},
              {"conflict_recall", one(t.conflictRecall)},
              {"interval", "Wilson 95%"},
              {"truth", "the generator's per-utterance record of the emotion audio and visual show (DemoTruth); utterances "
                        "without a face are left out"}};
}

json relianceJson(const data::Corpus& corpus, data::Split split, const RelianceOptions& options,
                  const std::vector<UtteranceReliance>& utterances, const data::DemoTruth* truth) {
  json j;
  j["split"] = data::splitName(split);
  j["absent"] = options.absent;
  j["scope"] = options.scope;
  j["draws"] = options.passes();
  if (options.absent == "draw") j["seed"] = options.seed;
  j["value"] = "log-probability of the class predicted with all modalities present" +
               std::string(options.absent == "draw" ? ", mean over the draws" : "");
  j["shapley_unit"] = "nats";
  j["share_rule"] = "per utterance: phi / sum|phi| (signed); per group: sum of max(phi, 0) / sum of sum|phi| over its utterances "
                    "(reliance) and sum of max(-phi, 0) / the same (against), delta-method 95% interval";
  char rule[512];
  std::snprintf(rule, sizeof rule,
                "M = sum|phi|. weak: M < %.2f nats; conflict: the modalities favour different classes (one phi > %.2f M and "
                "another < -%.2f M, or two with |phi| > %.2f M predict different classes alone); complement: a pair's Shapley "
                "interaction index >= %.2f M; dominance: a modality with phi >= %.2f M that alone predicts the same class; "
                "additive: otherwise (model/README.md, \"Interaction kinds\")",
                kWeakNats, kConflictFraction, kConflictFraction, kConflictFraction, kComplementFraction, kDominanceFraction);
  j["interaction_rule"] = rule;
  json list = json::array();
  std::map<std::string, int> counts{{"dominance", 0}, {"complement", 0}, {"conflict", 0}, {"additive", 0}, {"weak", 0}};
  std::vector<double> shareSe;
  for (const auto& u : utterances) {
    const auto& d = corpus.dialogues.at(u.dialogue);
    const RelianceScores s = scoreReliance(u);
    json e{{"dialogue", d.key}, {"utterance", u.index}, {"speaker", corpus.speakers[d.utterances.at(u.index).speaker]},
           {"prediction", corpus.labels.labels.at(u.prediction)}, {"interaction", interactionName(s.interaction)},
           {"dominant", s.dominant >= 0 ? json(modalityName(s.dominant)) : json(nullptr)}};
    json rel, rse, shap, sse, drop, pairs, pse;
    for (int m = 0; m < 3; ++m) {
      rel[modalityName(m)] = s.share[m];
      rse[modalityName(m)] = u.shareSe[m];
      shap[modalityName(m)] = s.shapley[m];
      sse[modalityName(m)] = u.shapleySe[m];
      drop[modalityName(m)] = s.drop[m];
      pairs[pairName(m)] = s.pairs[m];
      pse[pairName(m)] = u.interactionSe[m];
    }
    shareSe.push_back(std::max({u.shareSe[0], u.shareSe[1], u.shareSe[2]}));
    e["reliance"] = rel;
    e["reliance_se"] = rse;
    e["shapley"] = shap;
    e["shapley_se"] = sse;
    e["interactions"] = pairs;
    e["interactions_se"] = pse;
    e["drop"] = drop;
    e["values"] = u.value;
    e["values_se"] = u.valueSe;
    json alone;  // the class each modality predicts on its own (the other two absent)
    for (int m = 0; m < 3; ++m) alone[modalityName(m)] = corpus.labels.labels.at(u.predicted[1u << m]);
    e["alone"] = alone;
    const int gold = d.utterances.at(u.index).label;
    e["gold"] = gold >= 0 ? json(corpus.labels.labels.at(gold)) : json(nullptr);
    const std::size_t row = d.firstRow + u.index;
    if (truth && row < truth->audioShows.size()) {
      auto label = [&corpus](int c) { return c >= 0 ? json(corpus.labels.labels.at(c)) : json(nullptr); };
      e["audio_shows"] = label(truth->audioShows[row]);    // the generator's truth
      e["visual_shows"] = label(truth->visualShows[row]);  // null: no face
    }
    ++counts[interactionName(s.interaction)];
    if (s.interaction == Interaction::Dominance) ++counts[std::string("dominance_") + modalityName(s.dominant)];
    list.push_back(std::move(e));
  }
  j["utterances"] = std::move(list);
  j["interactions"] = counts;
  if (!shareSe.empty()) {
    std::sort(shareSe.begin(), shareSe.end());
    j["median_share_se"] = shareSe[shareSe.size() / 2];  // the largest of the three shares' s.e., at the median utterance
  }
  json speakers = json::array();
  for (const auto& g : relianceBySpeaker(corpus, utterances)) speakers.push_back(groupJson(g));
  j["speakers"] = std::move(speakers);
  std::vector<std::array<double, 3>> all;
  for (const auto& u : utterances) all.push_back(scoreReliance(u).shapley);
  j["overall"] = groupJson(relianceGroup("all", all));
  if (truth) {
    j["by_speaker_type"] = relianceBySpeakerType(corpus, *truth, utterances);
    j["validation"] = truthCheckJson(checkAgainstTruth(corpus, *truth, utterances));
  }
  return j;
}

}  // namespace mlsan::model
