// SPDX-License-Identifier: GPL-3.0-or-later
// Modality reliance by intervention: 8 forward passes per batch, one per subset of modalities.
#include "mlsan/model/explain.h"

#include <chrono>
#include <filesystem>
#include <unordered_map>

#include "internal.h"
#include "mlsan/model/run.h"

namespace mlsan::model {
namespace fs = std::filesystem;

namespace {

/// What replaces a removed modality: its mean over the training split, or zeros. [D] each.
std::array<torch::Tensor, 3> absentVectors(const data::Corpus& c, const std::string& absent) {
  const int dims[3] = {c.dimText, c.dimAudio, c.dimVisual};
  const std::vector<float>* mats[3] = {&c.text, &c.audio, &c.visual};
  std::array<torch::Tensor, 3> out;
  for (int m = 0; m < 3; ++m) {
    out[m] = torch::zeros({dims[m]}, torch::kDouble);
    if (absent != "mean") { out[m] = out[m].to(torch::kFloat); continue; }
    auto* acc = out[m].data_ptr<double>();
    long rows = 0;
    for (const auto& d : c.dialogues) {
      if (d.split != data::Split::Train) continue;
      for (std::size_t t = 0; t < d.size(); ++t, ++rows) {
        const float* p = mats[m]->data() + (d.firstRow + t) * dims[m];
        for (int k = 0; k < dims[m]; ++k) acc[k] += p[k];
      }
    }
    if (rows > 0) out[m] /= static_cast<double>(rows);
    out[m] = out[m].to(torch::kFloat);
  }
  return out;
}

/// `b` with each modality not in `subset` replaced by its absent vector where `where` [T, B] is true.
Batch withSubset(const Batch& b, unsigned subset, const torch::Tensor& where, const std::array<torch::Tensor, 3>& absent) {
  Batch out = b;
  torch::Tensor* x[3] = {&out.text, &out.audio, &out.visual};
  const auto sel = where.unsqueeze(2);
  for (int m = 0; m < 3; ++m)
    if (!(subset & (1u << m))) *x[m] = torch::where(sel, absent[m].view({1, 1, -1}), *x[m]);
  return out;
}

/// log-softmax of the logits, on the CPU: [T, B, C].
torch::Tensor logProbabilities(Net& net, const Batch& b, const torch::Device& device) {
  return torch::log_softmax(net->forward(b.to(device)).logits.to(torch::kFloat), 2).to(torch::kCPU).contiguous();
}

}  // namespace

std::vector<UtteranceReliance> explainNet(Net& net, const torch::Device& device, const data::Corpus& corpus,
                                           const std::vector<int>& dialogues, const RelianceOptions& options, int batchSize,
                                           Progress* progress, bool* cancelled) {
  options.check();
  if (cancelled) *cancelled = false;
  torch::NoGradGuard noGrad;
  const bool wasTraining = net->is_training();
  net->eval();
  const auto absent = absentVectors(corpus, options.absent);
  const int C = net->config.numClasses;
  const auto batches = evaluationBatches(corpus, dialogues, batchSize);
  std::vector<UtteranceReliance> out;
  for (std::size_t bi = 0; bi < batches.size(); ++bi) {
    if (progress && progress->cancelled()) {
      if (cancelled) *cancelled = true;
      if (wasTraining) net->train();
      return {};
    }
    const Batch base = makeBatch(corpus, batches[bi]);
    const int64_t B = static_cast<int64_t>(base.dialogues.size());
    const auto full = logProbabilities(net, base, device);  // all present
    const float* pf = full.data_ptr<float>();
    // One record per utterance of the batch, [cell] -> index in `out`.
    std::vector<std::size_t> recordOf(static_cast<std::size_t>(base.mask.numel()), SIZE_MAX);
    std::unordered_map<int, std::size_t> firstOf;  // dialogue -> its first record
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
    auto record = [&](unsigned subset, const float* row, std::size_t k) {
      UtteranceReliance& u = out[k];
      u.value[subset] = row[u.prediction];
      u.predicted[subset] = static_cast<int>(std::max_element(row, row + C) - row);
    };
    if (options.scope == "dialogue") {
      for (unsigned subset = 0; subset < 7; ++subset) {
        const auto lp = logProbabilities(net, withSubset(base, subset, base.mask, absent), device);
        const float* p = lp.data_ptr<float>();
        for (std::size_t cell = 0; cell < recordOf.size(); ++cell)
          if (recordOf[cell] != SIZE_MAX) record(subset, p + cell * C, recordOf[cell]);
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
        // All 8 subsets on these columns (the all-present value too: a batch of another shape may
        // differ in the last bits, and a modality the model ignores must get exactly 0).
        for (unsigned subset = 0; subset < 8; ++subset) {
          const auto lp = logProbabilities(net, subset == 7 ? cb : withSubset(cb, subset, where, absent), device);
          const float* p = lp.data_ptr<float>();
          for (int64_t j = 0; j < CB; ++j) {
            const auto [di, t] = copies[from + j];
            record(subset, p + (t * CB + j) * C, firstOf.at(di) + static_cast<std::size_t>(t));
          }
        }
      }
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
