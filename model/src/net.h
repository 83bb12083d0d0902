// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Internal (torch) - the ML-SAN / MultiEMO network. Only model/ sources include this.
#include <torch/torch.h>

#include <array>

#include "mlsan/model/config.h"

namespace mlsan::model {

/// Inverted dropout that keeps a 1-byte mask for backward (torch's keeps a float mask: 4x the
/// memory, which dominated IEMOCAP-sized batches). Identity when not training or p == 0.
torch::Tensor lightDropout(const torch::Tensor& x, double p, bool training);

/// A padded batch of dialogues, time-major: [T, B, ...]. mask is 1 at real utterances.
struct Batch {
  torch::Tensor text, audio, visual;  ///< float [T, B, D*]
  torch::Tensor speaker;              ///< long [T, B], global identity (0 at padding)
  torch::Tensor party;                ///< long [T, B], position within the dialogue (0 at padding)
  torch::Tensor label;                ///< long [T, B], -1 at padding / unlabelled
  torch::Tensor mask;                 ///< bool [T, B]
  torch::Tensor lengths;              ///< long [B]
  std::vector<int> dialogues;         ///< corpus dialogue index of each column
  std::vector<int64_t> active;        ///< [T]: columns still running at step t (columns sorted by length, longest first)
  Batch to(const torch::Device& device) const;
};

/// DialogueRNN (Majumder et al. 2019) as MultiEMO uses it: global GRU, query-free attention over
/// the earlier global states, party GRU updating only the current speaker, emotion GRU.
/// Right-padded input: positions past a dialogue's length never influence real positions.
/// MultiEMO's recurrent dropout (dropout_rec) acts on the new global, party and emotion states.
struct DialogueRNNImpl : torch::nn::Module {
  DialogueRNNImpl(int inDim, int d, int parties, double recurrentDropout = 0);
  /// x [T, B, in], party [T, B] -> e [T, B, d]. `active[t]` columns (a prefix: columns sorted
  /// longest first) are still running at step t; the others are not computed at all (zeros).
  /// With `active` empty every column runs every step; then `real` (float [T, B], 1 at real
  /// utterances), when defined, makes padded steps behave as in MultiEMO's unmasked code: the
  /// speaker is party 0 and no party state changes.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& party, const std::vector<int64_t>& active,
                        const torch::Tensor& real = {});
  torch::nn::GRUCell globalCell{nullptr}, partyCell{nullptr}, emotionCell{nullptr};
  torch::nn::Linear attention{nullptr};
  int d, parties;
  double recurrentDropout;
};
TORCH_MODULE(DialogueRNN);

/// A context encoder per modality: forward-only with ReLU(e) (MELD), or bidirectional with each
/// dialogue reversed by its own length and ReLU(Linear 2d -> d) (IEMOCAP).
/// Dropout as MultiEMO's BiModel: on e before the ReLU, or on the merged states before the ReLU.
struct ContextEncoderImpl : torch::nn::Module {
  ContextEncoderImpl(int d, int parties, bool bidirectional, double dropout = 0, double recurrentDropout = 0);
  /// `active` and `real` as DialogueRNNImpl::forward; with `real` defined (unmasked mode) the
  /// backward direction's outputs at padding are zero, as MultiEMO's re-reversal pads them.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& party, const torch::Tensor& lengths,
                        const std::vector<int64_t>& active, const torch::Tensor& real = {});
  DialogueRNN forwardRnn{nullptr}, backwardRnn{nullptr};
  torch::nn::Linear merge{nullptr};
  bool bidirectional;
  double dropout;
};
TORCH_MODULE(ContextEncoder);

/// Where the real utterances of a [T, B] batch sit: per-position layers run on the N packed
/// rows only (no work on padding); attention unpacks to [B, heads, T, T] per dialogue.
struct Packing {
  torch::Tensor index;    ///< long [N]: flat positions t * B + b of the real utterances (all positions unmasked)
  torch::Tensor keyMask;  ///< bool [B, 1, 1, T]: true at padded keys
  int64_t T = 0, B = 0;
  static Packing of(const torch::Tensor& mask);
  /// Every position of a [T, B] batch, padding included, no key masked: MultiEMO's unmasked fusion.
  static Packing all(int64_t T, int64_t B, const torch::Device& device);
  torch::Tensor pack(const torch::Tensor& x) const;    ///< [T, B, D] -> [N, D]
  torch::Tensor unpack(const torch::Tensor& x) const;  ///< [N, D] -> [T, B, D], zeros at padding
};

/// Multi-head attention on packed rows, keys restricted to the same dialogue's packed rows.
/// MultiEMO's per-head query/key/value matrices are the row blocks of q, k and v.
struct AttentionImpl : torch::nn::Module {
  AttentionImpl(int d, int heads);
  torch::Tensor forward(const torch::Tensor& query, const torch::Tensor& keyValue, const Packing& p);
  torch::nn::Linear q{nullptr}, k{nullptr}, v{nullptr}, out{nullptr};
  int heads;
};
TORCH_MODULE(Attention);

