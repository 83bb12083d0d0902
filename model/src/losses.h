// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Internal (torch) - MultiEMO's losses and ML-SAN's auxiliary loss, on the real
// (unpadded) utterances of a batch. Vectorised: no Python-style loops over samples.
#include <torch/torch.h>

#include "mlsan/model/config.h"
#include "net.h"

namespace mlsan::model {

/// Sample-weighted focal contrastive loss on fc outputs z [N, d] with labels y [N].
/// classWeights [C] sum to 1 (see swfcClassWeights).
torch::Tensor swfcLoss(const torch::Tensor& z, const torch::Tensor& y, const torch::Tensor& classWeights,
                       double tau, double gamma);
/// w_c = (N / N_c)^alpha normalised to sum 1 (classes with no count get weight 0).
torch::Tensor swfcClassWeights(const std::vector<double>& classCounts, double alpha);
/// Soft-HGR score between two views [N, d] as MultiEMO computes it: mean inner product minus
/// trace(cov(F) cov(G)) / (2N), cov being torch.cov of the [N, d] matrix (N x N, rows as variables).
torch::Tensor softHgrScore(const torch::Tensor& f, const torch::Tensor& g);
/// The loss: minus the sum of the scores of the three pairs, divided by N (MultiEMO's scaling).
torch::Tensor softHgrLoss(const torch::Tensor& ft, const torch::Tensor& fa, const torch::Tensor& fv);

struct LossParts {
  torch::Tensor total;   ///< what is minimised: emotion + auxTerm
  torch::Tensor emotion; ///< wCE*CE + wSWFC*SWFC + wHGR*HGR
  torch::Tensor auxTerm; ///< lambda * speaker CE; undefined without the auxiliary loss
  /// The weighted terms, in the order CE, SWFC, Soft-HGR, then the auxiliary term when there is one.
  std::vector<torch::Tensor> terms;
  double ce = 0, swfc = 0, hgr = 0, aux = 0;
};

/// The rows of a forward pass that the objective reads: the labelled real utterances for CE,
/// SWFC and Soft-HGR, every real utterance for the auxiliary speaker loss. Rows of several
/// micro-batches can be concatenated (the objective does not depend on the order of rows).
struct LossRows {
  torch::Tensor logits, fc, fusedText, fusedAudio, fusedVisual, label;  ///< labelled rows
  torch::Tensor speakerLogits, speaker;                                 ///< real rows (aux only)
  /// The tensors that carry gradient, in a fixed order (undefined ones skipped): logits, fc,
  /// the three fused views, then the speaker logits (index kSpeakerLogits) with aux.
  std::vector<torch::Tensor> outputs() const;
  static constexpr std::size_t kSpeakerLogits = 5;
};
LossRows lossRows(const NetOutput& out, const Batch& batch);
/// Concatenates the rows of several forward passes.
LossRows concatRows(const std::vector<LossRows>& parts);

/// The whole objective: wCE*CE + wSWFC*SWFC + wHGR*HGR (+ lambda * speaker CE).
LossParts computeLoss(const LossRows& rows, const ModelConfig& config, const torch::Tensor& classWeights);
LossParts computeLoss(const NetOutput& out, const Batch& batch, const ModelConfig& config,
                      const torch::Tensor& classWeights);

/// ModelConfig::auxGradient "balanced": the factor on the auxiliary loss's gradient into fc,
/// min(1, ||d(emotion objective)/d fc|| / ||d(lambda CE(speaker))/d fc||) over the batch's rows.
/// Both gradients are taken at the fc rows from the rows' values alone, so the whole batch and
/// its micro-batches give the same factor: the emotion side is SWFC's gradient on fc plus CE's
/// through the classifier (Linear, ReLU, Linear, without dropout), the speaker side is the
/// speaker head's (a Linear). Soft-HGR acts below fc and does not count. 1 without aux.
double auxBalanceScale(const LossRows& rows, const ModelConfig& config, const torch::Tensor& classWeights, Net& net);
/// Back-propagates one step's objective as ModelConfig::auxGradient says. `emotion` (CE, SWFC,
/// Soft-HGR) reaches every parameter. `aux` (the weighted speaker loss; may be undefined) reaches
/// every parameter too under "full" and "balanced" (the balancing factor is in the graph), and
/// under "speaker" only the speaker head and ML-SAN's speaker modules (isSpeakerLevelParameter:
/// embedding, FiLM, gate): MultiEMO's modules then learn from the emotion objective alone.
/// Gradients are added to what the parameters already hold.
void backwardObjective(Net& net, const torch::Tensor& emotion, const torch::Tensor& aux, const ModelConfig& config);
/// Sets net->auxGradScale for the next backward pass: auxBalanceScale when the configuration
/// balances the auxiliary gradient, else 1. Returns the factor.
double prepareAuxGradient(Net& net, const LossRows& rows, const ModelConfig& config, const torch::Tensor& classWeights);

}  // namespace mlsan::model

namespace mlsan::model {
/// SWFC class weights from a config's training class counts (uniform when none are stored).
torch::Tensor swfcClassWeightsFor(const ModelConfig& config);
}  // namespace mlsan::model
