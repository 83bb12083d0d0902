// SPDX-License-Identifier: GPL-3.0-or-later
#include "net.h"

#include <cmath>
#include <limits>

namespace mlsan::model {
namespace nn = torch::nn;

namespace {
struct BoolMaskDropout : torch::autograd::Function<BoolMaskDropout> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, double p) {
    const auto keep = torch::rand_like(x).ge(p);
    const double scale = 1.0 / (1.0 - p);
    ctx->save_for_backward({keep});
    ctx->saved_data["scale"] = scale;
    return x.masked_fill(keep.logical_not(), 0) * scale;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grad) {
    const auto keep = ctx->get_saved_variables()[0];
    const double scale = ctx->saved_data["scale"].toDouble();
    return {grad[0].masked_fill(keep.logical_not(), 0) * scale, torch::Tensor()};
  }
};

/// The identity forward; backward multiplies the gradient by the value `scale` holds when
/// backward runs (the trainer sets it after the loss is known, before back-propagating).
struct ScaleGradient : torch::autograd::Function<ScaleGradient> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& scale) {
    ctx->saved_data["scale"] = scale;
    return x.clone();
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grad) {
    return {grad[0] * ctx->saved_data["scale"].toTensor().item<double>(), torch::Tensor()};
  }
};
}  // namespace

torch::Tensor lightDropout(const torch::Tensor& x, double p, bool training) {
  if (!training || p <= 0) return x;
  if (p >= 1) return torch::zeros_like(x);
  return BoolMaskDropout::apply(x, p);
}

Batch Batch::to(const torch::Device& device) const {
  if (text.device() == device) return *this;
  Batch b;
  b.text = text.to(device); b.audio = audio.to(device); b.visual = visual.to(device);
  b.speaker = speaker.to(device); b.party = party.to(device); b.label = label.to(device);
  b.mask = mask.to(device); b.lengths = lengths.to(device);
  b.dialogues = dialogues; b.active = active;
  return b;
}

// ---------------------------------------------------------------- DialogueRNN
DialogueRNNImpl::DialogueRNNImpl(int inDim, int d_, int parties_, double recDrop) : d(d_), parties(parties_), recurrentDropout(recDrop) {
  globalCell = register_module("global_cell", nn::GRUCell(inDim + d, d));
  partyCell = register_module("party_cell", nn::GRUCell(inDim + d, d));
  emotionCell = register_module("emotion_cell", nn::GRUCell(d, d));
  attention = register_module("attention", nn::Linear(nn::LinearOptions(d, 1).bias(false)));
}

