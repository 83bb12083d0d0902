// SPDX-License-Identifier: GPL-3.0-or-later
// `mlsan tsne`: embeds any N x D matrix (.npy or CSV) or a run's features in 2-D or 3-D with the
// analysis library's t-SNE, writes the layout as CSV, and reports time, KL divergence and
// trustworthiness (k = 10 on a fixed subsample). For a run, the layout CSV also carries each
// point's utterance, speaker and emotion, and the disentanglement numbers of the features and
// of their raw counterpart are reported beside it.
// `mlsan bench tsne` (benchTsne) times the same engine on a MELD-sized clustered matrix.
#include <cmath>
#include <cstdio>
#include <random>

#include "commands.h"
#include "mlsan/analysis/disentangle.h"
#include "mlsan/analysis/tsne.h"
#include "mlsan/data/matrix_io.h"
#include "mlsan/model/feature_sets.h"

namespace mlsan::app {
using json = nlohmann::json;

namespace {

/// The feature-set names --features accepts, in the model's order.
std::vector<std::string> featureNames() {
  std::vector<std::string> names;
  for (model::FeatureKind k : model::kFeatureKindOrder) names.emplace_back(model::featureKindName(k));
  return names;
}

analysis::TsneGradient parseGradient(const std::string& s) {
  if (s == "auto") return analysis::TsneGradient::Auto;
  if (s == "exact") return analysis::TsneGradient::Exact;
  if (s == "barnes-hut") return analysis::TsneGradient::BarnesHut;
  return analysis::TsneGradient::Fft;
}

/// A terminal line per report: iteration, KL, elapsed.
analysis::TsneCallback terminalProgress(bool quiet) {
  if (quiet) return {};
  return [](const analysis::TsneProgress& p) {
    if (p.stage == analysis::TsneStage::Optimising)
      std::fprintf(stderr, "\rt-SNE %4d/%d  KL %.4f  %.1f s   ", p.iteration, p.iterations, p.klDivergence, p.seconds);
    else if (p.stage == analysis::TsneStage::Done)
      std::fprintf(stderr, "\rt-SNE done: %d iterations, KL %.4f, %.1f s      \n", p.iteration, p.klDivergence, p.seconds);
    else
      std::fprintf(stderr, "t-SNE: %s...\n", analysis::tsneStageName(p.stage));
    return true;
  };
}

}  // namespace

void addTsneCommand(CLI::App& app) {
  struct Opts {
    std::string input, run, features = "fused", corpus, split = "test", out, score;
    int dims = 2, iterations = 1000, threads = 2, trustSamples = 2000, maxSamples = 0;
    double perplexity = 30, theta = 0.5, fftIntervals = -1;
    int fftMinIntervals = -1, fftStencil = -1;
    std::uint64_t seed = 1;
    std::string gradient = "auto";
    bool json = false, noDisentangle = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("tsne", "Embed a matrix (.npy or CSV) or a run's features with t-SNE; write the layout as CSV");
  auto* in = cmd->add_option("--input", o->input, "An N x D matrix: numpy .npy (float32/float64) or CSV (optional header row)");
  auto* run = cmd->add_option("--run", o->run, "A run folder: embed its features instead (see --features)");
  in->excludes(run);
  cmd->add_option("--features", o->features, "With --run: audio_raw, audio_film, audio_proj, audio_gated, visual_raw, visual_film, visual_proj, visual_gated or fused (the stage before it is measured too)")
      ->check(CLI::IsMember(featureNames()))->capture_default_str();
  cmd->add_option("--corpus", o->corpus, "With --run: the corpus (default: the one the run was trained on)");
  cmd->add_option("--split", o->split, "With --run: train, dev or test")->capture_default_str();
  cmd->add_option("--max-samples", o->maxSamples, "With --run: at most this many utterances, a fixed subsample (0 = all)")
      ->capture_default_str();
  auto* outOpt = cmd->add_option("--out", o->out, "Layout CSV: columns x, y (, z), one row per input row, in input order");
  auto* scoreOpt = cmd->add_option("--score", o->score,
                                   "Instead of embedding: score this layout of --input (CSV or .npy, one row per input row; "
                                   "x, y (, z) or the first 2-3 columns): KL divergence and trustworthiness, as for our own");
  outOpt->excludes(scoreOpt);
  cmd->add_option("--dims", o->dims, "2 or 3")->check(CLI::IsMember({2, 3}))->capture_default_str();
  cmd->add_option("--perplexity", o->perplexity, "Perplexity")->capture_default_str();
  cmd->add_option("--iterations", o->iterations, "Iterations (the first 250 with early exaggeration)")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed (random parts: the trustworthiness subsample, --max-samples)")->capture_default_str();
  cmd->add_option("--threads", o->threads, "CPU threads")->capture_default_str();
  cmd->add_option("--gradient", o->gradient, "auto (exact below 1,000 points, else fft in 2-D, barnes-hut in 3-D), exact, barnes-hut or fft")
      ->check(CLI::IsMember({"auto", "exact", "barnes-hut", "fft"}))->capture_default_str();
  cmd->add_option("--theta", o->theta, "Barnes-Hut opening angle")->capture_default_str();
  cmd->add_option("--fft-intervals", o->fftIntervals, "FFT: grid boxes per unit of the layout's span (3 nodes each; default 1)");
  cmd->add_option("--fft-min-intervals", o->fftMinIntervals, "FFT: at least this many boxes per axis (default 20)");
  cmd->add_option("--fft-stencil", o->fftStencil, "FFT: interpolation nodes per axis around each point");
  cmd->add_option("--trust-samples", o->trustSamples, "Points in the trustworthiness subsample")->capture_default_str();
  cmd->add_flag("--no-disentangle", o->noDisentangle, "With --run: skip the silhouette and probe numbers");
  cmd->add_flag("--json", o->json, "Print one JSON object");
  setExamples(cmd,
      {
       {"A run's fused features in 2-D, with trustworthiness and the disentanglement numbers",
        "mlsan tsne --run runs/mlsan --features fused --out fused.csv"},
       {"What the fusion reads: the audio after the gate (and after the projection, the stage before it)",
        "mlsan tsne --run runs/mlsan --features audio_gated --out gated.csv"},
       {"The audio features before and after FiLM",
        "mlsan tsne --run runs/mlsan --features audio_raw --out raw.csv; mlsan tsne --run runs/mlsan --features audio_film --out film.csv"},
       {"Any matrix",
        "mlsan tsne --input features.npy --dims 3 --out layout.csv"}});
  cmd->callback([o] {
    if (o->input.empty() && o->run.empty()) throw std::runtime_error("tsne: give --input FILE or --run RUN");
    if (o->out.empty() && o->score.empty()) throw std::runtime_error("tsne: give --out LAYOUT.csv (or --score LAYOUT to score one)");
    if (!o->score.empty()) {
      if (o->input.empty()) throw std::runtime_error("tsne --score: give the --input the layout was made from");
      const data::Matrix x = data::readMatrix(o->input);
      const data::Matrix lay = data::readMatrix(o->score);
      if (lay.rows != x.rows)
        throw std::runtime_error(o->score + ": " + std::to_string(lay.rows) + " rows, but " + o->input + " has " + std::to_string(x.rows));
      const int dims = lay.cols >= 3 && o->dims == 3 ? 3 : 2;
      if (lay.cols < static_cast<std::size_t>(dims)) throw std::runtime_error(o->score + ": a layout needs at least 2 columns");
      std::vector<float> y(lay.rows * static_cast<std::size_t>(dims));
      for (std::size_t i = 0; i < lay.rows; ++i)
        for (int k = 0; k < dims; ++k) y[i * static_cast<std::size_t>(dims) + static_cast<std::size_t>(k)] = lay.values[i * lay.cols + static_cast<std::size_t>(k)];
      const std::size_t trustN = std::min<std::size_t>(static_cast<std::size_t>(std::max(4, o->trustSamples)), x.rows);
      const double kl = analysis::tsneKlDivergence(x.values.data(), x.rows, x.cols, y.data(), dims, o->perplexity, o->threads);
      const double trust = analysis::subsampledTrustworthiness(x.values.data(), x.cols, y.data(), static_cast<std::size_t>(dims), x.rows, trustN, o->seed);
      json j{{"input", o->input}, {"layout", o->score}, {"points", x.rows}, {"dims", dims}, {"perplexity", o->perplexity},
             {"kl_divergence", kl}, {"trustworthiness", trust}, {"trustworthiness_samples", trustN}};
      if (o->json) printJson(j);
      else std::printf("%s: %zu points, %d-D: KL divergence %.4f (perplexity %.1f), trustworthiness (k = 10, %zu points) %.4f\n",
                       o->score.c_str(), x.rows, dims, kl, o->perplexity, trustN, trust);
      return;
    }
    analysis::TsneConfig cfg;
    cfg.dims = o->dims;
    cfg.perplexity = o->perplexity;
    cfg.iterations = o->iterations;
    cfg.exaggerationIterations = std::min(250, o->iterations);
    cfg.seed = o->seed;
    cfg.threads = o->threads;
    cfg.gradient = parseGradient(o->gradient);
    cfg.theta = o->theta;
    if (o->fftIntervals > 0) cfg.intervalsPerUnit = o->fftIntervals;
    if (o->fftMinIntervals > 0) cfg.minIntervals = o->fftMinIntervals;
    if (o->fftStencil > 0) cfg.stencil = o->fftStencil;
    json j;
    data::Matrix m;
    model::FeatureSet fs, raw;
    data::Corpus corpus;
    if (!o->input.empty()) {
      m = data::readMatrix(o->input);
      j["input"] = o->input;
    } else {
      model::setThreads(o->threads);
      model::Model model = openRunModel(o->run, o->corpus, &corpus);
      const model::Inference inf = model.infer(corpus, model::dialoguesOf(corpus, data::parseSplit(o->split)));
      const auto kind = model::parseFeatureKind(o->features);
      fs = model::extractFeatureSet(corpus, inf, kind, static_cast<std::size_t>(o->maxSamples), o->seed);
      if (model::previousStage(kind) != kind)
        raw = model::extractFeatureSet(corpus, inf, model::previousStage(kind), static_cast<std::size_t>(o->maxSamples), o->seed);
      m.values = fs.x;
      m.rows = fs.rows();
      m.cols = fs.dim;
      j["run"] = o->run;
      j["features"] = o->features;
      j["split"] = o->split;
    }
    if (m.rows < 4) throw std::runtime_error("tsne: " + (o->input.empty() ? o->run : o->input) + " has " + std::to_string(m.rows) + " rows; t-SNE needs at least 4");
    if (cfg.perplexity >= static_cast<double>(m.rows)) {
      cfg.perplexity = std::max(1.0, (static_cast<double>(m.rows) - 1) / 3.0);
      if (!o->json) std::fprintf(stderr, "tsne: perplexity lowered to %.1f for %zu rows\n", cfg.perplexity, m.rows);
    }
    const auto r = analysis::runTsne(m.values.data(), m.rows, m.cols, cfg, terminalProgress(o->json));
    const std::size_t trustN = std::min<std::size_t>(static_cast<std::size_t>(std::max(4, o->trustSamples)), m.rows);
    const double trust = analysis::subsampledTrustworthiness(m.values.data(), m.cols, r.layout.data(), static_cast<std::size_t>(r.dims), r.n, trustN, o->seed);
    // The layout CSV (plus, for a run, who each point is).
    std::vector<std::string> header{"x", "y"};
    if (o->dims == 3) header.push_back("z");
    std::vector<float> table;
    const bool fromRun = !o->run.empty();
    if (fromRun) {
      for (const char* c : {"speaker", "emotion", "dialogue", "utterance"}) header.push_back(c);
      table.reserve(m.rows * header.size());
      for (std::size_t i = 0; i < m.rows; ++i) {
        for (int k = 0; k < o->dims; ++k) table.push_back(r.layout[i * static_cast<std::size_t>(o->dims) + static_cast<std::size_t>(k)]);
        table.push_back(static_cast<float>(fs.speaker[i]));
        table.push_back(static_cast<float>(fs.emotion[i]));
        table.push_back(static_cast<float>(fs.dialogue[i]));
        table.push_back(static_cast<float>(fs.index[i]));
      }
    }
    data::writeCsvMatrix(o->out, header, fromRun ? table.data() : r.layout.data(), m.rows);
    j["out"] = o->out;
    j["points"] = m.rows;
    j["input_dims"] = m.cols;
    j["dims"] = o->dims;
    j["perplexity"] = cfg.perplexity;
    j["iterations"] = r.iterations;
    j["gradient"] = r.gradient;
    j["threads"] = o->threads;
    j["seconds"] = r.seconds;
    j["seconds_neighbours"] = r.secondsNeighbours;
    j["seconds_affinities"] = r.secondsAffinities;
    j["seconds_optimising"] = r.secondsOptimising;
    j["kl_divergence"] = r.klDivergence;
    j["trustworthiness"] = trust;
    j["trustworthiness_samples"] = trustN;
    if (fromRun && !o->noDisentangle) {
      json d;
      if (!raw.x.empty())
        d["before"] = disentangleJson(analysis::measureDisentanglement(raw.x.data(), raw.rows(), raw.dim, raw.speaker, raw.emotion, 5, 1,
                                                                       100, {}, raw.dialogue),
                                      corpus.labels.labels);
      d[raw.x.empty() ? "features" : "after"] = disentangleJson(
          analysis::measureDisentanglement(fs.x.data(), fs.rows(), fs.dim, fs.speaker, fs.emotion, 5, 1, 100, {}, fs.dialogue),
          corpus.labels.labels);
      const json lay = disentangleJson(analysis::measureDisentanglement(r.layout.data(), r.n, static_cast<std::size_t>(r.dims),
                                                                        fs.speaker, fs.emotion, 5, 1, 100, {}, fs.dialogue));
      d["layout"] = lay;
      j["disentangle"] = d;
    }
    if (o->json) {
      printJson(j);
      return;
    }
    std::printf("%zu points x %zu dims -> %d-D (%s), perplexity %.1f, %d iterations, %d thread(s)\n", m.rows, m.cols, o->dims,
                r.gradient.c_str(), cfg.perplexity, r.iterations, o->threads);
    std::printf("time %.2f s (neighbours %.2f, affinities %.2f, optimisation %.2f)\n", r.seconds, r.secondsNeighbours,
                r.secondsAffinities, r.secondsOptimising);
    std::printf("KL divergence %.4f, trustworthiness (k = 10, %zu points) %.4f\n", r.klDivergence, trustN, trust);
    if (j.contains("disentangle")) {
      std::printf("%-10s %12s %12s %14s\n", "", "sil.speaker", "sil.emotion", "speaker probe");
      for (const auto& [k, v] : j["disentangle"].items()) {
        if (v.contains("error")) {
          std::printf("%-10s %s\n", k.c_str(), v["error"].get<std::string>().c_str());
          continue;
        }
        std::printf("%-10s %12.4f %12.4f %13.1f%%\n", k.c_str(), v["silhouette_speaker"].get<double>(),
                    v["silhouette_emotion"].get<double>(), 100 * v["speaker_probe_accuracy"].get<double>());
      }
    }
    std::printf("layout written to %s\n", o->out.c_str());
  });
}

/// A MELD-sized clustered matrix: `clusters` Gaussian centres (s.d. 1.5 per axis), points with
/// unit noise around them, cluster of each point uniform. Deterministic for the seed.
std::vector<float> benchTsneInput(std::size_t n, std::size_t d, int clusters, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> centres(static_cast<std::size_t>(clusters) * d);
  for (float& c : centres) c = 1.5f * g(rng);
  std::uniform_int_distribution<int> pick(0, clusters - 1);
  std::vector<float> x(n * d);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = static_cast<std::size_t>(pick(rng));
    for (std::size_t k = 0; k < d; ++k) x[i * d + k] = centres[c * d + k] + g(rng);
  }
  return x;
}

json benchTsne(const std::string& input, const std::string& writeInput, const std::vector<int>& dimsList, int threads, int iterations,
               const std::string& gradient, bool quiet) {
  data::Matrix m;
  if (!input.empty()) {
    m = data::readMatrix(input);
  } else {
    m.rows = 13708;
    m.cols = 256;
    m.values = benchTsneInput(m.rows, m.cols, 20, 7);
    if (!writeInput.empty()) data::writeNpy(writeInput, m.values.data(), m.rows, m.cols);
  }
  json j{{"points", m.rows}, {"input_dims", m.cols}, {"threads", threads}, {"input", input.empty() ? "generated: 20 Gaussian clusters, seed 7" : input},
         {"runs", json::array()}};
  for (int dims : dimsList) {
    analysis::TsneConfig cfg;
    cfg.dims = dims;
    cfg.threads = threads;
    cfg.iterations = iterations;
    cfg.gradient = parseGradient(gradient);
    const auto r = analysis::runTsne(m.values.data(), m.rows, m.cols, cfg, terminalProgress(quiet));
    const double trust = analysis::subsampledTrustworthiness(m.values.data(), m.cols, r.layout.data(), static_cast<std::size_t>(r.dims), r.n, 2000, 1);
    j["runs"].push_back({{"dims", dims}, {"gradient", r.gradient}, {"iterations", r.iterations}, {"seconds", r.seconds},
                         {"seconds_neighbours", r.secondsNeighbours}, {"seconds_affinities", r.secondsAffinities},
                         {"seconds_optimising", r.secondsOptimising}, {"kl_divergence", r.klDivergence}, {"trustworthiness", trust}});
  }
  return j;
}

void printTsneBench(const json& j) {
  std::printf("bench tsne: %zu points x %zu dims (%s), perplexity 30, %d thread(s)\n", j["points"].get<std::size_t>(),
              j["input_dims"].get<std::size_t>(), j["input"].get<std::string>().c_str(), j["threads"].get<int>());
  std::printf("%4s %-11s %6s %9s %11s %10s %13s %8s %8s\n", "dims", "gradient", "iters", "seconds", "neighbours", "affinity",
              "optimisation", "KL", "trust@10");
  for (const auto& r : j["runs"])
    std::printf("%4d %-11s %6d %9.2f %11.2f %10.2f %13.2f %8.4f %8.4f\n", r["dims"].get<int>(), r["gradient"].get<std::string>().c_str(),
                r["iterations"].get<int>(), r["seconds"].get<double>(), r["seconds_neighbours"].get<double>(),
                r["seconds_affinities"].get<double>(), r["seconds_optimising"].get<double>(), r["kl_divergence"].get<double>(),
                r["trustworthiness"].get<double>());
  std::printf("Compare: python3 tools/bench_tsne_sklearn.py INPUT.npy (write INPUT.npy with --write-input)\n");
}

}  // namespace mlsan::app
