// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The gradient diagnosis (`mlsan gradients`): trains as train() does (same initialisation,
// validation draw, batch order and optimizer; the whole batch in one pass) and measures, at
// every step and for every module of the network, what each term of the objective asks of it:
// the norm of each weighted term's gradient, the cosine between the auxiliary speaker loss's
// gradient and the emotion objective's, the weight decay's pull, and the step Adam then took.
// Torch-free header; the work is in src/gradients.cpp.
#include <string>
#include <vector>

#include "mlsan/data/corpus.h"
#include "mlsan/model/config.h"
#include "mlsan/model/progress.h"

namespace mlsan::model {

/// One module group at one optimisation step. Norms are of the gradient of the weighted term
/// (weightCE * CE, ..., lambda * aux): what the optimizer adds up.
struct GradientRow {
  int epoch = 0, step = 0;   ///< 1-based; step counts within the epoch
  std::string module;        ///< "proj_audio", "ctx_text", "fuse_visual", "fc", "mlp", "film", "gate", ...; "trunk" = all of MultiEMO's parameters
  double ce = 0, swfc = 0, hgr = 0, aux = 0;
  double erc = 0;            ///< the emotion objective's gradient (CE + SWFC + Soft-HGR, weighted)
  double cosAuxErc = 0;      ///< cosine between the aux gradient and the emotion gradient (0 without aux)
  double decay = 0;          ///< weightDecay * ||w||: the L2 term Adam adds to the gradient
  double update = 0;         ///< ||w after the step - w before||
  double weight = 0;         ///< ||w|| before the step
};

/// Per step, besides the rows: the objective's parts as the trainer reports them.
struct GradientStep {
  int epoch = 0, step = 0;
  double loss = 0, ce = 0, swfc = 0, hgr = 0, aux = 0;  ///< unweighted parts
  double auxScale = 1;  ///< the factor on the aux gradient into fc ("balanced"), else 1
};

struct GradientProbe {
  std::vector<GradientRow> rows;
  std::vector<GradientStep> steps;
};

/// Runs `epochs` epochs of training (no evaluation, nothing written) and measures every step.
/// The configuration is the one train() takes (fitted to the corpus); micro-batches are not
/// used (the terms' gradients need the whole graph). Throws std::runtime_error as train() does.
GradientProbe probeGradients(const data::Corpus& corpus, const ModelConfig& model, const TrainConfig& train, int epochs,
                             Progress& progress);

/// The rows as CSV (one line per step and module; header first).
std::string gradientsCsv(const GradientProbe& probe);

}  // namespace mlsan::model