torch::Tensor DialogueRNNImpl::forward(const torch::Tensor& x, const torch::Tensor& party, const std::vector<int64_t>& active,
                                       const torch::Tensor& real) {
  const int64_t T = x.size(0), B = x.size(1);
  auto opts = x.options();
  torch::Tensor q = torch::zeros({B, parties, d}, opts);  // party states
  torch::Tensor g = torch::zeros({B, d}, opts);           // last global state
  torch::Tensor e = torch::zeros({B, d}, opts);           // emotion state
  // The attention is query-free (a score per earlier global state), so the context vector
  // is a running softmax-weighted mean: O(T) instead of re-attending over the history.
  torch::Tensor num, den, runMax;
  const auto oneHotAll = torch::one_hot(party, parties).to(x.scalar_type());  // [T, B, P]
  std::vector<torch::Tensor> outputs;
  outputs.reserve(T);
  int64_t n = B;
  const bool on = is_training();
  const double pr = recurrentDropout;
  for (int64_t t = 0; t < T; ++t) {
    // Dialogues that have ended drop out of the state (they are the trailing columns).
    const int64_t now = active.empty() ? B : active[t];
    if (now < n) {
      n = now;
      q = q.slice(0, 0, n); g = g.slice(0, 0, n); e = e.slice(0, 0, n);
      if (num.defined()) { num = num.slice(0, 0, n); den = den.slice(0, 0, n); runMax = runMax.slice(0, 0, n); }
    }
    const auto xt = x[t].slice(0, 0, n);
    const auto oh = oneHotAll[t].slice(0, 0, n).unsqueeze(2);  // [n, P, 1]
    const auto qs = (oh * q).sum(1);                           // current speaker's previous state [n, d]
    g = lightDropout(globalCell(torch::cat({xt, qs}, 1), g), pr, on);
    const torch::Tensor c = t == 0 ? torch::zeros({n, d}, opts) : num / den;
    // fold g_t into the running attention for the steps after this one
    const auto s = attention(g);  // [n, 1]
    if (t == 0) {
      runMax = s;
      num = g;
      den = torch::ones_like(s);
    } else {
      const auto newMax = torch::maximum(runMax, s);
      const auto keep = torch::exp(runMax - newMax), add = torch::exp(s - newMax);
      num = num * keep + g * add;
      den = den * keep + add;
      runMax = newMax;
    }
    auto qsNew = lightDropout(partyCell(torch::cat({xt, c}, 1), qs), pr, on);
    if (real.defined()) qsNew = qs + (qsNew - qs) * real[t].unsqueeze(1);  // a padded step changes no party
    q = q + oh * (qsNew - qs).unsqueeze(1);  // only the speaker's slot changes
    e = lightDropout(emotionCell(qsNew, e), pr, on);
    outputs.push_back(n == B ? e : torch::cat({e, torch::zeros({B - n, d}, opts)}, 0));
  }
  return torch::stack(outputs, 0);
}

// ---------------------------------------------------------------- context encoder
ContextEncoderImpl::ContextEncoderImpl(int d, int parties, bool bidir, double drop, double recDrop)
    : bidirectional(bidir), dropout(drop) {
  forwardRnn = register_module("forward_rnn", DialogueRNN(d, d, parties, recDrop));
  if (bidirectional) {
    backwardRnn = register_module("backward_rnn", DialogueRNN(d, d, parties, recDrop));
    merge = register_module("merge", nn::Linear(2 * d, d));
  }
}

/// Index [T, B] that reverses each column within its own length (an involution).
static torch::Tensor reverseIndex(const torch::Tensor& lengths, int64_t T) {
  auto t = torch::arange(T, lengths.options()).unsqueeze(1);  // [T, 1]
  auto len = lengths.unsqueeze(0);                              // [1, B]
  return torch::where(t < len, len - 1 - t, t);
}

static torch::Tensor gatherTime(const torch::Tensor& x, const torch::Tensor& idx) {
  if (x.dim() == 2) return x.gather(0, idx);
  return x.gather(0, idx.unsqueeze(2).expand({-1, -1, x.size(2)}));
}

torch::Tensor ContextEncoderImpl::forward(const torch::Tensor& x, const torch::Tensor& party, const torch::Tensor& lengths,
                                          const std::vector<int64_t>& active, const torch::Tensor& real) {
  const bool on = is_training();
  auto f = forwardRnn(x, party, active, real);
  if (!bidirectional) return torch::relu(lightDropout(f, dropout, on));
  const auto idx = reverseIndex(lengths, x.size(0));
  const auto realRev = real.defined() ? real.gather(0, idx) : real;
  auto b = gatherTime(backwardRnn(gatherTime(x, idx), gatherTime(party, idx), active, realRev), idx);
  if (real.defined()) b = b * real.unsqueeze(2);
  return torch::relu(lightDropout(merge(torch::cat({f, b}, 2)), dropout, on));
}

// ---------------------------------------------------------------- fusion
Packing Packing::of(const torch::Tensor& mask) {
  Packing p;
  p.T = mask.size(0);
  p.B = mask.size(1);
  p.index = mask.flatten().nonzero().squeeze(1);
  p.keyMask = mask.logical_not().transpose(0, 1).view({p.B, 1, 1, p.T});
  return p;
}

