// SPDX-License-Identifier: GPL-3.0-or-later
#include <cmath>
#include <cstring>
#include <limits>

#include "internal.h"
#include "losses.h"

namespace mlsan::model {

torch::Device parseDevice(const std::string& device) {
  if (device == "cpu") return torch::kCPU;
  if (device == "cuda" || device.rfind("cuda:", 0) == 0) {
    if (!torch::cuda::is_available())
      throw std::runtime_error("device '" + device + "' requested, but this LibTorch build has no CUDA or no GPU is visible");
    return torch::Device(device);
  }
  throw std::runtime_error("unknown device '" + device + "' (expected cpu or cuda)");
}

std::vector<int> dialoguesOf(const data::Corpus& corpus, data::Split split) {
  std::vector<int> out;
  for (std::size_t i = 0; i < corpus.dialogues.size(); ++i)
    if (corpus.dialogues[i].split == split) out.push_back(static_cast<int>(i));
  return out;
}

bool cudaAvailable() {
  try {
    return torch::cuda::is_available();
  } catch (...) {
    return false;
  }
}

void setThreads(int threads) {
  static bool interopSet = false;
  if (!interopSet) {
    try { at::set_num_interop_threads(1); } catch (...) {}
    interopSet = true;
  }
  torch::set_num_threads(std::max(1, threads));
}

std::vector<std::vector<int>> chunk(const std::vector<int>& items, int size) {
  std::vector<std::vector<int>> out;
  for (std::size_t i = 0; i < items.size(); i += size)
    out.emplace_back(items.begin() + i, items.begin() + std::min(items.size(), i + size));
  return out;
}

Batch makeBatch(const data::Corpus& c, const std::vector<int>& requested) {
  // Columns longest first, so the dialogues still running at any step are a prefix.
  std::vector<int> dialogues = requested;
  std::stable_sort(dialogues.begin(), dialogues.end(),
                   [&c](int a, int b) { return c.dialogues[a].size() > c.dialogues[b].size(); });
  const int64_t B = static_cast<int64_t>(dialogues.size());
  const int64_t T = B ? static_cast<int64_t>(c.dialogues[dialogues.front()].size()) : 0;
  Batch b;
  b.dialogues = dialogues;
  b.active.assign(T, 0);
  for (int di : dialogues)
    for (std::size_t t = 0; t < c.dialogues[di].size(); ++t) ++b.active[t];
  b.text = torch::zeros({T, B, c.dimText});
  b.audio = torch::zeros({T, B, c.dimAudio});
  b.visual = torch::zeros({T, B, c.dimVisual});
  b.speaker = torch::zeros({T, B}, torch::kLong);
  b.party = torch::zeros({T, B}, torch::kLong);
  b.label = torch::full({T, B}, -1, torch::kLong);
  b.mask = torch::zeros({T, B}, torch::kBool);
  b.lengths = torch::zeros({B}, torch::kLong);
  float* pt = b.text.data_ptr<float>();
  float* pa = b.audio.data_ptr<float>();
  float* pv = b.visual.data_ptr<float>();
  auto* ps = b.speaker.data_ptr<int64_t>();
  auto* pp = b.party.data_ptr<int64_t>();
  auto* pl = b.label.data_ptr<int64_t>();
  auto* pm = b.mask.data_ptr<bool>();
  auto* plen = b.lengths.data_ptr<int64_t>();
  for (int64_t j = 0; j < B; ++j) {
    const auto& d = c.dialogues[dialogues[j]];
    plen[j] = static_cast<int64_t>(d.size());
    for (std::size_t t = 0; t < d.size(); ++t) {
      const std::size_t row = d.firstRow + t;
      const int64_t cell = static_cast<int64_t>(t) * B + j;
      std::memcpy(pt + cell * c.dimText, c.textRow(row), sizeof(float) * c.dimText);
      std::memcpy(pa + cell * c.dimAudio, c.audioRow(row), sizeof(float) * c.dimAudio);
      std::memcpy(pv + cell * c.dimVisual, c.visualRow(row), sizeof(float) * c.dimVisual);
      ps[cell] = d.utterances[t].speaker;
      pp[cell] = d.utterances[t].party;
      pl[cell] = d.utterances[t].label;
      pm[cell] = true;
    }
  }
  return b;
}

std::vector<std::vector<int>> evaluationBatches(const data::Corpus& corpus, const std::vector<int>& dialogues, int batchSize) {
  std::vector<std::vector<int>> batches;
  for (std::size_t i = 0; i < dialogues.size();) {
    std::size_t j = i + 1;
    while (j < dialogues.size() && j - i < static_cast<std::size_t>(batchSize) &&
           corpus.dialogues[dialogues[j]].split == corpus.dialogues[dialogues[i]].split)
      ++j;
    batches.emplace_back(dialogues.begin() + static_cast<std::ptrdiff_t>(i), dialogues.begin() + static_cast<std::ptrdiff_t>(j));
    i = j;
  }
  return batches;
}

std::pair<torch::Tensor, torch::Tensor> gateChannelUse(Net& net) {
  torch::NoGradGuard ng;
  auto columns = [](const torch::nn::Linear& l) { return l->weight.pow(2).sum(0); };  // [d]: squared column norms
  const auto t0 = net->fuseText[0]->as<FusionLayer>();
  const auto a0 = net->fuseAudio[0]->as<FusionLayer>();
  const auto v0 = net->fuseVisual[0]->as<FusionLayer>();
  // Gated audio: the query of the audio stack; keys and values of text-over-audio and visual-over-audio.
  const auto wa = columns(a0->attnA->q) + columns(t0->attnA->k) + columns(t0->attnA->v) + columns(v0->attnB->k) + columns(v0->attnB->v);
  const auto wv = columns(v0->attnA->q) + columns(t0->attnB->k) + columns(t0->attnB->v) + columns(a0->attnB->k) + columns(a0->attnB->v);
  return {wa, wv};
}

torch::Tensor gateGain(const torch::Tensor& g, const torch::Tensor& h) {
  const int64_t last = g.dim() - 1;
  return (g * h).norm(2, last) / h.norm(2, last).clamp_min(1e-12);
}

torch::Tensor gateUsed(const torch::Tensor& g, const torch::Tensor& w) { return (g * w).sum(g.dim() - 1) / w.sum(); }

EvalResult evaluate(Net& net, const data::Corpus& corpus, const std::vector<int>& dialogues, int batchSize,
                    const torch::Device& device, const torch::Tensor& classWeights, bool details, Progress* progress) {
  torch::NoGradGuard noGrad;
  const bool wasTraining = net->is_training();
  net->eval();
  EvalResult r;
  double lossSum = 0;
  long lossCount = 0;
  const auto& cfg = net->config;
  if (details) {
    r.details.dimAudio = corpus.dimAudio;
    r.details.dimVisual = corpus.dimVisual;
    r.details.dimFused = cfg.d;
    r.details.dimHidden = cfg.d;
    r.details.gate = cfg.gate;
  }
  const auto batches = evaluationBatches(corpus, dialogues, batchSize);
  for (std::size_t bi = 0; bi < batches.size(); ++bi) {
    if (progress && progress->cancelled()) {
      r.details.cancelled = true;
      break;
    }
    const Batch batch = makeBatch(corpus, batches[bi]).to(device);
    const auto& ids = batch.dialogues;
    const NetOutput out = net->forward(batch);
    const long labelled = batch.mask.logical_and(batch.label.ge(0)).sum().item<long>();
    if (labelled > 0) {
      lossSum += computeLoss(out, batch, cfg, classWeights).total.item<double>();
      ++lossCount;
    }
    const auto probs = torch::softmax(out.logits, 2).to(torch::kCPU).contiguous();  // [T, B, C]
    const auto pred = probs.argmax(2);
    const int64_t B = static_cast<int64_t>(ids.size());
    const int C = cfg.numClasses;
    torch::Tensor ga, gv, fa, fv, fc, gainA, gainV, usedA, usedV, pa, pv, za, zv;
    if (details) {
      if (out.gateAudio.defined()) {
        ga = out.gateAudio.mean(2).to(torch::kCPU).contiguous();
        gv = out.gateVisual.mean(2).to(torch::kCPU).contiguous();
        auto cpu = [](const torch::Tensor& t) { return t.to(torch::kCPU).contiguous(); };
        gainA = cpu(gateGain(out.gateAudio, out.preGateAudio));
        gainV = cpu(gateGain(out.gateVisual, out.preGateVisual));
        const auto [wa, wv] = gateChannelUse(net);
        usedA = cpu(gateUsed(out.gateAudio, wa));
        usedV = cpu(gateUsed(out.gateVisual, wv));
      }
      fa = out.filmAudio.to(torch::kCPU).contiguous();
      fv = out.filmVisual.to(torch::kCPU).contiguous();
      fc = out.fc.to(torch::kCPU).contiguous();
      pa = out.projAudio.to(torch::kCPU).contiguous();
      pv = out.projVisual.to(torch::kCPU).contiguous();
      za = out.gatedAudio.to(torch::kCPU).contiguous();
      zv = out.gatedVisual.to(torch::kCPU).contiguous();
    }
    const float* pp = probs.data_ptr<float>();
    const int64_t* pr = pred.data_ptr<int64_t>();
    for (int64_t j = 0; j < B; ++j) {
      const auto& d = corpus.dialogues[ids[j]];
      for (std::size_t t = 0; t < d.size(); ++t) {
        const int64_t cell = static_cast<int64_t>(t) * B + j;
        const int label = d.utterances[t].label;
        const int prediction = static_cast<int>(pr[cell]);
        if (label >= 0) { r.gold.push_back(label); r.pred.push_back(prediction); }
        if (!details) continue;
        UtteranceOutput u;
        u.row = d.firstRow + t;
        u.dialogue = ids[j];
        u.index = static_cast<int>(t);
        u.label = label;
        u.prediction = prediction;
        u.probabilities.assign(pp + cell * C, pp + (cell + 1) * C);
        if (ga.defined()) {
          u.gateAudio = ga.data_ptr<float>()[cell];
          u.gateVisual = gv.data_ptr<float>()[cell];
          const float s = u.gateAudio + u.gateVisual;
          u.weightAudio = s > 0 ? u.gateAudio / s : 0.5f;
          u.weightVisual = 1.0f - u.weightAudio;
          u.gainAudio = gainA.data_ptr<float>()[cell];
          u.gainVisual = gainV.data_ptr<float>()[cell];
          u.usedAudio = usedA.data_ptr<float>()[cell];
          u.usedVisual = usedV.data_ptr<float>()[cell];
        } else {
          u.gateAudio = u.gateVisual = u.weightAudio = u.weightVisual = std::numeric_limits<float>::quiet_NaN();
          u.gainAudio = u.gainVisual = u.usedAudio = u.usedVisual = std::numeric_limits<float>::quiet_NaN();
        }
        r.details.utterances.push_back(std::move(u));
        auto append = [cell](std::vector<float>& dst, const torch::Tensor& src) {
          const int64_t dim = src.size(2);
          const float* p = src.data_ptr<float>() + cell * dim;
          dst.insert(dst.end(), p, p + dim);
        };
        append(r.details.filmAudio, fa);
        append(r.details.filmVisual, fv);
        append(r.details.fused, fc);
        append(r.details.projAudio, pa);
        append(r.details.projVisual, pv);
        append(r.details.gatedAudio, za);
        append(r.details.gatedVisual, zv);
      }
    }
    if (progress) progress->batch(0, static_cast<int>(bi + 1), static_cast<int>(batches.size()), 0);
  }
  r.loss = lossCount ? lossSum / lossCount : 0;
  if (wasTraining) net->train();
  return r;
}

}  // namespace mlsan::model
