// SPDX-License-Identifier: GPL-3.0-or-later
// The gate diagnosis: how the speaker gate varies by channel and by speaker, what it does to the
// features, and what removing its speaker dependence changes downstream.
#include <cmath>
#include <map>

#include "internal.h"
#include "mlsan/analysis/stats.h"
#include "mlsan/model/explain.h"
#include "mlsan/model/run.h"

namespace mlsan::model {

namespace {

double sdOf(const std::vector<double>& v) { return analysis::meanStd(v).std; }
double meanOf(const std::vector<double>& v) { return analysis::meanStd(v).mean; }

struct Accumulator {
  // Per speaker: channel sums [d], count, and sums of the per-utterance readouts.
  std::map<int, std::vector<double>> channelSum;
  std::map<int, long> count;
  std::map<int, double> meanGateSum, gainSum, usedSum, shareSum;
  std::vector<double> meanGate;  // per utterance
  std::vector<double> channelTotal;
};

}  // namespace

GateDiagnosis diagnoseGateRun(const std::string& runDir, const data::Corpus& corpus, data::Split split) {
  const RunConfig rc = explainableRun(runDir, corpus);  // explain's refusals; writes nothing
  GateDiagnosis g;
  Net net(rc.model);
  loadCheckpoint(RunPaths(runDir).bestCheckpoint(), net, nullptr);
  net->eval();
  if (!rc.model.gate) return g;
  g.hasGate = true;
  g.form = rc.model.gateForm;
  g.channels = rc.model.d;
  torch::NoGradGuard ng;
  const auto [wa, wv] = gateChannelUse(net);
  Accumulator acc[2];
  for (auto& a : acc) a.channelTotal.assign(g.channels, 0.0);
  std::vector<int> predictions;
  std::vector<double> logp;
  std::vector<int> speakers;  // per utterance, in batch order
  const auto batches = evaluationBatches(corpus, dialoguesOf(corpus, split), rc.train.batchSize);
  for (const auto& ids : batches) {
    const Batch b = makeBatch(corpus, ids);
    const NetOutput out = net->forward(b);
    const auto lp = torch::log_softmax(out.logits, 2);
    const auto sel = b.mask;
    const auto pred = lp.argmax(2).masked_select(sel).contiguous();
    const auto best = std::get<0>(lp.max(2)).masked_select(sel).contiguous();
    const auto spk = b.speaker.masked_select(sel).contiguous();
    for (int64_t i = 0; i < pred.size(0); ++i) {
      predictions.push_back(static_cast<int>(pred.data_ptr<int64_t>()[i]));
      logp.push_back(best.data_ptr<float>()[i]);
      speakers.push_back(static_cast<int>(spk.data_ptr<int64_t>()[i]));
    }
    const torch::Tensor gates[2] = {out.gateAudio, out.gateVisual};
    const torch::Tensor pre[2] = {out.preGateAudio, out.preGateVisual};
    const torch::Tensor use[2] = {wa, wv};
    const std::size_t first = speakers.size() - static_cast<std::size_t>(pred.size(0));
    for (int m = 0; m < 2; ++m) {
      const auto gm = gates[m].index({sel}).to(torch::kDouble).contiguous();  // [N, d]
      const auto hm = pre[m].index({sel}).to(torch::kDouble);
      const auto gain = gateGain(gm, hm).contiguous();
      const auto used = gateUsed(gm, use[m].to(torch::kDouble)).contiguous();
      const double* pg = gm.data_ptr<double>();
      auto& a = acc[m];
      for (int64_t i = 0; i < gm.size(0); ++i) {
        const int s = speakers[first + i];
        auto& sum = a.channelSum[s];
        if (sum.empty()) sum.assign(g.channels, 0.0);
        double mean = 0;
        for (int c = 0; c < g.channels; ++c) {
          const double x = pg[i * g.channels + c];
          sum[c] += x;
          a.channelTotal[c] += x;
          mean += x;
        }
        mean /= g.channels;
        a.meanGate.push_back(mean);
        a.meanGateSum[s] += mean;
        a.gainSum[s] += gain.data_ptr<double>()[i];
        a.usedSum[s] += used.data_ptr<double>()[i];
        ++a.count[s];
      }
    }
    // The normalised share, per speaker (accumulated on the audio side).
    const auto ma = out.gateAudio.mean(2).masked_select(sel).contiguous(), mv = out.gateVisual.mean(2).masked_select(sel).contiguous();
    for (int64_t i = 0; i < ma.size(0); ++i) {
      const float a = ma.data_ptr<float>()[i], v = mv.data_ptr<float>()[i];
      acc[0].shareSum[speakers[first + i]] += a / (a + v);
    }
  }
  g.utterances = static_cast<int>(speakers.size());
  GateModalityDiagnosis* out[2] = {&g.audio, &g.visual};
  std::vector<double> shareBySpeaker;
  for (int m = 0; m < 2; ++m) {
    const auto& a = acc[m];
    auto& d = *out[m];
    d.meanGate = meanOf(a.meanGate);
    d.meanGateSd = sdOf(a.meanGate);
    std::vector<double> channelMeans(g.channels);
    for (int c = 0; c < g.channels; ++c) channelMeans[c] = a.channelTotal[c] / std::max(1, g.utterances);
    d.channelSd = sdOf(channelMeans);
    std::vector<double> meanGateS, gainS, usedS;
    std::vector<std::vector<double>> perChannel(g.channels);
    double gainAll = 0, usedAll = 0;
    for (const auto& [s, n] : a.count) {
      gainAll += a.gainSum.at(s);
      usedAll += a.usedSum.at(s);
      if (n < 5) continue;
      meanGateS.push_back(a.meanGateSum.at(s) / n);
      gainS.push_back(a.gainSum.at(s) / n);
      usedS.push_back(a.usedSum.at(s) / n);
      if (m == 0) shareBySpeaker.push_back(a.shareSum.at(s) / n);
      for (int c = 0; c < g.channels; ++c) perChannel[c].push_back(a.channelSum.at(s)[c] / n);
    }
    g.speakers = static_cast<int>(meanGateS.size());
    d.meanGateSpeakerSd = sdOf(meanGateS);
    double channelSpeakerSd = 0;
    for (const auto& v : perChannel) channelSpeakerSd += sdOf(v);
    d.channelSpeakerSd = channelSpeakerSd / g.channels;
    d.gain = gainAll / std::max(1, g.utterances);
    d.gainSpeakerSd = sdOf(gainS);
    d.used = usedAll / std::max(1, g.utterances);
    d.usedSpeakerSd = sdOf(usedS);
  }
  g.shareSpeakerSd = sdOf(shareBySpeaker);

  // Interventions: constant gates.
  auto intervene = [&](const torch::Tensor& ga, const torch::Tensor& gv, double& flip, double& change) {
    net->gateOverrideAudio = ga;
    net->gateOverrideVisual = gv;
    std::size_t k = 0;
    long flips = 0;
    double sum = 0;
    for (const auto& ids : batches) {
      const Batch b = makeBatch(corpus, ids);
      const auto lp = torch::log_softmax(net->forward(b).logits, 2);
      const auto pred = lp.argmax(2).masked_select(b.mask).contiguous();
      const auto lps = lp.masked_select(b.mask.unsqueeze(2)).view({-1, lp.size(2)}).contiguous();
      const int64_t C = lps.size(1);
      for (int64_t i = 0; i < pred.size(0); ++i, ++k) {
        if (pred.data_ptr<int64_t>()[i] != predictions[k]) ++flips;
        sum += std::fabs(lps.data_ptr<float>()[i * C + predictions[k]] - logp[k]);
      }
    }
    net->gateOverrideAudio = net->gateOverrideVisual = torch::Tensor();
    flip = static_cast<double>(flips) / std::max<std::size_t>(1, k);
    change = sum / std::max<std::size_t>(1, k);
  };
  auto channelMean = [&](int m) {
    auto t = torch::empty({g.channels});
    for (int c = 0; c < g.channels; ++c) t[c] = acc[m].channelTotal[c] / std::max(1, g.utterances);
    return t;
  };
  intervene(channelMean(0), channelMean(1), g.flipSpeakerless, g.logpChangeSpeakerless);
  intervene(torch::ones({g.channels}), torch::ones({g.channels}), g.flipNoGate, g.logpChangeNoGate);
  return g;
}

nlohmann::json gateDiagnosisJson(const GateDiagnosis& g) {
  nlohmann::json j{{"has_gate", g.hasGate}};
  if (!g.hasGate) return j;
  j["form"] = g.form;
  j["utterances"] = g.utterances;
  j["speakers"] = g.speakers;
  j["channels"] = g.channels;
  for (const auto& [name, d] : {std::pair<const char*, const GateModalityDiagnosis*>{"audio", &g.audio}, {"visual", &g.visual}})
    j[name] = {{"mean_gate", d->meanGate}, {"mean_gate_sd", d->meanGateSd}, {"mean_gate_speaker_sd", d->meanGateSpeakerSd},
               {"channel_speaker_sd", d->channelSpeakerSd}, {"channel_sd", d->channelSd}, {"gain", d->gain},
               {"gain_speaker_sd", d->gainSpeakerSd}, {"used", d->used}, {"used_speaker_sd", d->usedSpeakerSd}};
  j["share_speaker_sd"] = g.shareSpeakerSd;
  j["speakerless_gates"] = {{"flip_rate", g.flipSpeakerless}, {"mean_abs_logp_change", g.logpChangeSpeakerless}};
  j["no_gate"] = {{"flip_rate", g.flipNoGate}, {"mean_abs_logp_change", g.logpChangeNoGate}};
  return j;
}

}  // namespace mlsan::model