Packing Packing::all(int64_t T, int64_t B, const torch::Device& device) {
  Packing p;
  p.T = T;
  p.B = B;
  p.index = torch::arange(T * B, torch::TensorOptions().dtype(torch::kLong).device(device));
  p.keyMask = torch::zeros({B, 1, 1, T}, torch::TensorOptions().dtype(torch::kBool).device(device));
  return p;
}

torch::Tensor Packing::pack(const torch::Tensor& x) const { return x.reshape({T * B, x.size(2)}).index_select(0, index); }

torch::Tensor Packing::unpack(const torch::Tensor& x) const {
  return torch::zeros({T * B, x.size(1)}, x.options()).index_copy(0, index, x).view({T, B, x.size(1)});
}

AttentionImpl::AttentionImpl(int d, int heads_) : heads(heads_) {
  q = register_module("q", nn::Linear(d, d));
  k = register_module("k", nn::Linear(d, d));
  v = register_module("v", nn::Linear(d, d));
  out = register_module("out", nn::Linear(d, d));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& keyValue, const Packing& p) {
  const int64_t d = query.size(1), dh = d / heads;
  auto heads4 = [&](const torch::Tensor& packed) {  // [N, d] -> [B, h, T, dh]
    return p.unpack(packed).view({p.T, p.B, heads, dh}).permute({1, 2, 0, 3});
  };
  const auto Q = heads4(q(query)), K = heads4(k(keyValue)), V = heads4(v(keyValue));
  auto scores = Q.matmul(K.transpose(-2, -1)) / std::sqrt(static_cast<double>(dh));
  scores = scores.masked_fill(p.keyMask, -std::numeric_limits<float>::infinity());
  const auto attn = torch::softmax(scores, -1);
  const auto ctx = attn.matmul(V).permute({2, 0, 1, 3}).reshape({p.T * p.B, d}).index_select(0, p.index);
  return out(ctx);
}

FusionLayerImpl::FusionLayerImpl(int d, int heads, double dropout) {
  attnA = register_module("attn_a", Attention(d, heads));
  attnB = register_module("attn_b", Attention(d, heads));
  norm1 = register_module("norm1", nn::LayerNorm(nn::LayerNormOptions({d})));
  norm2 = register_module("norm2", nn::LayerNorm(nn::LayerNormOptions({d})));
  norm3 = register_module("norm3", nn::LayerNorm(nn::LayerNormOptions({d})));
  ff1 = register_module("ff1", nn::Linear(d, 4 * d));
  ff2 = register_module("ff2", nn::Linear(4 * d, d));
  drop = register_module("drop", nn::Dropout(dropout));
}

torch::Tensor FusionLayerImpl::forward(const torch::Tensor& x0, const torch::Tensor& a, const torch::Tensor& b, const Packing& p) {
  const double pd = drop->options.p();
  const bool on = is_training();
  auto x = norm1(x0 + lightDropout(attnA(x0, a, p), pd, on));
  x = norm2(x + lightDropout(attnB(x, b, p), pd, on));
  x = norm3(x + lightDropout(lightDropout(ff2(torch::relu(ff1(x))), pd, on), pd, on));
  return x;
}

