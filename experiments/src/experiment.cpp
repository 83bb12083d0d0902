// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/experiments/experiment.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "mlsan/data/atomic_file.h"

namespace mlsan::experiments {
namespace fs = std::filesystem;
using nlohmann::json;

std::string ExperimentTask::label() const {
  const auto slash = dir.find('/');
  return dir.substr(0, slash) + " seed " + std::to_string(seed);
}

void Experiment::makeTasks() {
  tasks.clear();
  for (std::size_t g = 0; g < groups.size(); ++g)
    for (const auto s : seeds) {
      ExperimentTask t;
      t.group = static_cast<int>(g);
      t.seed = s;
      t.dir = groups[g].key + "/seed" + std::to_string(s);
      t.args = groups[g].args;
      t.args.seed = s;
      t.args.threads = base.threads;
      tasks.push_back(std::move(t));
    }
}

namespace {
/// An experiment whose base is full ML-SAN (the groups switch parts off or vary lambda).
Experiment fullMlsan(ExperimentKind kind, const TrainArgs& base, const std::vector<std::uint64_t>& seeds) {
  Experiment e;
  e.kind = kind;
  e.base = base;
  e.base.variant = "mlsan";
  e.base.noFilm = e.base.noGate = e.base.noAux = false;
  e.seeds = seeds;
  return e;
}
}  // namespace

Experiment Experiment::ablation(const TrainArgs& base, const std::vector<std::uint64_t>& seeds) {
  Experiment e = fullMlsan(ExperimentKind::Ablation, base, seeds);
  struct V { const char* key; const char* title; bool film, gate, aux; };
  const V variants[] = {{"full", "ML-SAN (full)", true, true, true},
                        {"no_film", "w/o FiLM", false, true, true},
                        {"no_gate", "w/o Gate", true, false, true},
                        {"no_aux", "w/o Aux loss", true, true, false},
                        {"multiemo", "MultiEMO", false, false, false}};
  for (const auto& v : variants) {
    ExperimentGroup g{v.key, v.title, e.base};
    if (!v.film && !v.gate && !v.aux) {
      g.args.variant = "multiemo";
      g.args.lambda = -1;
      g.args.gateInput = TrainArgs().gateInput;  // unused without a gate: keep the run's config canonical
    } else {
      g.args.noFilm = !v.film;
      g.args.noGate = !v.gate;
      g.args.noAux = !v.aux;
    }
    e.groups.push_back(std::move(g));
  }
  e.reference = 0;
  e.makeTasks();
  return e;
}

Experiment Experiment::lambdaSweep(const TrainArgs& base, std::vector<double> lambdas, double referenceLambda,
                                   const std::vector<std::uint64_t>& seeds) {
  Experiment e = fullMlsan(ExperimentKind::LambdaSweep, base, seeds);
  if (referenceLambda >= 0 && std::find(lambdas.begin(), lambdas.end(), referenceLambda) == lambdas.end())
    lambdas.push_back(referenceLambda);
  std::sort(lambdas.begin(), lambdas.end());
  lambdas.erase(std::unique(lambdas.begin(), lambdas.end()), lambdas.end());
  for (double l : lambdas) {
    if (!(l >= 0) || !std::isfinite(l)) throw std::invalid_argument("lambda must be a finite number >= 0, not " + formatNumber(l));
    ExperimentGroup g{"lambda_" + formatNumber(l), "lambda = " + formatNumber(l), e.base};
    g.args.lambda = l;
    if (l == referenceLambda) {
      e.reference = static_cast<int>(e.groups.size());
      g.title += " (preset)";
    }
    e.groups.push_back(std::move(g));
  }
  e.makeTasks();
  return e;
}

Experiment Experiment::seedRuns(const TrainArgs& base, const std::vector<std::uint64_t>& seeds) {
  Experiment e;
  e.kind = ExperimentKind::Seeds;
  e.base = base;
  e.seeds = seeds;
  e.groups.push_back({"run", base.variantTitle(), base});
  e.makeTasks();
  return e;
}

std::string Experiment::kindName() const {
  switch (kind) {
    case ExperimentKind::Ablation: return "ablation";
    case ExperimentKind::LambdaSweep: return "lambda-sweep";
    case ExperimentKind::Seeds: return "seeds";
  }
  return "?";
}

json Experiment::toJson() const {
  json g = json::array();
  for (const auto& x : groups) g.push_back({{"key", x.key}, {"title", x.title}, {"args", x.args.toJson()}});
  json t = json::array();
  for (const auto& x : tasks) t.push_back({{"group", x.group}, {"seed", x.seed}, {"dir", x.dir}, {"args", x.args.toJson()}});
  return json{{"format", "mlsan-experiment"}, {"version", 1}, {"kind", kindName()}, {"base", base.toJson()},
              {"seeds", seeds}, {"reference", reference}, {"groups", g}, {"tasks", t}};
}

Experiment Experiment::fromJson(const json& j, const std::string& file) {
  try {
    if (!j.is_object() || j.value("format", "") != "mlsan-experiment")
      throw std::runtime_error("not an mlsan experiment (no \"format\": \"mlsan-experiment\")");
    Experiment e;
    const std::string kind = j.at("kind");
    if (kind == "ablation") e.kind = ExperimentKind::Ablation;
    else if (kind == "lambda-sweep") e.kind = ExperimentKind::LambdaSweep;
    else if (kind == "seeds") e.kind = ExperimentKind::Seeds;
    else throw std::runtime_error("unknown experiment kind '" + kind + "'");
    e.base = TrainArgs::fromJson(j.at("base"));
    j.at("seeds").get_to(e.seeds);
    e.reference = j.at("reference");
    for (const auto& g : j.at("groups")) e.groups.push_back({g.at("key"), g.at("title"), TrainArgs::fromJson(g.at("args"))});
    for (const auto& t : j.at("tasks")) {
      ExperimentTask task;
      task.group = t.at("group");
      task.seed = t.at("seed");
      task.dir = t.at("dir");
      task.args = TrainArgs::fromJson(t.at("args"));
      if (task.group < 0 || task.group >= static_cast<int>(e.groups.size()))
        throw std::runtime_error("task " + task.dir + " names group " + std::to_string(task.group) + ", which does not exist");
      if (task.dir.empty() || task.dir.find("..") != std::string::npos || task.dir.front() == '/')
        throw std::runtime_error("task folder '" + task.dir + "' is not a plain folder inside the experiment");
      e.tasks.push_back(std::move(task));
    }
    if (e.groups.empty()) throw std::runtime_error("no groups");
    if (e.reference < 0 || e.reference >= static_cast<int>(e.groups.size())) throw std::runtime_error("reference group out of range");
    return e;
  } catch (const json::exception& ex) {
    throw std::runtime_error(file + ": not a valid experiment description (" + ex.what() + ")");
  } catch (const std::runtime_error& ex) {
    throw std::runtime_error(file + ": " + ex.what());
  }
}

std::string experimentFile(const std::string& root) { return (fs::path(root) / "experiment.json").string(); }

void Experiment::save(const std::string& root) const {
  fs::create_directories(root);
  data::atomicWriteFile(experimentFile(root), toJson().dump(2));
}

Experiment Experiment::load(const std::string& root) {
  const std::string file = experimentFile(root);
  json j;
  try {
    j = json::parse(data::readFile(file));
  } catch (const json::exception& e) {
    throw std::runtime_error(file + ": not JSON (" + e.what() + ")");
  }
  return fromJson(j, file);
}

namespace {
std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text + ",") {
    if (c == ',' || c == ' ') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}
std::uint64_t parseSeed(const std::string& s, const std::string& whole) {
  std::size_t used = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != s.size() || s.empty() || s[0] == '-') throw std::invalid_argument("seeds '" + whole + "': '" + s + "' is not a seed");
  return v;
}
}  // namespace

