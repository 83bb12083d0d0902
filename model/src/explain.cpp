// SPDX-License-Identifier: GPL-3.0-or-later
// Modality reliance by intervention: 8 forward passes per batch, one per subset of modalities.
#include "mlsan/model/explain.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <filesystem>
#include <unordered_map>

#include "internal.h"
#include "mlsan/analysis/shapley.h"
#include "mlsan/model/run.h"

namespace mlsan::model {
namespace fs = std::filesystem;

namespace {

/// The training rows each corpus speaker's removed modalities are drawn from (RelianceOptions):
/// the speaker's own when they have at least kDrawPoolMinimum, else every speaker's.
struct DrawPool {
  std::vector<std::vector<int64_t>> bySpeaker;
  std::vector<int64_t> all;
  explicit DrawPool(const data::Corpus& c) : bySpeaker(c.speakers.size()) {
    // A corpus without a training split (a model brought from elsewhere, scored on a test split
    // alone) draws from every split.
    bool anyTrain = false;
    for (const auto& d : c.dialogues) anyTrain = anyTrain || (d.split == data::Split::Train && d.size() > 0);
    for (const auto& d : c.dialogues) {
      if (anyTrain && d.split != data::Split::Train) continue;
      for (std::size_t t = 0; t < d.size(); ++t) {
        const auto row = static_cast<int64_t>(d.firstRow + t);
        all.push_back(row);
        const int s = d.utterances[t].speaker;
        if (s >= 0 && s < static_cast<int>(bySpeaker.size())) bySpeaker[static_cast<std::size_t>(s)].push_back(row);
      }
    }
    if (all.empty()) throw std::runtime_error("explain: the corpus has no utterances to draw an absent modality from");
  }
  const std::vector<int64_t>& of(int speaker) const {
    if (speaker < 0 || speaker >= static_cast<int>(bySpeaker.size())) return all;
    const auto& own = bySpeaker[static_cast<std::size_t>(speaker)];
    return static_cast<int>(own.size()) >= kDrawPoolMinimum ? own : all;
  }
};

/// A 64-bit mix (splitmix64's finaliser): the draw of (seed, dialogue, draw, position) depends on
/// nothing else, so it does not depend on which dialogues share a batch.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// What replaces the removed modalities of one draw, per cell of a batch: [T, B, D] each.
using Replacement = std::array<torch::Tensor, 3>;

/// The corpus's feature matrices as tensors over its own memory (read only).
std::array<torch::Tensor, 3> corpusMatrices(const data::Corpus& c) {
  const auto rows = static_cast<int64_t>(c.numUtterances());
  auto view = [rows](const std::vector<float>& v, int dim) {
    return torch::from_blob(const_cast<float*>(v.data()), {rows, dim}, torch::kFloat);
  };
  return {view(c.text, c.dimText), view(c.audio, c.dimAudio), view(c.visual, c.dimVisual)};
}

/// The mean or zero baseline: one vector per modality, broadcast over the cells.
Replacement fixedReplacement(const data::Corpus& c, const std::string& absent) {
  const int dims[3] = {c.dimText, c.dimAudio, c.dimVisual};
  const std::vector<float>* mats[3] = {&c.text, &c.audio, &c.visual};
  Replacement out;
  for (int m = 0; m < 3; ++m) {
    auto acc = torch::zeros({dims[m]}, torch::kDouble);
    if (absent == "mean") {
      auto* p = acc.data_ptr<double>();
      long rows = 0;
      for (const auto& d : c.dialogues) {
        if (d.split != data::Split::Train) continue;
        for (std::size_t t = 0; t < d.size(); ++t, ++rows) {
          const float* x = mats[m]->data() + (d.firstRow + t) * dims[m];
          for (int k = 0; k < dims[m]; ++k) p[k] += x[k];
        }
      }
      if (rows > 0) acc /= static_cast<double>(rows);
    }
    out[m] = acc.to(torch::kFloat).view({1, 1, -1});
  }
  return out;
}

/// Draw `draw` of the batch `b` (columns `dialogueOf`, positions `positionOf` give each column's
/// dialogue and the position its own draws are keyed by): every real cell takes the features of a
/// random training utterance of its speaker, the same utterance for all three modalities.
Replacement drawnReplacement(const data::Corpus& c, const Batch& b, const std::vector<int>& dialogueOf, const DrawPool& pool,
                             const std::array<torch::Tensor, 3>& mats, std::uint64_t seed, int draw) {
  const int64_t T = b.mask.size(0), B = b.mask.size(1);
  auto index = torch::zeros({T * B}, torch::kLong);
  auto* pi = index.data_ptr<int64_t>();
  const auto* pm = b.mask.data_ptr<bool>();
  for (int64_t j = 0; j < B; ++j) {
    const auto& d = c.dialogues[static_cast<std::size_t>(dialogueOf[static_cast<std::size_t>(j)])];
    for (int64_t t = 0; t < T; ++t) {
      const int64_t cell = t * B + j;
      if (!pm[cell]) continue;
      const auto& rows = pool.of(d.utterances[static_cast<std::size_t>(t)].speaker);
      const std::uint64_t h = mix(mix(mix(seed) ^ static_cast<std::uint64_t>(dialogueOf[static_cast<std::size_t>(j)])) ^
                                  (static_cast<std::uint64_t>(draw) << 32 | static_cast<std::uint64_t>(t)));
      pi[cell] = rows[static_cast<std::size_t>(h % rows.size())];
    }
  }
  Replacement out;
  for (int m = 0; m < 3; ++m) out[m] = mats[m].index_select(0, index).view({T, B, -1});
  return out;
}

/// `b` with each column repeated `copies` times in place (column j becomes columns j * copies ..
/// j * copies + copies - 1). The columns stay longest first, so one forward pass computes every
/// copy, and a column's outputs do not depend on the other columns of its batch.
Batch tile(const Batch& b, int64_t copies) {
  Batch t;
  auto rep = [copies](const torch::Tensor& x) { return x.repeat_interleave(copies, 1); };
  t.text = rep(b.text); t.audio = rep(b.audio); t.visual = rep(b.visual);
  t.speaker = rep(b.speaker); t.party = rep(b.party); t.label = rep(b.label); t.mask = rep(b.mask);
  t.lengths = b.lengths.repeat_interleave(copies);
  for (int d : b.dialogues) t.dialogues.insert(t.dialogues.end(), static_cast<std::size_t>(copies), d);
  t.active = b.active;
  for (auto& a : t.active) a *= copies;
  return t;
}

/// At most this many feature values in one tiled batch (T x columns x all three dims): 256 MB.
constexpr int64_t kTiledValues = int64_t{64} << 20;

/// `b` with each modality not in `subset` replaced where `where` [T, B] is true.
Batch withSubset(const Batch& b, unsigned subset, const torch::Tensor& where, const Replacement& r) {
  Batch out = b;
  torch::Tensor* x[3] = {&out.text, &out.audio, &out.visual};
  const auto sel = where.unsqueeze(2);
  for (int m = 0; m < 3; ++m)
    if (!(subset & (1u << m))) *x[m] = torch::where(sel, r[m], *x[m]);
  return out;
}

/// log-softmax of the logits, on the CPU: [T, B, C].
torch::Tensor logProbabilities(Net& net, const Batch& b, const torch::Device& device) {
  return torch::log_softmax(net->forward(b.to(device)).logits.to(torch::kFloat), 2).to(torch::kCPU).contiguous();
}

/// One utterance's running sums over the draws.
struct Accumulator {
  std::array<double, 8> v{}, v2{};
  std::array<double, 3> phi{}, phi2{}, pair{}, pair2{}, share{}, share2{};
  std::vector<double> prob;  ///< [8 x C]: sum over draws of the probabilities of each subset
  int draws = 0;
  void add(const std::array<double, 8>& value) {
    ++draws;
    const std::vector<double> vv(value.begin(), value.end());
    const auto p = analysis::shapleyValues(vv, 3);
    const auto q = analysis::shapleyInteractions(vv, 3);
    const double M = std::fabs(p[0]) + std::fabs(p[1]) + std::fabs(p[2]);
    for (int s = 0; s < 8; ++s) { v[s] += value[s]; v2[s] += value[s] * value[s]; }
    for (int m = 0; m < 3; ++m) {
      phi[m] += p[m]; phi2[m] += p[m] * p[m];
      pair[m] += q[m]; pair2[m] += q[m] * q[m];
      const double sh = M > 0 ? p[m] / M : 0.0;
      share[m] += sh; share2[m] += sh * sh;
    }
  }
  /// The standard error of a mean from a sum and a sum of squares over `draws`.
  double se(double sum, double sum2) const {
    if (draws < 2) return 0;
    const double n = draws, mean = sum / n;
    return std::sqrt(std::max(0.0, (sum2 - n * mean * mean) / (n - 1)) / n);
  }
  void finish(UtteranceReliance& u, int C) const {
    u.draws = draws;
    for (int s = 0; s < 8; ++s) {
      u.value[s] = v[s] / draws;
      u.valueSe[s] = se(v[s], v2[s]);
      if (s < 7) {
        const double* row = prob.data() + static_cast<std::size_t>(s) * C;
        u.predicted[s] = static_cast<int>(std::max_element(row, row + C) - row);
      }
    }
    for (int m = 0; m < 3; ++m) {
      u.shapleySe[m] = se(phi[m], phi2[m]);
      u.interactionSe[m] = se(pair[m], pair2[m]);
      u.shareSe[m] = se(share[m], share2[m]);
    }
  }
};

}  // namespace

std::vector<UtteranceReliance> explainNet(Net& net, const torch::Device& device, const data::Corpus& corpus,
                                           const std::vector<int>& dialogues, const RelianceOptions& options, int batchSize,
                                           Progress* progress, bool* cancelled) {
  options.check();
  if (cancelled) *cancelled = false;
  torch::NoGradGuard noGrad;
  const bool wasTraining = net->is_training();
  net->eval();
  const bool draw = options.absent == "draw";
  const int K = options.passes();
  std::unique_ptr<DrawPool> pool;
  std::array<torch::Tensor, 3> mats;
  Replacement fixed;
  if (draw) {
    pool = std::make_unique<DrawPool>(corpus);
    mats = corpusMatrices(corpus);
  } else {
    fixed = fixedReplacement(corpus, options.absent);
  }
  const int C = net->config.numClasses;
  const auto batches = evaluationBatches(corpus, dialogues, batchSize);
  std::vector<UtteranceReliance> out;
  std::vector<Accumulator> acc;
  auto stop = [&] {
    if (!(progress && progress->cancelled())) return false;
    if (cancelled) *cancelled = true;
    if (wasTraining) net->train();
    return true;
  };
  for (std::size_t bi = 0; bi < batches.size(); ++bi) {
    if (stop()) return {};
    const Batch base = makeBatch(corpus, batches[bi]);
    const int64_t B = static_cast<int64_t>(base.dialogues.size());
    const auto full = logProbabilities(net, base, device);  // all present
    const float* pf = full.data_ptr<float>();
    const std::size_t first = out.size();
    std::unordered_map<int, std::size_t> firstOf;  // dialogue -> its first record
    std::vector<std::size_t> recordOf(static_cast<std::size_t>(base.mask.numel()), SIZE_MAX);  // [cell] -> record
    for (int64_t j = 0; j < B; ++j) {
      const auto& d = corpus.dialogues[base.dialogues[j]];
      firstOf[base.dialogues[j]] = out.size();
      for (std::size_t t = 0; t < d.size(); ++t) {
        const int64_t cell = static_cast<int64_t>(t) * B + j;
        UtteranceReliance u;
        u.dialogue = base.dialogues[j];
        u.index = static_cast<int>(t);
        const float* row = pf + cell * C;
        u.prediction = static_cast<int>(std::max_element(row, row + C) - row);
        u.value[7] = row[u.prediction];
        u.predicted[7] = u.prediction;
        recordOf[cell] = out.size();
        out.push_back(u);
      }
    }
    acc.assign(out.size() - first, Accumulator{});
    for (auto& a : acc) a.prob.assign(static_cast<std::size_t>(8) * C, 0.0);
    // One draw's 7 values of the records [from, to) and the all-present value each already has.
    std::vector<std::array<double, 8>> drawValues(acc.size());
    auto record = [&](unsigned subset, const float* row, std::size_t k) {
      drawValues[k - first][subset] = row[out[k].prediction];
      double* p = acc[k - first].prob.data() + static_cast<std::size_t>(subset) * C;
      for (int c = 0; c < C; ++c) p[c] += std::exp(static_cast<double>(row[c]));
    };
    for (std::size_t k = first; k < out.size(); ++k) drawValues[k - first][7] = out[k].value[7];
    if (options.scope == "dialogue") {
      // The 7 subsets of G draws in one forward pass: column j of the batch becomes 7 G columns,
      // copy g * 7 + subset holding draw g with `subset`'s modalities present.
      const int64_t T = base.mask.size(0);
      const int64_t values = T * B * 7 * (corpus.dimText + corpus.dimAudio + corpus.dimVisual);
      const int G = static_cast<int>(std::clamp<int64_t>(kTiledValues / std::max<int64_t>(1, values), 1, K));
      for (int g0 = 0; g0 < K; g0 += G) {
        if (stop()) return {};
        const int n = std::min(G, K - g0);
        const int64_t copies = 7 * static_cast<int64_t>(n);
        Batch tiled = tile(base, copies);
        std::vector<Replacement> drawn;
        for (int g = 0; g < n; ++g)
          drawn.push_back(draw ? drawnReplacement(corpus, base, base.dialogues, *pool, mats, options.seed, g0 + g) : fixed);
        torch::Tensor* x[3] = {&tiled.text, &tiled.audio, &tiled.visual};
        for (int m = 0; m < 3; ++m) {
          std::vector<torch::Tensor> parts;
          auto column = torch::zeros({copies}, torch::kBool);  // copy c lacks modality m
          auto* lacks = column.data_ptr<bool>();
          for (int g = 0; g < n; ++g)
            for (unsigned subset = 0; subset < 7; ++subset) {
              parts.push_back(drawn[static_cast<std::size_t>(g)][m].expand({T, B, x[m]->size(2)}));
              lacks[g * 7 + subset] = !(subset & (1u << m));
            }
          const auto replacement = torch::stack(parts, 2).reshape({T, B * copies, -1});
          const auto where = (base.mask.unsqueeze(2) & column.view({1, 1, copies})).reshape({T, B * copies}).unsqueeze(2);
          *x[m] = torch::where(where, replacement, *x[m]);
        }
        const auto lp = logProbabilities(net, tiled, device);
        const float* p = lp.data_ptr<float>();
        for (int g = 0; g < n; ++g) {
          for (unsigned subset = 0; subset < 7; ++subset)
            for (std::size_t cell = 0; cell < recordOf.size(); ++cell)
              if (recordOf[cell] != SIZE_MAX) {
                const int64_t t = static_cast<int64_t>(cell) / B, j = static_cast<int64_t>(cell) % B;
                const int64_t col = j * copies + g * 7 + subset;
                record(subset, p + (t * B * copies + col) * C, recordOf[cell]);
              }
          for (std::size_t k = 0; k < acc.size(); ++k) acc[k].add(drawValues[k]);
        }
      }
    } else {
      // One column per (dialogue, position): the dialogue with the modalities removed at that
      // position only. makeBatch orders columns longest first, stably: the same order here.
      std::vector<std::pair<int, int>> copies;
      for (int di : batches[bi])
        for (std::size_t t = 0; t < corpus.dialogues[di].size(); ++t) copies.emplace_back(di, static_cast<int>(t));
      std::stable_sort(copies.begin(), copies.end(), [&corpus](const auto& a, const auto& b) {
        return corpus.dialogues[a.first].size() > corpus.dialogues[b.first].size();
      });
      for (std::size_t from = 0; from < copies.size(); from += static_cast<std::size_t>(std::max(1, batchSize))) {
        const std::size_t to = std::min(copies.size(), from + static_cast<std::size_t>(std::max(1, batchSize)));
        std::vector<int> ids;
        for (std::size_t i = from; i < to; ++i) ids.push_back(copies[i].first);
        const Batch cb = makeBatch(corpus, ids);  // already longest first: the order is kept
        const int64_t CB = static_cast<int64_t>(ids.size());
        auto where = torch::zeros_like(cb.mask);
        auto* pw = where.data_ptr<bool>();
        for (int64_t j = 0; j < CB; ++j) pw[copies[from + j].second * CB + j] = true;
        auto recordAt = [&](unsigned subset, const torch::Tensor& lp) {
          const float* p = lp.data_ptr<float>();
          for (int64_t j = 0; j < CB; ++j) {
            const auto [di, t] = copies[from + j];
            record(subset, p + (t * CB + j) * C, firstOf.at(di) + static_cast<std::size_t>(t));
          }
        };
        // The all-present value on these columns too (a batch of another shape may differ in the
        // last bits, and a modality the model ignores must get exactly 0).
        const auto lpAll = logProbabilities(net, cb, device);
        for (int draw_ = 0; draw_ < K; ++draw_) {
          if (stop()) return {};
          const Replacement r = draw ? drawnReplacement(corpus, cb, ids, *pool, mats, options.seed, draw_) : fixed;
          recordAt(7, lpAll);
          for (unsigned subset = 0; subset < 7; ++subset) recordAt(subset, logProbabilities(net, withSubset(cb, subset, where, r), device));
          for (int64_t j = 0; j < CB; ++j) {
            const auto [di, t] = copies[from + j];
            const std::size_t k = firstOf.at(di) + static_cast<std::size_t>(t) - first;
            acc[k].add(drawValues[k]);
          }
        }
      }
    }
    for (std::size_t k = 0; k < acc.size(); ++k) {
      const double all = drawValues[k][7];
      acc[k].finish(out[first + k], C);
      out[first + k].value[7] = all;  // exact: the same in every draw
      out[first + k].valueSe[7] = 0;
    }
    if (progress) progress->batch(0, static_cast<int>(bi + 1), static_cast<int>(batches.size()), 0);
  }
  if (wasTraining) net->train();
  // In corpus order, as predictions.csv.
  std::stable_sort(out.begin(), out.end(), [&corpus](const UtteranceReliance& a, const UtteranceReliance& b) {
    return corpus.dialogues[a.dialogue].firstRow + a.index < corpus.dialogues[b.dialogue].firstRow + b.index;
  });
  return out;
}

std::vector<UtteranceReliance> Model::explain(const data::Corpus& corpus, const std::vector<int>& dialogues,
                                              const RelianceOptions& options, int batchSize, Progress* progress, bool* cancelled) {
  checkCorpus(corpus);
  return explainNet(impl_->net, impl_->device, corpus, dialogues, options, batchSize, progress, cancelled);
}

RunConfig explainableRun(const std::string& runDir, const data::Corpus& corpus) {
  if (!isRunFolder(runDir)) throw std::runtime_error(runDir + ": not a run folder (no config.json)");
  if (!fs::exists(RunPaths(runDir).metrics()))
    throw std::runtime_error(runDir + ": the run has not finished training (no metrics.json): it is still training, or it "
                             "was stopped; explain it once it has finished (mlsan train --resume completes it)");
  RunConfig rc = readRunConfig(runDir);
  if (rc.corpusSignature != corpus.signature())
    throw std::runtime_error(runDir + ": trained on corpus '" + rc.corpusName + "' (signature " + rc.corpusSignature +
                             "), but the corpus given is '" + corpus.name + "' (signature " + corpus.signature() +
                             "): its data changed since, or it is another corpus");
  return rc;
}

RunExplanation explainRun(const std::string& runDir, const data::Corpus& corpus, data::Split split, const RelianceOptions& options,
                          Progress* progress, bool store) {
  options.check();
  const auto started = std::chrono::steady_clock::now();
  const RunPaths paths(runDir);
  const RunConfig rc = explainableRun(runDir, corpus);
  RelianceStamp stamp;
  stamp.checkpoint = checkpointStamp(runDir);
  stamp.corpusSignature = rc.corpusSignature;
  RunExplanation r;
  r.file = relianceCsvPath(runDir, split, options);
  if (readReliance(runDir, split, options, stamp, corpus, r.utterances)) {
    r.reused = true;
  } else {
    Model model = Model::load(paths.bestCheckpoint());
    r.utterances = model.explain(corpus, dialoguesOf(corpus, split), options, rc.train.batchSize, progress, &r.cancelled);
    if (!r.cancelled && store) writeReliance(runDir, split, options, stamp, corpus, r.utterances);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return r;
}

}  // namespace mlsan::model
