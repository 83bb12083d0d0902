// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/experiments/results.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "mlsan/analysis/stats.h"
#include "mlsan/data/atomic_file.h"
#include "mlsan/data/csv.h"
#include "mlsan/model/run.h"

namespace mlsan::experiments {
namespace fs = std::filesystem;
using nlohmann::json;

ResultTable collectResults(const Experiment& e, const std::string& root) {
  ResultTable t;
  t.kind = e.kindName();
  t.corpus = e.base.corpus;
  t.seeds = e.seeds;
  for (const auto& g : e.groups) {
    ResultRow r;
    r.key = g.key;
    r.title = g.title;
    r.runs.assign(e.seeds.size(), std::nan(""));
    r.components = componentMask(g.args);
    t.rows.push_back(std::move(r));
  }
  for (const auto& task : e.tasks) {
    const fs::path dir = fs::path(root) / task.dir;
    const auto seedIndex = std::find(e.seeds.begin(), e.seeds.end(), task.seed) - e.seeds.begin();
    if (seedIndex >= static_cast<long>(e.seeds.size())) continue;
    if (!fs::exists(model::RunPaths(dir.string()).metrics())) {
      t.problems.push_back(dir.string() + ": not finished (no metrics.json)");
      continue;
    }
    try {
      const model::RunConfig cfg = model::readRunConfig(dir.string());
      const auto seed = cfg.train.seed;
      if (seed != task.seed) throw std::runtime_error("trained with seed " + std::to_string(seed) + ", expected " + std::to_string(task.seed));
      const model::ModelConfig& m = cfg.model;
      const bool wantMulti = task.args.isMultiEmo();
      if (wantMulti ? (m.film || m.gate || m.aux)
                    : (m.film == task.args.noFilm || m.gate == task.args.noGate || m.aux == task.args.noAux))
        throw std::runtime_error("its model is not the variant " + task.args.variantTitle());
      if (task.args.lambda >= 0 && std::abs(m.lambda - task.args.lambda) > 1e-12)
        throw std::runtime_error("trained with lambda " + formatNumber(m.lambda) + ", expected " + formatNumber(task.args.lambda));
      t.rows[task.group].runs[seedIndex] = model::readTestWeightedF1(dir.string());
    } catch (const std::exception& ex) {
      t.problems.push_back(dir.string() + ": " + ex.what());
    }
  }
  const ResultRow* ref = &t.rows[e.reference];
  t.rows[e.reference].reference = true;
  for (auto& r : t.rows) {
    std::vector<double> have;
    for (double v : r.runs)
      if (std::isfinite(v)) have.push_back(v);
    r.finished = static_cast<int>(have.size());
    if (have.empty()) continue;
    const auto ms = analysis::meanStd(have);
    r.mean = ms.mean;
    r.std = have.size() > 1 ? ms.std : std::nan("");
  }
  for (auto& r : t.rows) {
    if (std::isfinite(ref->mean) && std::isfinite(r.mean)) r.delta = r.mean - ref->mean;
    if (r.reference) continue;
    std::vector<double> a, b;
    for (std::size_t s = 0; s < r.runs.size(); ++s)
      if (std::isfinite(r.runs[s]) && std::isfinite(ref->runs[s])) {
        a.push_back(ref->runs[s]);
        b.push_back(r.runs[s]);
      }
    if (a.size() >= 2) r.pValue = analysis::pairedTTest(a, b).pValue;
  }
  if (e.kind == ExperimentKind::Factorial) {
    std::array<std::vector<double>, 8> cells;
    for (auto& c : cells) c.assign(e.seeds.size(), std::nan(""));
    for (const auto& r : t.rows)
      if (r.components >= 0 && r.components < 8) cells[r.components] = r.runs;
    t.factorial = analyseFactorial(cells, e.seeds);
  }
  return t;
}

namespace {
std::string fmt(double v, const char* f = "%.2f") {
  if (!std::isfinite(v)) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}
std::string fmtP(double p) {
  if (!std::isfinite(p)) return "";
  char buf[32];
  if (p < 0.001) std::snprintf(buf, sizeof buf, "%.1e", p);
  else std::snprintf(buf, sizeof buf, "%.3f", p);
  return buf;
}
std::string latexEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': case '%': case '$': case '#': case '_': case '{': case '}': out += '\\'; out += c; break;
      case '~': out += "\\textasciitilde{}"; break;
      case '^': out += "\\textasciicircum{}"; break;
      case '\\': out += "\\textbackslash{}"; break;
      default: out += c;
    }
  }
  return out;
}
std::string meanStd(const ResultRow& r, const char* pm) {
  if (!std::isfinite(r.mean)) return "-";
  return fmt(r.mean) + (std::isfinite(r.std) ? std::string(pm) + fmt(r.std) : std::string());
}