std::vector<std::uint64_t> parseSeeds(const std::string& text) {
  std::vector<std::uint64_t> out;
  for (const auto& item : splitList(text)) {
    const auto dash = item.find('-', 1);
    if (dash == std::string::npos) {
      out.push_back(parseSeed(item, text));
      continue;
    }
    const auto a = parseSeed(item.substr(0, dash), text), b = parseSeed(item.substr(dash + 1), text);
    if (b < a || b - a > 1000) throw std::invalid_argument("seeds '" + text + "': bad range '" + item + "'");
    for (auto s = a; s <= b; ++s) out.push_back(s);
  }
  if (out.empty()) throw std::invalid_argument("no seeds given");
  std::vector<std::uint64_t> seen;
  for (auto s : out)
    if (std::find(seen.begin(), seen.end(), s) == seen.end()) seen.push_back(s);
  return seen;
}

std::vector<double> parseLambdas(const std::string& text) {
  std::vector<double> out;
  for (const auto& item : splitList(text)) {
    std::size_t used = 0;
    double v = -1;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || !(v >= 0) || !std::isfinite(v))
      throw std::invalid_argument("lambdas '" + text + "': '" + item + "' is not a number >= 0");
    out.push_back(v);
  }
  if (out.empty()) throw std::invalid_argument("no lambdas given");
  return out;
}

std::vector<double> defaultLambdas() { return {0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0}; }

}  // namespace mlsan::experiments