// ---------------------------------------------------------------- the network
NetImpl::NetImpl(const ModelConfig& c) : config(c) {
  const int d = c.d;
  // MultiEMO's modules first, in a fixed order, so that a seeded MultiEMO and a seeded
  // ML-SAN start from the same weights for every part they share.
  projText = register_module("proj_text", nn::Linear(c.dimText, d));
  projAudio = register_module("proj_audio", nn::Linear(c.dimAudio, d));
  projVisual = register_module("proj_visual", nn::Linear(c.dimVisual, d));
  auto context = [&c, d] { return ContextEncoder(d, c.maxParties, c.bidirectional, c.dropout, c.recurrentDropout); };
  if (c.textContext) ctxText = register_module("ctx_text", context());
  ctxAudio = register_module("ctx_audio", context());
  ctxVisual = register_module("ctx_visual", context());
  fuseText = register_module("fuse_text", nn::ModuleList());
  fuseAudio = register_module("fuse_audio", nn::ModuleList());
  fuseVisual = register_module("fuse_visual", nn::ModuleList());
  for (int l = 0; l < c.fusionLayers; ++l) {
    fuseText->push_back(FusionLayer(d, c.heads, c.dropout));
    fuseAudio->push_back(FusionLayer(d, c.heads, c.dropout));
    fuseVisual->push_back(FusionLayer(d, c.heads, c.dropout));
  }
  fc = register_module("fc", nn::Linear(3 * d, d));
  mlp1 = register_module("mlp1", nn::Linear(d, c.mlpHidden));
  mlp2 = register_module("mlp2", nn::Linear(c.mlpHidden, c.numClasses));
  mlpDrop = register_module("mlp_drop", nn::Dropout(c.dropout));

  // ML-SAN's additions.
  if (c.film || c.gate) speakerEmbedding = register_module("speaker_embedding", nn::Embedding(c.numSpeakers, c.speakerDim));
  if (c.film) {
    auto identity = [&](const char* gname, const char* bname, int dim, nn::Linear& gamma, nn::Linear& beta) {
      gamma = register_module(gname, nn::Linear(c.speakerDim, dim));
      beta = register_module(bname, nn::Linear(c.speakerDim, dim));
      torch::NoGradGuard ng;
      gamma->weight.zero_(); gamma->bias.fill_(1.0);
      beta->weight.zero_(); beta->bias.zero_();
    };
    identity("film_gamma_audio", "film_beta_audio", c.dimAudio, filmGammaAudio, filmBetaAudio);
    identity("film_gamma_visual", "film_beta_visual", c.dimVisual, filmGammaVisual, filmBetaVisual);
  }
  if (c.gate) {
    const int zdim = c.speakerDim + (c.gateInput == "speaker+context" ? d : 0);
    gateAudio = register_module("gate_audio", nn::Linear(zdim, d));
    gateVisual = register_module("gate_visual", nn::Linear(zdim, d));
    if (c.gateForm == "identity") {
      torch::NoGradGuard ng;
      for (auto* g : {&gateAudio, &gateVisual}) {
        (*g)->weight.zero_();
        (*g)->bias.zero_();
      }
    } else if (c.gateInit > 0 && c.gateInit < 1) {
      torch::NoGradGuard ng;
      const double bias = std::log(c.gateInit / (1 - c.gateInit));
      for (auto* g : {&gateAudio, &gateVisual}) {
        (*g)->weight.zero_();
        (*g)->bias.fill_(bias);
      }
    }
  }
  if (c.aux) speakerHead = register_module("speaker_head", nn::Linear(d, c.numSpeakers));
  auxGradScale = torch::ones({}, torch::kDouble);
}

std::array<torch::Tensor, 3> NetImpl::fuse(const torch::Tensor& pt, const torch::Tensor& pa, const torch::Tensor& pv,
                                           const Packing& p) {
  auto ft = pt, fa = pa, fv = pv;
  for (std::size_t l = 0; l < fuseText->size(); ++l) {
    ft = fuseText[l]->as<FusionLayer>()->forward(ft, pa, pv, p);
    fa = fuseAudio[l]->as<FusionLayer>()->forward(fa, pt, pv, p);
    fv = fuseVisual[l]->as<FusionLayer>()->forward(fv, pt, pa, p);
  }
  return {ft, fa, fv};
}

torch::Tensor NetImpl::head(const torch::Tensor& fc) {
  return lightDropout(mlp2(torch::relu(mlp1(fc))), mlpDrop->options.p(), is_training());
}