std::string plainMarkdown(const ResultTable& t);
std::string plainLatex(const ResultTable& t);
std::string plainText(const ResultTable& t);

/// Per-seed values of the analysis aligned to the table's seeds (NaN for incomplete seeds).
std::vector<double> alignSeeds(const ResultTable& t, const std::vector<double>& perSeed) {
  std::vector<double> out(t.seeds.size(), std::nan(""));
  const auto& used = t.factorial->seeds;
  for (std::size_t k = 0; k < used.size() && k < perSeed.size(); ++k) {
    const auto at = std::find(t.seeds.begin(), t.seeds.end(), used[k]) - t.seeds.begin();
    if (at < static_cast<long>(out.size())) out[at] = perSeed[k];
  }
  return out;
}

std::string factorialCsv(const ResultTable& t) {
  const FactorialAnalysis& a = *t.factorial;
  data::CsvWriter out;
  std::vector<std::string> header{"section", "key", "title", "film", "gate", "aux", "runs", "mean", "std", "delta", "p_value", "ci_low", "ci_high"};
  for (auto seed : t.seeds) header.push_back("seed_" + std::to_string(seed));
  out.row(header);
  auto parts = [&out](int mask) {
    for (int i = 0; i < 3; ++i) {
      if (mask < 0) out.text("");
      else out.integer((mask >> i) & 1);
    }
  };
  for (const auto& r : t.rows) {
    out.text("cell").text(r.key).text(r.title);
    parts(r.components);
    out.integer(r.finished).fixed(r.mean, 4).fixed(r.std, 4).fixed(r.delta, 4).number(r.pValue, 6).text("").text("");
    for (double v : r.runs) out.fixed(v, 4);
    out.endRow();
  }
  const int n = static_cast<int>(a.seeds.size());
  for (const auto& term : a.terms) {
    out.text("effect").text(term.key).text(term.name);
    parts(term.mask);
    out.integer(n).fixed(term.estimate, 4).fixed(term.std, 4).text("").number(term.pValue, 6).fixed(term.ciLow, 4).fixed(term.ciHigh, 4);
    for (double v : alignSeeds(t, term.perSeed)) out.fixed(v, 4);
    out.endRow();
  }
  auto attributed = [&](const char* section, const std::string& key, const std::string& title, int mask, const Attributed& x) {
    out.text(section).text(key).text(title);
    parts(mask);
    out.integer(n).fixed(x.value, 4).text("").text("").text("").fixed(x.ciLow, 4).fixed(x.ciHigh, 4);
    for (double v : alignSeeds(t, x.perSeed)) out.fixed(v, 4);
    out.endRow();
  };
  for (int i = 0; i < 3; ++i) attributed("shapley", kComponentKeys[i], kComponentNames[i], 1 << i, a.shapley[i]);
  attributed("gain", "full_minus_multiemo", "ML-SAN (full) - MultiEMO", 7, a.gain);
  return out.str();
}

std::string signedNumber(double v) { return fmt(v, "%+.2f"); }
std::string interval(const Attributed& x, const char* open, const char* close) {
  if (!std::isfinite(x.ciLow)) return "";
  return open + signedNumber(x.ciLow) + ", " + signedNumber(x.ciHigh) + close;
}
std::string shareOfGain(const FactorialAnalysis& a, int i) {
  if (!std::isfinite(a.gain.value) || std::abs(a.gain.value) < 1e-9) return "";
  return fmt(100 * a.shapley[i].value / a.gain.value, "%.0f%%");
}
std::string estimateStd(const FactorialTerm& x, const char* pm) {
  return signedNumber(x.estimate) + (std::isfinite(x.std) ? std::string(pm) + fmt(x.std) : std::string());
}
std::string bootstrapNote(const FactorialAnalysis& a) {
  const std::string n = std::to_string(a.seeds.size());
  if (static_cast<int>(a.seeds.size()) < analysis::kMinSeedsForInterval)
    return n + " seed(s) with all 8 runs; no interval below " + std::to_string(analysis::kMinSeedsForInterval) + " seeds";
  return n + " seeds with all 8 runs; " + fmt(100 * a.level, "%.0f") + "% Student-t interval over the per-seed values (" +
         std::to_string(a.seeds.size() - 1) + " degrees of freedom)";
}

