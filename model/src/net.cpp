#include "net.h"

namespace mlsan::model {
namespace nn = torch::nn;

Batch Batch::to(const torch::Device& device) const {
  if (text.device() == device) return *this;
  Batch b;
  b.text = text.to(device); b.audio = audio.to(device); b.visual = visual.to(device);
  b.speaker = speaker.to(device); b.party = party.to(device); b.label = label.to(device);
  b.mask = mask.to(device); b.lengths = lengths.to(device);
  return b;
}

// ---------------------------------------------------------------- DialogueRNN
DialogueRNNImpl::DialogueRNNImpl(int inDim, int d_, int parties_) : d(d_), parties(parties_) {
  globalCell = register_module("global_cell", nn::GRUCell(inDim + d, d));
  partyCell = register_module("party_cell", nn::GRUCell(inDim + d, d));
  emotionCell = register_module("emotion_cell", nn::GRUCell(d, d));
  attention = register_module("attention", nn::Linear(nn::LinearOptions(d, 1).bias(false)));
}

torch::Tensor DialogueRNNImpl::forward(const torch::Tensor& x, const torch::Tensor& party) {
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
  for (int64_t t = 0; t < T; ++t) {
    const auto xt = x[t];
    const auto oh = oneHotAll[t].unsqueeze(2);  // [B, P, 1]
    const auto qs = (oh * q).sum(1);             // current speaker's previous state [B, d]
    g = globalCell(torch::cat({xt, qs}, 1), g);
    torch::Tensor c;
    if (t == 0) {
      c = torch::zeros({B, d}, opts);
    } else {
      c = num / den;
    }
    // fold g_t into the running attention for the steps after this one
    const auto s = attention(g);  // [B, 1]
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
    const auto qsNew = partyCell(torch::cat({xt, c}, 1), qs);
    q = q + oh * (qsNew - qs).unsqueeze(1);  // only the speaker's slot changes
    e = emotionCell(qsNew, e);
    outputs.push_back(e);
  }
  return torch::stack(outputs, 0);
}

// ---------------------------------------------------------------- context encoder
ContextEncoderImpl::ContextEncoderImpl(int d, int parties, bool bidir) : bidirectional(bidir) {
  forwardRnn = register_module("forward_rnn", DialogueRNN(d, d, parties));
  if (bidirectional) {
    backwardRnn = register_module("backward_rnn", DialogueRNN(d, d, parties));
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

torch::Tensor ContextEncoderImpl::forward(const torch::Tensor& x, const torch::Tensor& party, const torch::Tensor& lengths) {
  auto f = forwardRnn(x, party);
  if (!bidirectional) return torch::relu(f);
  const auto idx = reverseIndex(lengths, x.size(0));
  auto b = gatherTime(backwardRnn(gatherTime(x, idx), gatherTime(party, idx)), idx);
  return torch::relu(merge(torch::cat({f, b}, 2)));
}

// ---------------------------------------------------------------- fusion
FusionLayerImpl::FusionLayerImpl(int d, int heads, double dropout) {
  attnA = register_module("attn_a", nn::MultiheadAttention(nn::MultiheadAttentionOptions(d, heads).dropout(dropout)));
  attnB = register_module("attn_b", nn::MultiheadAttention(nn::MultiheadAttentionOptions(d, heads).dropout(dropout)));
  norm1 = register_module("norm1", nn::LayerNorm(nn::LayerNormOptions({d})));
  norm2 = register_module("norm2", nn::LayerNorm(nn::LayerNormOptions({d})));
  norm3 = register_module("norm3", nn::LayerNorm(nn::LayerNormOptions({d})));
  ff1 = register_module("ff1", nn::Linear(d, 4 * d));
  ff2 = register_module("ff2", nn::Linear(4 * d, d));
  drop = register_module("drop", nn::Dropout(dropout));
}

torch::Tensor FusionLayerImpl::forward(const torch::Tensor& x0, const torch::Tensor& a, const torch::Tensor& b,
                                       const torch::Tensor& keyPadding) {
  auto x = norm1(x0 + drop(std::get<0>(attnA(x0, a, a, keyPadding, /*need_weights=*/false))));
  x = norm2(x + drop(std::get<0>(attnB(x, b, b, keyPadding, false))));
  x = norm3(x + drop(ff2(drop(torch::relu(ff1(x))))));
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
  if (c.textContext) ctxText = register_module("ctx_text", ContextEncoder(d, c.maxParties, c.bidirectional));
  ctxAudio = register_module("ctx_audio", ContextEncoder(d, c.maxParties, c.bidirectional));
  ctxVisual = register_module("ctx_visual", ContextEncoder(d, c.maxParties, c.bidirectional));
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
  }
  if (c.aux) speakerHead = register_module("speaker_head", nn::Linear(d, c.numSpeakers));
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
  if (ctxText) ht = ctxText(ht, b.party, b.lengths);
  ha = ctxAudio(ha, b.party, b.lengths);
  hv = ctxVisual(hv, b.party, b.lengths);

  if (config.gate) {
    auto z = config.gateInput == "speaker+context" ? torch::cat({emb, ht}, 2) : emb;
    out.gateAudio = torch::sigmoid(gateAudio(z));
    out.gateVisual = torch::sigmoid(gateVisual(z));
    ha = out.gateAudio * ha;
    hv = out.gateVisual * hv;
  }

  const auto keyPadding = b.mask.logical_not().transpose(0, 1);  // [B, T], true = ignore
  auto ft = ht, fa = ha, fv = hv;
  for (std::size_t l = 0; l < fuseText->size(); ++l) {
    ft = fuseText[l]->as<FusionLayer>()->forward(ft, ha, hv, keyPadding);
    fa = fuseAudio[l]->as<FusionLayer>()->forward(fa, ht, hv, keyPadding);
    fv = fuseVisual[l]->as<FusionLayer>()->forward(fv, ht, ha, keyPadding);
  }
  out.fusedText = ft; out.fusedAudio = fa; out.fusedVisual = fv;
  out.fc = fc(torch::cat({ft, fa, fv}, 2));
  out.logits = mlp2(mlpDrop(torch::relu(mlp1(out.fc))));
  if (speakerHead) out.speakerLogits = speakerHead(out.fc);
  return out;
}

}  // namespace mlsan::model