void NetImpl::shareUnseenSpeakers(const std::vector<bool>& seen) {
  if (!speakerEmbedding) return;
  auto& w = speakerEmbedding->weight;
  std::vector<int64_t> trained, unseen;
  for (int64_t s = 0; s < w.size(0); ++s) (s < static_cast<int64_t>(seen.size()) && seen[s] ? trained : unseen).push_back(s);
  if (trained.empty() || unseen.empty()) return;
  torch::NoGradGuard noGrad;
  const auto index = [&w](const std::vector<int64_t>& v) { return torch::tensor(v, torch::TensorOptions().dtype(torch::kLong)).to(w.device()); };
  const auto mean = w.index_select(0, index(trained)).mean(0, true);
  w.index_copy_(0, index(unseen), mean.expand({static_cast<int64_t>(unseen.size()), w.size(1)}));
}

NetOutput NetImpl::forward(const Batch& b) {
  NetOutput out;
  torch::Tensor emb;
  if (speakerEmbedding) emb = speakerEmbedding(b.speaker);  // [T, B, ds]
  auto audio = b.audio, visual = b.visual;
  if (config.film) {
    audio = filmGammaAudio(emb) * audio + filmBetaAudio(emb);
    visual = filmGammaVisual(emb) * visual + filmBetaVisual(emb);
  }
  out.filmAudio = audio;
  out.filmVisual = visual;

  auto ht = projText(b.text);
  auto ha = projAudio(audio);
  auto hv = projVisual(visual);
  out.projAudio = ha;
  out.projVisual = hv;
  // Unmasked (MultiEMO's own code): every column runs every step and padding is fused with the rest.
  const bool masked = config.maskPadding;
  const std::vector<int64_t> everyStep;
  const auto& active = masked ? b.active : everyStep;
  const torch::Tensor real = masked ? torch::Tensor() : b.mask.to(ha.scalar_type());
  if (ctxText) ht = ctxText(ht, b.party, b.lengths, active, real);
  ha = ctxAudio(ha, b.party, b.lengths, active, real);
  hv = ctxVisual(hv, b.party, b.lengths, active, real);

  if (config.gate) {
    auto z = config.gateInput == "speaker+context" ? torch::cat({emb, ht}, 2) : emb;
    const double scale = config.gateForm == "identity" ? 2.0 : 1.0;
    out.gateAudio = scale * torch::sigmoid(gateAudio(z));
    out.gateVisual = scale * torch::sigmoid(gateVisual(z));
    if (gateOverrideAudio.defined()) {
      out.gateAudio = gateOverrideAudio.view({1, 1, -1}).expand_as(out.gateAudio);
      out.gateVisual = gateOverrideVisual.view({1, 1, -1}).expand_as(out.gateVisual);
    }
    out.preGateAudio = ha;
    out.preGateVisual = hv;
    ha = out.gateAudio * ha;
    hv = out.gateVisual * hv;
  }

  out.gatedAudio = ha;
  out.gatedVisual = hv;

  // From here on, only the real utterances are computed (packed rows); unmasked, every position.
  const Packing p = masked ? Packing::of(b.mask) : Packing::all(b.mask.size(0), b.mask.size(1), b.mask.device());
  const auto [ft, fa, fv] = fuse(p.pack(ht), p.pack(ha), p.pack(hv), p);
  const auto fcPacked = fc(torch::cat({ft, fa, fv}, 1));
  out.fusedText = p.unpack(ft); out.fusedAudio = p.unpack(fa); out.fusedVisual = p.unpack(fv);
  out.fc = p.unpack(fcPacked);
  out.logits = p.unpack(head(fcPacked));
  if (speakerHead) {
    // "balanced": the speaker loss reaches fc (and everything below it) through a gradient
    // scale the trainer sets per step (auxBalanceScale); the head itself learns at full strength.
    const auto in = config.auxGradient == "balanced" && is_training() ? ScaleGradient::apply(fcPacked, auxGradScale) : fcPacked;
    out.speakerLogits = p.unpack(speakerHead(in));
  }
  return out;
}

}  // namespace mlsan::model