std::string factorialText(const ResultTable& t) {
  const FactorialAnalysis& a = *t.factorial;
  std::ostringstream o;
  if (!a.valid()) {
    o << "\nfactorial analysis: " << a.note << "\n";
    return o.str();
  }
  char line[256];
  o << "\nfactorial effects (W-F1 points, +-1 coding: mean with minus mean without), over " << a.seeds.size() << " seed(s)\n";
  std::snprintf(line, sizeof line, "%-22s %17s %10s\n", "term", "estimate +- std", "p (paired)");
  o << line;
  for (const auto& x : a.terms) {
    std::snprintf(line, sizeof line, "%-22s %17s %10s\n", x.name.c_str(), estimateStd(x, " +- ").c_str(), fmtP(x.pValue).c_str());
    o << line;
  }
  o << "\nShapley attribution of full - MultiEMO = " << signedNumber(a.gain.value) << " " << interval(a.gain, "[", "]") << "\n";
  std::snprintf(line, sizeof line, "%-22s %8s %20s %8s\n", "component", "value", "95% CI", "of gain");
  o << line;
  for (int i = 0; i < 3; ++i) {
    std::snprintf(line, sizeof line, "%-22s %8s %20s %8s\n", kComponentNames[i], signedNumber(a.shapley[i].value).c_str(),
                  interval(a.shapley[i], "[", "]").c_str(), shareOfGain(a, i).c_str());
    o << line;
  }
  o << "(" << bootstrapNote(a) << ")\n";
  return o.str();
}

std::string factorialMarkdown(const ResultTable& t) {
  const FactorialAnalysis& a = *t.factorial;
  std::ostringstream o;
  if (!a.valid()) {
    o << "\nFactorial analysis: " << a.note << ".\n";
    return o.str();
  }
  o << "\n| Factorial term | Effect (W-F1 points, mean ± std over seeds) | p (paired) |\n|---|---:|---:|\n";
  for (const auto& x : a.terms) o << "| " << x.name << " | " << estimateStd(x, " ± ") << " | " << fmtP(x.pValue) << " |\n";
  o << "\nEffects in ±1 coding: a main effect is the mean W-F1 of the four configurations with the component minus the "
       "four without; p: two-sided t-test over seeds of the per-seed effect against 0.\n\n";
  o << "| Component | Shapley attribution (W-F1 points) | 95% CI | Share of the gain |\n|---|---:|---:|---:|\n";
  for (int i = 0; i < 3; ++i)
    o << "| " << kComponentNames[i] << " | " << signedNumber(a.shapley[i].value) << " | " << interval(a.shapley[i], "[", "]") << " | "
      << shareOfGain(a, i) << " |\n";
  o << "| **full − MultiEMO** | **" << signedNumber(a.gain.value) << "** | " << interval(a.gain, "[", "]") << " | 100% |\n";
  o << "\nShapley values of the 8 configurations' mean W-F1 (they sum to full − MultiEMO); " << bootstrapNote(a) << ".\n";
  return o.str();
}

