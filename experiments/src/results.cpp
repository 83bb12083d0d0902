// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/experiments/results.h"

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
}  // namespace

std::string toCsv(const ResultTable& t) {
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

std::string toLatex(const ResultTable& t) {
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

json toJson(const ResultTable& t) {
  json rows = json::array();
  auto num = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  for (const auto& r : t.rows) {
    json runs = json::array();
    for (double v : r.runs) runs.push_back(num(v));
    rows.push_back({{"variant", r.key}, {"title", r.title}, {"runs", runs}, {"finished", r.finished},
                    {"mean", num(r.mean)}, {"std", num(r.std)}, {"delta", num(r.delta)}, {"p_value", num(r.pValue)},
                    {"reference", r.reference}});
  }
  return json{{"kind", t.kind}, {"corpus", t.corpus}, {"metric", t.metric}, {"seeds", t.seeds}, {"rows", rows},
              {"test", "paired t-test over seeds against the reference row (two-sided)"}, {"problems", t.problems}};
}

std::string toText(const ResultTable& t) {
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
  return o.str();
}

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
