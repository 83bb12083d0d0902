#include "losses.h"

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

LossParts computeLoss(const NetOutput& out, const Batch& batch, const ModelConfig& c, const torch::Tensor& classWeights) {
  const auto valid = batch.mask.logical_and(batch.label.ge(0));  // [T, B]
  const auto idx = valid.flatten().nonzero().squeeze(1);
  auto rows = [&idx](const torch::Tensor& t) { return t.flatten(0, 1).index_select(0, idx); };
  const auto y = rows(batch.label);
  LossParts parts;
  const auto ce = torch::cross_entropy_loss(rows(out.logits), y);
  const auto swfc = swfcLoss(rows(out.fc), y, classWeights, c.tau, c.gamma);
  const auto hgr = softHgrLoss(rows(out.fusedText), rows(out.fusedAudio), rows(out.fusedVisual));
  auto total = c.weightCE * ce + c.weightSWFC * swfc + c.weightHGR * hgr;
  parts.ce = ce.item<double>();
  parts.swfc = swfc.item<double>();
  parts.hgr = hgr.item<double>();
  if (c.aux && out.speakerLogits.defined()) {
    const auto sidx = batch.mask.flatten().nonzero().squeeze(1);
    const auto aux = torch::cross_entropy_loss(out.speakerLogits.flatten(0, 1).index_select(0, sidx),
                                               batch.speaker.flatten().index_select(0, sidx));
    parts.aux = aux.item<double>();
    total = total + c.lambda * aux;
  }
  parts.total = total;
  return parts;
}

}  // namespace mlsan::model

namespace mlsan::model {
torch::Tensor swfcClassWeightsFor(const ModelConfig& c) {
  std::vector<double> counts = c.classCounts;
  if (counts.size() != static_cast<std::size_t>(c.numClasses)) counts.assign(c.numClasses, 1.0);
  return swfcClassWeights(counts, c.alpha);
}
}  // namespace mlsan::model