std::string factorialLatex(const ResultTable& t) {
  const FactorialAnalysis& a = *t.factorial;
  std::ostringstream o;
  if (!a.valid()) return "% factorial analysis: " + a.note + "\n";
  o << "\n\\begin{tabular}{lrr}\n\\toprule\nTerm & Effect & $p$ \\\\\n\\midrule\n";
  for (const auto& x : a.terms)
    o << latexEscape(x.name) << " & $" << signedNumber(x.estimate) << (std::isfinite(x.std) ? " \\pm " + fmt(x.std) : "")
      << "$ & " << (std::isfinite(x.pValue) ? "$" + fmtP(x.pValue) + "$" : "--") << " \\\\\n";
  o << "\\bottomrule\n\\end{tabular}\n\n\\begin{tabular}{lrr}\n\\toprule\nComponent & Shapley & 95\\% CI \\\\\n\\midrule\n";
  for (int i = 0; i < 3; ++i)
    o << kComponentNames[i] << " & $" << signedNumber(a.shapley[i].value) << "$ & $" << interval(a.shapley[i], "[", "]") << "$ \\\\\n";
  o << "\\midrule\nFull $-$ MultiEMO & $" << signedNumber(a.gain.value) << "$ & $" << interval(a.gain, "[", "]") << "$ \\\\\n";
  o << "\\bottomrule\n\\end{tabular}\n% " << latexEscape(bootstrapNote(a)) << ".\n";
  return o.str();
}

json attributedJson(const Attributed& x) {
  auto num = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  json per = json::array();
  for (double v : x.perSeed) per.push_back(num(v));
  return json{{"value", num(x.value)}, {"ci", json::array({num(x.ciLow), num(x.ciHigh)})}, {"per_seed", per}};
}
}  // namespace

std::string toCsv(const ResultTable& t) {
  if (t.factorial) return factorialCsv(t);
  data::CsvWriter out;
  std::vector<std::string> header{"variant", "title", "runs", "mean", "std", "delta", "p_value"};
  for (auto seed : t.seeds) header.push_back("seed_" + std::to_string(seed));
  out.row(header);
  for (const auto& r : t.rows) {
    out.text(r.key).text(r.title).integer(r.finished).fixed(r.mean, 4).fixed(r.std, 4).fixed(r.delta, 4).number(r.pValue, 6);
    for (double v : r.runs) out.fixed(v, 4);
    out.endRow();
  }
  return out.str();
}

std::string toMarkdown(const ResultTable& t) {
  if (t.factorial) return plainMarkdown(t) + factorialMarkdown(t);
  return plainMarkdown(t);
}

std::string toLatex(const ResultTable& t) {
  if (t.factorial) return plainLatex(t) + factorialLatex(t);
  return plainLatex(t);
}

std::string toText(const ResultTable& t) {
  if (t.factorial) return plainText(t) + factorialText(t);
  return plainText(t);
}

namespace {
std::string plainMarkdown(const ResultTable& t) {
  std::ostringstream o;
  o << "| Variant | W-F1 (mean ± std) | Δ | p (paired) | runs |\n|---|---:|---:|---:|---:|\n";
  for (const auto& r : t.rows)
    o << "| " << r.title << " | " << meanStd(r, " ± ") << " | " << (r.reference ? "—" : fmt(r.delta, "%+.2f")) << " | "
      << (r.reference ? "—" : fmtP(r.pValue)) << " | " << r.finished << "/" << t.seeds.size() << " |\n";
  o << "\n" << t.metric << " on " << t.corpus << ", " << t.seeds.size() << " seed(s); p: paired t-test against "
    << [&] {
         for (const auto& r : t.rows)
           if (r.reference) return r.title;
         return std::string("the reference");
       }()
    << ".\n";
  return o.str();
}

std::string plainLatex(const ResultTable& t) {
  std::ostringstream o;
  o << "\\begin{tabular}{lrrr}\n\\toprule\nVariant & W-F1 & $\\Delta$ & $p$ \\\\\n\\midrule\n";
  for (const auto& r : t.rows) {
    o << latexEscape(r.title) << " & ";
    if (std::isfinite(r.mean)) o << "$" << fmt(r.mean) << (std::isfinite(r.std) ? " \\pm " + fmt(r.std) : "") << "$";
    else o << "--";
    o << " & " << (r.reference || !std::isfinite(r.delta) ? "--" : "$" + fmt(r.delta, "%+.2f") + "$") << " & "
      << (r.reference || !std::isfinite(r.pValue) ? "--" : "$" + fmtP(r.pValue) + "$") << " \\\\\n";
  }
  std::string ref;
  for (const auto& r : t.rows)
    if (r.reference) ref = r.title;
  o << "\\bottomrule\n\\end{tabular}\n% " << latexEscape(t.metric) << " on " << latexEscape(t.corpus) << ", " << t.seeds.size()
    << " seed(s); p: paired t-test over seeds against " << latexEscape(ref) << ".\n";
  return o.str();
}

}  // namespace

