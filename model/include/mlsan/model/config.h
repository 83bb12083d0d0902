// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Model and training configurations, the presets (meld, iemocap, demo), and their JSON form.
// Plain values; any thread. No torch here.
#include <cstdint>
#include <string>
#include <vector>

namespace mlsan::model {

/// Architecture and loss settings. Everything a checkpoint must agree on.
struct ModelConfig {
  std::string preset = "demo";  ///< meld | iemocap | demo
  // structure
  int dimText = 768, dimAudio = 512, dimVisual = 1000;
  int numClasses = 7;
  int numSpeakers = 13;         ///< global speaker identities (ML-SAN's embedding table)
  int maxParties = 9;           ///< DialogueRNN party slots
  int d = 256;                  ///< model dim
  int heads = 4;
  int fusionLayers = 2;
  int mlpHidden = 512;
  bool textContext = false;     ///< DialogueRNN on text too (IEMOCAP)
  bool bidirectional = false;   ///< bidirectional DialogueRNN (IEMOCAP)
  /// MultiEMO's dropout_rate (BiModel's output, MultiAttn's sublayers, the logits) and
  /// dropout_rec (DialogueRNN's new states); both 0 in MultiEMO's recipe.
  double dropout = 0, recurrentDropout = 0;
  /// Masks padding (a dialogue's outputs do not depend on its batch companions). Off: MultiEMO's
  /// own code, whose fusion attends to the padded positions too.
  bool maskPadding = true;
  // losses (MultiEMO)
  double weightCE = 0.4, weightSWFC = 0.3, weightHGR = 0.3;
  double tau = 1.4, gamma = 2.0, alpha = 1.2;
  std::vector<double> classCounts;  ///< training label counts for SWFC's class weights
  // ML-SAN
  bool film = true, gate = true, aux = true;
  /// "speaker" (eq. 3) or "speaker+context". Every preset uses "speaker": chosen on validation
  /// over 5 seeds on the demo corpus (model/README.md, "The gate").
  std::string gateInput = "speaker";
  double lambda = 0.5;
  int speakerDim = 64;
  /// The gate's starting value: 0 = PyTorch's default Linear init (gates start near 0.5 and
  /// vary by speaker); a value in (0, 1) = W_gate 0 and b_gate = logit(value), so every gate
  /// starts at that value (near 1: training starts close to MultiEMO, as FiLM's identity init).
  double gateInit = 0;
  /// The gate's form: "sigmoid" (g = sigmoid(W z + b), the paper's eq. 3, PyTorch's default init
  /// or gateInit) or "identity" (g = 2 sigmoid(W z + b) with W and b zero at the start: every
  /// gate is exactly 1, so ML-SAN starts as MultiEMO, and a gate can attenuate or amplify).
  /// Every preset uses "identity" (model/README.md, "The gate"); a config.json without the key
  /// is from before that choice and reads as "sigmoid".
  std::string gateForm = "identity";
  /// How the auxiliary speaker loss's gradient reaches the network below the speaker head:
  /// "full" (the paper: the gradient of lambda * CE(speaker) reaches every parameter),
  /// "balanced" (scaled at fc, per step, so that its norm there is at most the emotion
  /// objective's; the speaker head learns at full strength) or "speaker" (it trains the speaker
  /// head and ML-SAN's speaker modules, embedding, FiLM and gate, only; MultiEMO's modules learn
  /// from the emotion objective alone). model/README.md, "Why ML-SAN learned more slowly", has
  /// what each measured and why the default stays "full". A config.json without the key reads
  /// as "full".
  std::string auxGradient = "full";

  bool isMultiEMO() const { return !film && !gate && !aux; }
  /// "mlsan", "no_film", "no_gate", "no_aux", "multiemo", or a '+'-list of what is on.
  std::string variantName() const;
  std::string toJson() const;
  static ModelConfig fromJson(const std::string& json);
  /// Human-readable list of the fields that differ ("d: 256 vs 128; film: on vs off"), empty if none.
  std::string differences(const ModelConfig& other) const;
};

/// Optimisation settings.
struct TrainConfig {
  double lr = 1e-4;
  double weightDecay = 1e-5;
  int epochs = 15;
  int batchSize = 100;          ///< dialogues per batch
  /// Dialogues per forward pass within a batch (0: the whole batch at once). With a smaller
  /// value the batch's objective and gradient are the same (the losses still see the whole
  /// batch), but only one micro-batch's activations are alive at a time: the forward pass
  /// runs twice (once without gradients, once per micro-batch with them), for much less memory.
  int microBatch = 0;
  /// For a corpus with no dev split (MultiEMO's pickles): the fraction of training dialogues
  /// held out for validation, drawn by `seed` (MultiEMO's 5%); the keys are saved in the run.
  double valFraction = 0.05;
  /// How those dialogues are drawn: "seed" (by `seed`, our own generator) or "multiemo" (as
  /// TrainMultiEMO.py draws them: numpy's legacy shuffle seeded 2023 over the training dialogues in
  /// file order, whatever `seed` is).
  std::string valDraw = "seed";
  /// Learning-rate multiplier for ML-SAN's speaker-level parameters (speaker embedding, FiLM,
  /// gate, auxiliary speaker head), which start from the identity or from nothing. 1 = one lr.
  double speakerLrScale = 1.0;
  double plateauFactor = 0.95;
  int plateauPatience = 10;
  double plateauThreshold = 1e-6;  ///< relative (PyTorch's threshold_mode "rel"), as MultiEMO passes it
  /// Which epoch a run reports and keeps as best.pt: "val" (best validation weighted F1) or
  /// "test" (best test weighted F1, ties to the later epoch: MultiEMO's protocol, optimistic).
  std::string selectOn = "val";
  std::uint64_t seed = 1;
  int threads = 2;
  std::string device = "cpu";   ///< cpu | cuda
  std::string corpus;           ///< how the corpus was named ("demo", a folder): lets eval reopen it
  std::string toJson() const;
  static TrainConfig fromJson(const std::string& json);
};

struct Preset {
  ModelConfig model;
  TrainConfig train;
};
/// "meld", "iemocap" or "demo"; throws std::invalid_argument for anything else.
Preset preset(const std::string& name);
/// The preset that fits a corpus's dataset name ("meld", "iemocap", "demo").
std::string presetForDataset(const std::string& dataset);

}  // namespace mlsan::model
