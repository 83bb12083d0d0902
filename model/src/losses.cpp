// SPDX-License-Identifier: GPL-3.0-or-later
#include "losses.h"

#include "internal.h"

#include <cmath>

namespace mlsan::model {

torch::Tensor swfcClassWeights(const std::vector<double>& counts, double alpha) {
  double total = 0;
  for (double c : counts) total += c;
  std::vector<float> w(counts.size(), 0.0f);
  double sum = 0;
  for (std::size_t i = 0; i < counts.size(); ++i)
    if (counts[i] > 0) { w[i] = static_cast<float>(std::pow(total / counts[i], alpha)); sum += w[i]; }
  for (auto& v : w) v = sum > 0 ? static_cast<float>(v / sum) : 0.0f;
  return torch::tensor(w);
}

torch::Tensor swfcLoss(const torch::Tensor& zRaw, const torch::Tensor& y, const torch::Tensor& classWeights,
                       double tau, double gamma) {
  const int64_t n = zRaw.size(0);
  if (n < 2) return zRaw.sum() * 0;
  const auto z = torch::nn::functional::normalize(zRaw, torch::nn::functional::NormalizeFuncOptions().dim(1));
  const auto eye = torch::eye(n, torch::TensorOptions().dtype(torch::kBool).device(z.device()));
  // Exclude j == i from the softmax with a large finite negative (no -inf * 0 = NaN).
  auto sim = (z.matmul(z.t()) / tau).masked_fill(eye, -1e4);
  const auto logp = torch::log_softmax(sim, 1);
  const auto p = logp.exp();
  const auto positive = y.unsqueeze(0).eq(y.unsqueeze(1)).logical_and(eye.logical_not());
  const auto posF = positive.to(z.scalar_type());
  const auto npos = posF.sum(1);
  const auto focal = (1 - p).pow(gamma) * logp;
  const auto li = (focal * posF).sum(1) / npos.clamp_min(1);  // 0 where no positive
  const auto w = classWeights.to(z.device()).index_select(0, y);
  return -(w * li).sum() / static_cast<double>(n);
}

torch::Tensor softHgrScore(const torch::Tensor& f, const torch::Tensor& g) {
  // MultiEMO's Soft-HGR, scalings included: the mean inner product of the raw features, minus
  // trace(cov(F) cov(G)) / (2N) where cov is torch.cov of the [N, d] matrix (rows are the
  // variables: an N x N covariance over the d feature columns). With row-centred F~ and G~,
  // trace(F~F~^T G~G~^T) = ||F~^T G~||_F^2, so the N x N matrices are never formed.
  const int64_t n = f.size(0), d = f.size(1);
  const auto inner = (f * g).sum(1).mean();
  const auto fc = f - f.mean(1, true);
  const auto gc = g - g.mean(1, true);
  const double corr = static_cast<double>(std::max<int64_t>(d - 1, 1));
  const auto trace = fc.t().matmul(gc).pow(2).sum() / (corr * corr);
  return inner - trace / (2.0 * static_cast<double>(n));
}

torch::Tensor softHgrLoss(const torch::Tensor& ft, const torch::Tensor& fa, const torch::Tensor& fv) {
  const double n = static_cast<double>(std::max<int64_t>(ft.size(0), 1));
  return -(softHgrScore(ft, fa) + softHgrScore(ft, fv) + softHgrScore(fa, fv)) / n;
}

std::vector<torch::Tensor> LossRows::outputs() const {
  std::vector<torch::Tensor> v{logits, fc, fusedText, fusedAudio, fusedVisual};
  if (speakerLogits.defined()) v.push_back(speakerLogits);
  return v;
}

LossRows lossRows(const NetOutput& out, const Batch& batch) {
  const auto idx = batch.mask.logical_and(batch.label.ge(0)).flatten().nonzero().squeeze(1);
  auto rows = [&idx](const torch::Tensor& t) { return t.flatten(0, 1).index_select(0, idx); };
  LossRows r;
  r.logits = rows(out.logits);
  r.fc = rows(out.fc);
  r.fusedText = rows(out.fusedText);
  r.fusedAudio = rows(out.fusedAudio);
  r.fusedVisual = rows(out.fusedVisual);
  r.label = rows(batch.label);
  if (out.speakerLogits.defined()) {
    const auto sidx = batch.mask.flatten().nonzero().squeeze(1);
    r.speakerLogits = out.speakerLogits.flatten(0, 1).index_select(0, sidx);
    r.speaker = batch.speaker.flatten().index_select(0, sidx);
  }
  return r;
}

LossRows concatRows(const std::vector<LossRows>& parts) {
  auto cat = [&parts](torch::Tensor LossRows::*field) {
    std::vector<torch::Tensor> v;
    for (const auto& p : parts) v.push_back(p.*field);
    return torch::cat(v, 0);
  };
  LossRows r;
  r.logits = cat(&LossRows::logits);
  r.fc = cat(&LossRows::fc);
  r.fusedText = cat(&LossRows::fusedText);
  r.fusedAudio = cat(&LossRows::fusedAudio);
  r.fusedVisual = cat(&LossRows::fusedVisual);
  r.label = cat(&LossRows::label);
  if (!parts.empty() && parts.front().speakerLogits.defined()) {
    r.speakerLogits = cat(&LossRows::speakerLogits);
    r.speaker = cat(&LossRows::speaker);
  }
  return r;
}

LossParts computeLoss(const LossRows& r, const ModelConfig& c, const torch::Tensor& classWeights) {
  LossParts parts;
  const auto ce = torch::cross_entropy_loss(r.logits, r.label);
  const auto swfc = swfcLoss(r.fc, r.label, classWeights, c.tau, c.gamma);
  const auto hgr = softHgrLoss(r.fusedText, r.fusedAudio, r.fusedVisual);
  parts.terms = {c.weightCE * ce, c.weightSWFC * swfc, c.weightHGR * hgr};
  parts.emotion = parts.terms[0] + parts.terms[1] + parts.terms[2];
  parts.total = parts.emotion;
  parts.ce = ce.item<double>();
  parts.swfc = swfc.item<double>();
  parts.hgr = hgr.item<double>();
  if (c.aux && r.speakerLogits.defined()) {
    const auto aux = torch::cross_entropy_loss(r.speakerLogits, r.speaker);
    parts.aux = aux.item<double>();
    parts.auxTerm = c.lambda * aux;
    parts.terms.push_back(parts.auxTerm);
    parts.total = parts.emotion + parts.auxTerm;
  }
  return parts;
}

LossParts computeLoss(const NetOutput& out, const Batch& batch, const ModelConfig& c, const torch::Tensor& classWeights) {
  return computeLoss(lossRows(out, batch), c, classWeights);
}

double auxBalanceScale(const LossRows& r, const ModelConfig& c, const torch::Tensor& classWeights, Net& net) {
  if (!c.aux || !r.speakerLogits.defined() || !net->speakerHead || r.label.size(0) == 0) return 1.0;
  torch::AutoGradMode enable(true);
  // The emotion objective at fc: SWFC directly, CE through the classifier evaluated on the rows.
  const auto fc = r.fc.detach().requires_grad_(true);
  const auto logits = r.logits.detach().requires_grad_(true);
  const auto swfc = c.weightSWFC * swfcLoss(fc, r.label, classWeights, c.tau, c.gamma);
  const auto ce = c.weightCE * torch::cross_entropy_loss(logits, r.label);
  const auto gSwfc = torch::autograd::grad({swfc}, {fc})[0];
  const auto gLogits = torch::autograd::grad({ce}, {logits})[0];
  const auto fc2 = r.fc.detach().requires_grad_(true);
  const auto head = net->mlp2(torch::relu(net->mlp1(fc2)));
  const auto gCe = torch::autograd::grad({head}, {fc2}, {gLogits})[0];
  const double emotion = (gSwfc + gCe).norm().item<double>();
  // The speaker loss at fc: its gradient at the speaker logits through the linear head.
  const auto sl = r.speakerLogits.detach().requires_grad_(true);
  const auto aux = c.lambda * torch::cross_entropy_loss(sl, r.speaker);
  const auto gSpeaker = torch::autograd::grad({aux}, {sl})[0];
  const double speaker = gSpeaker.matmul(net->speakerHead->weight.detach()).norm().item<double>();
  if (!std::isfinite(emotion) || !std::isfinite(speaker) || speaker <= emotion) return 1.0;
  return emotion / speaker;
}

void backwardObjective(Net& net, const torch::Tensor& emotion, const torch::Tensor& aux, const ModelConfig& c) {
  if (!aux.defined()) {
    emotion.backward();
    return;
  }
  if (c.auxGradient != "speaker") {
    (emotion + aux).backward();
    return;
  }
  std::vector<torch::Tensor> speakerLevel;
  for (const auto& p : net->named_parameters())
    if (p.value().requires_grad() && isSpeakerLevelParameter(p.key())) speakerLevel.push_back(p.value());
  std::vector<torch::Tensor> g;
  if (!speakerLevel.empty())
    g = torch::autograd::grad({aux}, speakerLevel, {}, /*retain_graph=*/true, /*create_graph=*/false, /*allow_unused=*/true);
  emotion.backward();
  for (std::size_t i = 0; i < g.size(); ++i) {
    if (!g[i].defined()) continue;
    auto& held = speakerLevel[i].mutable_grad();
    if (held.defined()) held.add_(g[i]);
    else held = g[i].detach().clone();
  }
}

double prepareAuxGradient(Net& net, const LossRows& rows, const ModelConfig& c, const torch::Tensor& classWeights) {
  const double s = c.aux && c.auxGradient == "balanced" ? auxBalanceScale(rows, c, classWeights, net) : 1.0;
  net->auxGradScale.fill_(s);
  return s;
}

}  // namespace mlsan::model

namespace mlsan::model {
torch::Tensor swfcClassWeightsFor(const ModelConfig& c) {
  std::vector<double> counts = c.classCounts;
  if (counts.size() != static_cast<std::size_t>(c.numClasses)) counts.assign(c.numClasses, 1.0);
  return swfcClassWeights(counts, c.alpha);
}
}  // namespace mlsan::model