json toJson(const ResultTable& t) {
  json rows = json::array();
  auto num = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  for (const auto& r : t.rows) {
    json runs = json::array();
    for (double v : r.runs) runs.push_back(num(v));
    json row{{"variant", r.key}, {"title", r.title}, {"runs", runs}, {"finished", r.finished},
             {"mean", num(r.mean)}, {"std", num(r.std)}, {"delta", num(r.delta)}, {"p_value", num(r.pValue)},
             {"reference", r.reference}, {"weighted_f1", {{"mean", num(r.mean)}, {"std", num(r.std)}, {"runs", runs}}}};
    if (r.components >= 0)
      for (int i = 0; i < 3; ++i) row[kComponentKeys[i]] = ((r.components >> i) & 1) != 0;
    rows.push_back(std::move(row));
  }
  json out{{"kind", t.kind}, {"corpus", t.corpus}, {"metric", t.metric}, {"seeds", t.seeds}, {"rows", rows},
           {"test", "paired t-test over seeds against the reference row (two-sided)"}, {"problems", t.problems}};
  if (t.factorial) {
    const FactorialAnalysis& a = *t.factorial;
    json shapley = json::object(), effects = json::array();
    for (int i = 0; i < 3; ++i) shapley[kComponentKeys[i]] = attributedJson(a.shapley[i]);
    for (const auto& x : a.terms) {
      json per = json::array();
      for (double v : x.perSeed) per.push_back(num(v));
      effects.push_back({{"term", x.key}, {"name", x.name}, {"estimate", num(x.estimate)}, {"std", num(x.std)},
                         {"ci", json::array({num(x.ciLow), num(x.ciHigh)})}, {"p_value", num(x.pValue)}, {"per_seed", per}});
    }
    out["shapley"] = shapley;
    out["gain"] = attributedJson(a.gain);
    out["effects"] = effects;
    out["complete_seeds"] = a.seeds;
    out["interval"] = a.interval;
    out["interval_level"] = a.level;
    out["interval_seeds"] = a.seeds.size();
    out["interval_note"] = "Student's t over the per-seed values, n - 1 degrees of freedom; null below " +
                           std::to_string(analysis::kMinSeedsForInterval) + " seeds";
    out["effects_test"] = "two-sided one-sample t-test over seeds of the per-seed effect against 0 (= paired t-test of the two halves)";
    if (!a.valid()) out["factorial_note"] = a.note;
  }
  return out;
}

namespace {
std::string plainText(const ResultTable& t) {
  std::ostringstream o;
  char line[256];
  std::snprintf(line, sizeof line, "%-22s %17s %8s %10s %6s\n", "variant", "W-F1 mean +- std", "delta", "p (paired)", "runs");
  o << line;
  for (const auto& r : t.rows) {
    std::snprintf(line, sizeof line, "%-22s %17s %8s %10s %3d/%zu\n", r.title.c_str(), meanStd(r, " +- ").c_str(),
                  r.reference ? "-" : fmt(r.delta, "%+.2f").c_str(), r.reference ? "-" : fmtP(r.pValue).c_str(), r.finished,
                  t.seeds.size());
    o << line;
  }
  o << "p: paired t-test over seeds against the reference row (two-sided)\n";
  return o.str();
}

}  // namespace

void exportTable(const ResultTable& t, const std::string& path) {
  const std::string ext = fs::path(path).extension().string();
  std::string text;
  if (ext == ".csv") text = toCsv(t);
  else if (ext == ".md" || ext == ".markdown") text = toMarkdown(t);
  else if (ext == ".tex") text = toLatex(t);
  else if (ext == ".json") text = toJson(t).dump(2) + "\n";
  else if (ext == ".txt") text = toText(t);
  else throw std::runtime_error(path + ": unknown table format '" + ext + "' (use .csv, .md, .tex, .json or .txt)");
  data::atomicWriteFile(path, text);
}

}  // namespace mlsan::experiments