/// One MultiAttn layer: x = LN(x + drop(MHA(x, A, A))); x = LN(x + drop(MHA(x, B, B)));
/// x = LN(x + drop(drop(FFN(x)))) (MultiEMO drops the FFN's output inside the FFN and again in
/// its AddNorm). All tensors are packed [N, d].
struct FusionLayerImpl : torch::nn::Module {
  FusionLayerImpl(int d, int heads, double dropout);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& a, const torch::Tensor& b, const Packing& p);
  Attention attnA{nullptr}, attnB{nullptr};
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr}, norm3{nullptr};
  torch::nn::Linear ff1{nullptr}, ff2{nullptr};
  torch::nn::Dropout drop{nullptr};
};
TORCH_MODULE(FusionLayer);

/// Everything one forward pass produces.
struct NetOutput {
  torch::Tensor logits;         ///< [T, B, C]
  torch::Tensor fc;             ///< [T, B, d] fused representation (fc output)
  torch::Tensor fusedText, fusedAudio, fusedVisual;  ///< [T, B, d] for Soft-HGR
  torch::Tensor speakerLogits;  ///< [T, B, S] (aux), undefined without aux
  torch::Tensor gateAudio, gateVisual;  ///< [T, B, d], undefined without gate
  torch::Tensor preGateAudio, preGateVisual;  ///< [T, B, d] the context features the gates scale (with a gate)
  torch::Tensor filmAudio, filmVisual;  ///< [T, B, Da], [T, B, Dv] calibrated inputs
  torch::Tensor projAudio, projVisual;  ///< [T, B, d] after the modality projection (before context)
  /// [T, B, d] what the fusion reads: the context features after the gate (without a gate, the
  /// context features themselves)
  torch::Tensor gatedAudio, gatedVisual;
};

/// MultiEMO + ML-SAN's three speaker-adaptive levels. With film, gate and aux all off, the
/// module has exactly MultiEMO's parameters (same names) and computes MultiEMO.
struct NetImpl : torch::nn::Module {
  explicit NetImpl(const ModelConfig& config);
  NetOutput forward(const Batch& batch);
  /// Speakers with no utterance in the training dialogues (IEMOCAP's session 5 actors) take the
  /// mean embedding of those with: FiLM and the gate then calibrate them as the average trained
  /// speaker rather than by an untrained random code. `seen[s]` says whether speaker s trained.
  /// No-op without a speaker embedding or when every speaker, or none, was seen.
  void shareUnseenSpeakers(const std::vector<bool>& seen);
  /// MultiAttn: the three fusion stacks on packed [N, d] rows (text over audio then visual, audio
  /// over text then visual, visual over text then audio; the un-fused rows are the keys).
  std::array<torch::Tensor, 3> fuse(const torch::Tensor& text, const torch::Tensor& audio, const torch::Tensor& visual,
                                    const Packing& p);
  /// The classifier: Linear d -> h, ReLU, Linear h -> C, dropout on the logits (MultiEMO's MLP).
  torch::Tensor head(const torch::Tensor& fc);
  ModelConfig config;
  torch::nn::Linear projText{nullptr}, projAudio{nullptr}, projVisual{nullptr};
  ContextEncoder ctxText{nullptr}, ctxAudio{nullptr}, ctxVisual{nullptr};
  torch::nn::ModuleList fuseText{nullptr}, fuseAudio{nullptr}, fuseVisual{nullptr};
  torch::nn::Linear fc{nullptr}, mlp1{nullptr}, mlp2{nullptr};
  torch::nn::Dropout mlpDrop{nullptr};  ///< on the logits, as MultiEMO's MLP
  // ML-SAN
  torch::nn::Embedding speakerEmbedding{nullptr};
  torch::nn::Linear filmGammaAudio{nullptr}, filmBetaAudio{nullptr}, filmGammaVisual{nullptr}, filmBetaVisual{nullptr};
  torch::nn::Linear gateAudio{nullptr}, gateVisual{nullptr};
  torch::nn::Linear speakerHead{nullptr};
  /// 0-dim (CPU, double): the factor on the auxiliary speaker loss's gradient into fc when
  /// ModelConfig::auxGradient is "balanced"; the trainer sets it before each backward pass
  /// (auxBalanceScale). Not a parameter or buffer: checkpoints do not hold it.
  torch::Tensor auxGradScale;
  /// When defined ([d] each), the gates are these constants instead of their computed values: the
  /// gate diagnosis's intervention (what the gate's speaker dependence changes downstream).
  torch::Tensor gateOverrideAudio, gateOverrideVisual;
};
TORCH_MODULE(Net);

}  // namespace mlsan::model
