// SPDX-License-Identifier: GPL-3.0-or-later
// The gradient diagnosis: each loss term's gradient per module, per step (gradients.h).
#include "mlsan/model/gradients.h"

#include <cmath>
#include <map>
#include <sstream>

#include "internal.h"

namespace mlsan::model {
namespace {

/// The module group a parameter belongs to, from its name.
std::string groupOf(const std::string& name) {
  const std::string first = name.substr(0, name.find('.'));
  if (first == "mlp1" || first == "mlp2") return "mlp";
  if (first.rfind("film_", 0) == 0) return "film";
  if (first.rfind("gate_", 0) == 0) return "gate";
  return first;  // proj_*, ctx_*, fuse_*, fc, speaker_embedding, speaker_head
}

/// Sums of squares and dot products over a group's parameters.
struct Acc {
  double ce = 0, swfc = 0, hgr = 0, aux = 0, erc = 0, auxDotErc = 0, weight = 0, update = 0;
};

}  // namespace

GradientProbe probeGradients(const data::Corpus& corpus, const ModelConfig& modelIn, const TrainConfig& tc, int epochs,
                             Progress& progress) {
  if (!corpus.hasFeatures()) throw std::runtime_error("corpus '" + corpus.name + "' has no feature vectors");
  corpus.validate();
  ModelConfig model = modelIn;
  auto trainIds = dialoguesOf(corpus, data::Split::Train);
  auto devIds = dialoguesOf(corpus, data::Split::Dev);
  if (trainIds.empty()) throw std::runtime_error("corpus '" + corpus.name + "' has no training dialogues");
  if (devIds.empty()) drawValidation(trainIds, devIds, tc.valFraction, tc.seed, tc.valDraw);  // as train(): the same dialogues train
  model.classCounts = classCountsOf(corpus, trainIds, model.numClasses);
  setThreads(tc.threads);
  const torch::Device device = parseDevice(tc.device);
  torch::manual_seed(tc.seed);
  Net net(model);
  net->to(device);
  const auto optimizer = makeOptimizer(net, tc);
  const auto classWeights = swfcClassWeightsFor(model);

  std::vector<std::string> names, groups;
  std::vector<torch::Tensor> params;
  for (const auto& p : net->named_parameters()) {
    names.push_back(p.key());
    groups.push_back(groupOf(p.key()));
    params.push_back(p.value());
  }
  GradientProbe probe;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    if (progress.cancelled()) break;
    const auto batches = epochBatches(trainIds, tc, epoch);  // the trainer's batch order and dropout seed
    net->train();
    for (std::size_t bi = 0; bi < batches.size(); ++bi) {
      const Batch batch = makeBatch(corpus, batches[bi]).to(device);
      if (batch.mask.logical_and(batch.label.ge(0)).sum().item<long>() == 0) continue;
      const NetOutput out = net->forward(batch);
      const LossRows rows = lossRows(out, batch);
      const LossParts parts = computeLoss(rows, model, classWeights);
      if (!std::isfinite(parts.total.item<double>()))
        throw DivergedError("the loss became non-finite at epoch " + std::to_string(epoch) + ", batch " + std::to_string(bi + 1));
      const double auxScale = prepareAuxGradient(net, rows, model, classWeights);
      // Each weighted term alone; under auxGradient "speaker" the trainer routes the auxiliary
      // term into the speaker-level parameters only (backwardObjective), and so does the probe.
      const std::vector<torch::Tensor>& terms = parts.terms;
      std::vector<std::vector<torch::Tensor>> grads;
      for (std::size_t t = 0; t < terms.size(); ++t)
        grads.push_back(torch::autograd::grad({terms[t]}, params, {}, /*retain_graph=*/t + 1 < terms.size(), false,
                                              /*allow_unused=*/true));
      const bool routed = model.auxGradient == "speaker";
      std::map<std::string, Acc> acc;
      std::vector<torch::Tensor> before(params.size());
      optimizer->zero_grad();
      for (std::size_t i = 0; i < params.size(); ++i) {
        auto g = [&](std::size_t t) {
          return t < grads.size() && grads[t][i].defined() ? grads[t][i] : torch::zeros_like(params[i]);
        };
        const auto erc = g(0) + g(1) + g(2);
        const auto aux = routed && !isSpeakerLevelParameter(names[i]) ? torch::zeros_like(params[i]) : g(3);
        const auto total = erc + aux;
        for (const std::string& key : {groups[i], isSpeakerLevelParameter(names[i]) ? std::string() : std::string("trunk")}) {
          if (key.empty()) continue;
          Acc& a = acc[key];
          a.ce += g(0).pow(2).sum().item<double>();
          a.swfc += g(1).pow(2).sum().item<double>();
          a.hgr += g(2).pow(2).sum().item<double>();
          a.aux += aux.pow(2).sum().item<double>();
          a.erc += erc.pow(2).sum().item<double>();
          a.auxDotErc += (aux * erc).sum().item<double>();
          a.weight += params[i].detach().pow(2).sum().item<double>();
        }
        params[i].mutable_grad() = total.detach().clone();
        before[i] = params[i].detach().clone();
      }
      optimizer->step();
      for (std::size_t i = 0; i < params.size(); ++i) {
        const double u = (params[i].detach() - before[i]).pow(2).sum().item<double>();
        acc[groups[i]].update += u;
        if (!isSpeakerLevelParameter(names[i])) acc["trunk"].update += u;
      }
      for (const auto& [key, a] : acc) {
        GradientRow r;
        r.epoch = epoch;
        r.step = static_cast<int>(bi + 1);
        r.module = key;
        r.ce = std::sqrt(a.ce); r.swfc = std::sqrt(a.swfc); r.hgr = std::sqrt(a.hgr); r.aux = std::sqrt(a.aux);
        r.erc = std::sqrt(a.erc);
        r.cosAuxErc = r.aux > 0 && r.erc > 0 ? a.auxDotErc / (r.aux * r.erc) : 0;
        r.weight = std::sqrt(a.weight);
        r.decay = tc.weightDecay * r.weight;
        r.update = std::sqrt(a.update);
        probe.rows.push_back(r);
      }
      probe.steps.push_back({epoch, static_cast<int>(bi + 1), parts.total.item<double>(), parts.ce, parts.swfc, parts.hgr, parts.aux, auxScale});
      progress.batch(epoch, static_cast<int>(bi + 1), static_cast<int>(batches.size()), parts.total.item<double>());
    }
  }
  return probe;
}

std::string gradientsCsv(const GradientProbe& probe) {
  std::ostringstream o;
  o.precision(9);
  o << "epoch,step,module,ce,swfc,hgr,aux,erc,cos_aux_erc,decay,update,weight\n";
  for (const auto& r : probe.rows)
    o << r.epoch << ',' << r.step << ',' << r.module << ',' << r.ce << ',' << r.swfc << ',' << r.hgr << ',' << r.aux << ','
      << r.erc << ',' << r.cosAuxErc << ',' << r.decay << ',' << r.update << ',' << r.weight << '\n';
  return o.str();
}

}  // namespace mlsan::model
