// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/experiments/experiment.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <initializer_list>
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

std::string configKey(const TrainArgs& a) {
  if (a.isMultiEmo()) return "multiemo";
  std::string off;
  if (a.noFilm) off += "_film";
  if (a.noGate) off += "_gate";
  if (a.noAux) off += "_aux";
  const std::string parts = off.empty() ? "" : "no" + off;
  if (a.lambda < 0) return parts.empty() ? "full" : parts;
  return (parts.empty() ? "" : parts + "_") + "lambda_" + formatNumber(a.lambda);
}

int componentMask(const TrainArgs& a) {
  if (a.isMultiEmo()) return 0;
  return (a.noFilm ? 0 : 1) | (a.noGate ? 0 : 2) | (a.noAux ? 0 : 4);
}

namespace {
json sharedOptions(const TrainArgs& a) {
  json j = a.toJson();
  for (const char* k : {"variant", "no_film", "no_gate", "no_aux", "seed", "threads"}) j.erase(k);
  return j;
}
}  // namespace

std::string sharedOptionsDigest(const TrainArgs& a) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : sharedOptions(a).dump()) {
    h ^= c;
    h *= 16777619u;
  }
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", h);
  return buf;
}

std::vector<std::string> sharedOptionsDiffer(const TrainArgs& a, const TrainArgs& b) {
  const json ja = sharedOptions(a), jb = sharedOptions(b);
  std::vector<std::string> out;
  for (auto it = ja.begin(); it != ja.end(); ++it) {
    const auto other = jb.find(it.key());
    if (other == jb.end() || *other != it.value())
      out.push_back(it.key() + ": " + it.value().dump() + " here, " + (other == jb.end() ? "absent" : other->dump()) + " there");
  }
  for (auto it = jb.begin(); it != jb.end(); ++it)
    if (!ja.contains(it.key())) out.push_back(it.key() + ": absent here, " + it.value().dump() + " there");
  return out;
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

/// A group's folder: its configuration relative to the base. The base's own options (its lambda
/// among them) are shared by every experiment in the root, so only what the group changes names it.
std::string groupKey(TrainArgs args, const TrainArgs& base) {
  if (args.lambda == base.lambda) args.lambda = -1;
  return configKey(args);
}

struct Variant {
  const char* title;
  bool film, gate, aux;
};

/// One group per variant of full ML-SAN (the first is the reference).
Experiment variants(ExperimentKind kind, const TrainArgs& base, const std::vector<std::uint64_t>& seeds,
                    std::initializer_list<Variant> list) {
  Experiment e = fullMlsan(kind, base, seeds);
  for (const auto& v : list) {
    ExperimentGroup g{"", v.title, e.base};
    if (!v.film && !v.gate && !v.aux) {
      g.args.variant = "multiemo";
      g.args.lambda = -1;
      g.args.gateInput = TrainArgs().gateInput;  // unused without a gate: keep the run's config canonical
    } else {
      g.args.noFilm = !v.film;
      g.args.noGate = !v.gate;
      g.args.noAux = !v.aux;
    }
    g.key = groupKey(g.args, e.base);
    e.groups.push_back(std::move(g));
  }
  e.reference = 0;
  return e;
}
}  // namespace

Experiment Experiment::ablation(const TrainArgs& base, const std::vector<std::uint64_t>& seeds) {
  Experiment e = variants(ExperimentKind::Ablation, base, seeds,
                          {{"ML-SAN (full)", true, true, true},
                           {"w/o FiLM", false, true, true},
                           {"w/o Gate", true, false, true},
                           {"w/o Aux loss", true, true, false},
                           {"MultiEMO", false, false, false}});
  e.makeTasks();
  return e;
}

Experiment Experiment::comparison(const TrainArgs& base, const std::vector<std::uint64_t>& seeds) {
  Experiment e = variants(ExperimentKind::Comparison, base, seeds, {{"ML-SAN (full)", true, true, true}, {"MultiEMO", false, false, false}});
  e.makeTasks();
  return e;
}

Experiment Experiment::factorial(const TrainArgs& base, const std::vector<std::uint64_t>& seeds) {
  Experiment e = variants(ExperimentKind::Factorial, base, seeds,
                          {{"ML-SAN (full)", true, true, true},
                           {"w/o FiLM", false, true, true},
                           {"w/o Gate", true, false, true},
                           {"w/o Aux loss", true, true, false},
                           {"FiLM only", true, false, false},
                           {"Gate only", false, true, false},
                           {"Aux loss only", false, false, true},
                           {"MultiEMO", false, false, false}});
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
    ExperimentGroup g{"", "lambda = " + formatNumber(l), e.base};
    g.args.lambda = l;
    if (l == referenceLambda) {
      // The preset's lambda is full ML-SAN as every other experiment trains it: the same run.
      g.args.lambda = -1;
      e.reference = static_cast<int>(e.groups.size());
      g.title += " (preset)";
    }
    g.key = configKey(g.args);
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
  e.groups.push_back({groupKey(base, base), base.variantTitle(), base});
  e.makeTasks();
  return e;
}

std::string Experiment::kindName() const {
  switch (kind) {
    case ExperimentKind::Ablation: return "ablation";
    case ExperimentKind::LambdaSweep: return "lambda-sweep";
    case ExperimentKind::Seeds: return "seeds";
    case ExperimentKind::Factorial: return "factorial";
    case ExperimentKind::Comparison: return "comparison";
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
    else if (kind == "factorial") e.kind = ExperimentKind::Factorial;
    else if (kind == "comparison") e.kind = ExperimentKind::Comparison;
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

namespace {
std::string kindFile(const std::string& root, const std::string& kind) {
  return (fs::path(root) / (kind + ".experiment.json")).string();
}
}  // namespace

std::vector<std::string> Experiment::kindsIn(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  const std::string suffix = ".experiment.json";
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(name.substr(0, name.size() - suffix.size()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

void Experiment::save(const std::string& root) const {
  // Another experiment in this root shares its run folders by configuration: it must have been
  // planned with the same options, or its runs would be taken for this one's.
  std::vector<std::string> files;
  for (const auto& k : kindsIn(root)) files.push_back(kindFile(root, k));
  if (fs::exists(experimentFile(root))) files.push_back(experimentFile(root));
  for (const auto& f : files) {
    Experiment other;
    try {
      other = fromJson(json::parse(data::readFile(f)), f);
    } catch (const std::exception&) {
      continue;  // unreadable: replaced below when it has this kind's name, else left alone
    }
    const auto diff = sharedOptionsDiffer(base, other.base);
    if (diff.empty()) continue;
    std::string list;
    for (const auto& d : diff) list += (list.empty() ? "" : "; ") + d;
    throw std::runtime_error(root + " already holds the " + other.kindName() + " experiment " + f +
                             ", trained with other options (" + list +
                             "); its runs would be reused as this experiment's. Choose another folder (--out), or the same options.");
  }
  fs::create_directories(root);
  const std::string text = toJson().dump(2);
  data::atomicWriteFile(kindFile(root, kindName()), text);
  data::atomicWriteFile(experimentFile(root), text);
}

Experiment Experiment::load(const std::string& root, const std::string& kind) {
  const std::string file = kind.empty() ? experimentFile(root) : kindFile(root, kind);
  if (!kind.empty() && !fs::exists(file)) {
    std::string have;
    for (const auto& k : kindsIn(root)) have += (have.empty() ? "" : ", ") + k;
    throw std::runtime_error(root + ": no " + kind + " experiment here (" + (have.empty() ? "none planned" : "it holds: " + have) + ")");
  }
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
