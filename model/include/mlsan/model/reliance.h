// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Modality reliance, measured by intervention: for every utterance, the model is run with each
// of the 8 subsets of {text, audio, visual} present, and the value of a subset is the
// log-probability of the class predicted with all three present. The exact Shapley values of
// the three modalities sum to v(all) - v(none). This header owns what is derived from those 8
// values (Shapley values, shares, leave-one-out drops, the interaction type), the file they are
// kept in (RUN/explain/), the per-speaker and per-speaker-type summaries and the JSON of
// `mlsan explain --json`. The computation itself (torch) is Model::explain / explainRun
// (explain.h). Torch-free (mlsan_model_io); plain values; any thread.
#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mlsan/data/corpus.h"
#include "mlsan/data/demo_corpus.h"

namespace mlsan::model {

/// Modality m is present in subset `mask` when bit m is set: text 1, audio 2, visual 4.
enum Modality { kText = 0, kAudio = 1, kVisual = 2 };
const char* modalityName(int m);  ///< "text", "audio", "visual"

/// How a modality is removed.
struct RelianceOptions {
  /// "draw" (the default; interventional): at every position it is removed from, the modality takes
  /// the features of a random training utterance of the same speaker (of any speaker when the
  /// speaker has fewer than kDrawPoolMinimum training utterances; from every split when the corpus
  /// has no training split, as for a model trained elsewhere), one utterance per position and
  /// draw for every removed modality; v(S) is the mean log-probability over `draws` such draws, with
  /// its Monte-Carlo standard error. So "absent" is an input the model has seen, from the speaker it
  /// is told about, and FiLM maps it as it maps that speaker's real features.
  /// "mean": its mean over the corpus's training split (one point, the same for every speaker);
  /// "zero": all zeros (how MultiEMO stores a missing face).
  std::string absent = "draw";
  /// "dialogue": removed at every utterance of the dialogue (the default: the recurrent context
  /// carries a modality forward, so removing it at one utterance leaves its copy in the context
  /// and understates what the prediction rests on; 8 passes per batch and draw); "utterance": removed at
  /// the explained utterance only (its direct use; 8 passes over as many copies of the dialogue as it has utterances).
  std::string scope = "dialogue";
  /// Draws with "draw" (model/README.md, "How many draws": chosen so that a share's standard error
  /// at the median utterance is below 0.02). Ignored by "mean" and "zero" (one exact pass).
  int draws = kDefaultDraws;
  std::uint64_t seed = 1;  ///< seed of the draws (each dialogue's draws depend on it and the dialogue only)
  static constexpr int kDefaultDraws = 192;
  /// Throws std::invalid_argument naming the bad value.
  void check() const;
  /// The draws a computation makes: `draws` for "draw", 1 otherwise.
  int passes() const { return absent == "draw" ? draws : 1; }
  /// "draw16-dialogue" ("draw16s3-dialogue" with seed 3), "mean-dialogue": part of the file name of the stored results.
  std::string key() const;
};
/// A speaker with fewer training utterances than this draws from every speaker's.
constexpr int kDrawPoolMinimum = 20;

/// What the 8 passes give for one utterance (with "draw", their means over the draws).
struct UtteranceReliance {
  int dialogue = 0;       ///< index into corpus.dialogues
  int index = 0;          ///< position within the dialogue
  int prediction = -1;    ///< with all three present
  std::array<double, 8> value{};   ///< log p(prediction) with the modalities of the mask present (mean over draws)
  std::array<int, 8> predicted{};  ///< the class predicted with the modalities of the mask present (argmax of the mean probability)
  int draws = 1;                   ///< draws the values average (1: an exact baseline)
  /// Monte-Carlo standard errors over the draws (0 with one draw): of each value, of each signed
  /// Shapley value, of each pair's interaction index (text-audio, text-visual, audio-visual) and of
  /// each signed share (scoreReliance's `share`, computed per draw).
  std::array<double, 8> valueSe{};
  std::array<double, 3> shapleySe{}, interactionSe{}, shareSe{};
};

/// The interaction kind of one utterance, after M2Lens (Wang et al., IEEE VIS 2021), on the signed
/// Shapley values phi and the pairwise Shapley interaction indices I of the same 8 values, with
/// M = sum |phi| (how much the modalities move the prediction at all). In this order:
///  weak:       M < kWeakNats: the modalities together change log p by less than that: no kind;
///  conflict:   the modalities favour different classes: one has phi > kConflictFraction * M and
///              another phi < -kConflictFraction * M, or two with |phi| > kConflictFraction * M
///              predict different classes on their own;
///  complement: some pair's interaction I >= kComplementFraction * M: together they give more than
///              each alone (synergy);
///  dominance:  one modality carries phi >= kDominanceFraction * M and, alone, predicts the same
///              class: it decides;
///  additive:   otherwise: several modalities add up, without synergy.
/// The conflict rule and kConflictFraction were fixed against the generator's truth on the demo's dev
/// split (tools/calibrate_conflict.py; model/README.md, "Interaction kinds"): the best of the rules
/// tried by Youden's J, at 0. The others are conventions that no truth of ours can fix.
enum class Interaction { Dominance, Complement, Conflict, Additive, Weak };
const char* interactionName(Interaction i);  ///< "dominance", "complement", "conflict", "additive", "weak"
constexpr double kWeakNats = 0.05, kConflictFraction = 0.0, kComplementFraction = 0.15, kDominanceFraction = 0.6;

struct RelianceScores {
  std::array<double, 3> shapley{};  ///< signed, in nats, per modality (text, audio, visual); sum = value[7] - value[0]
  /// phi / sum |phi|: signed, |share| sums to 1 (0 each when all phi are 0). The positive part is
  /// what the prediction rests on, the negative part what pushes against it.
  std::array<double, 3> share{};
  std::array<double, 3> drop{};     ///< leave-one-out: value[7] - value[7 without m]
  std::array<double, 3> pairs{};    ///< Shapley interaction indices: text-audio, text-visual, audio-visual
  double magnitude = 0;             ///< sum |phi|
  Interaction interaction = Interaction::Additive;
  int dominant = -1;                ///< the deciding modality under dominance, else -1
};
RelianceScores scoreReliance(const UtteranceReliance& u);
/// The pair of modalities of interaction index k (0: text-audio, 1: text-visual, 2: audio-visual).
const char* pairName(int k);  ///< "text_audio", "text_visual", "audio_visual"

/// The explain files of a run: RUN/explain/reliance-SPLIT-KEY.csv (one row per utterance: dialogue
/// key, utterance, speaker, prediction, v0..v7, c0..c7, draws, the standard errors) and a .json
/// beside it saying which checkpoint and corpus produced it (format 2; files of format 1, from
/// before the draws, are computed again). Both written atomically, the CSV first.
std::string relianceCsvPath(const std::string& runDir, data::Split split, const RelianceOptions& options);
std::string relianceMetaPath(const std::string& runDir, data::Split split, const RelianceOptions& options);

/// What the stored results were computed from: they are reused only when it all matches.
struct RelianceStamp {
  std::string checkpoint;   ///< "SIZE:MTIME_NS" of checkpoints/best.pt
  std::string corpusSignature;
  nlohmann::json toJson() const;
  bool operator==(const RelianceStamp& o) const { return checkpoint == o.checkpoint && corpusSignature == o.corpusSignature; }
};
/// The stamp of a run's best.pt now. Throws std::runtime_error naming it when it is missing.
std::string checkpointStamp(const std::string& runDir);

void writeReliance(const std::string& runDir, data::Split split, const RelianceOptions& options, const RelianceStamp& stamp,
                   const data::Corpus& corpus, const std::vector<UtteranceReliance>& utterances);
/// The stored results when they exist and their stamp equals `stamp` (else false). Throws
/// std::runtime_error naming the file when they exist, match, but cannot be read (or name a
/// dialogue the corpus does not have).
bool readReliance(const std::string& runDir, data::Split split, const RelianceOptions& options, const RelianceStamp& stamp,
                  const data::Corpus& corpus, std::vector<UtteranceReliance>& utterances);

/// What one group of utterances (a speaker, a type, all) rests on, by the rule of model/README.md
/// ("Aggregating"): ratios of sums over the group's utterances, so that an utterance weighs by how
/// much its modalities move the prediction (sum |phi|) and utterances where nothing moves (v(all)
/// about v(none), all phi about 0) count for about nothing. Per modality: `reliance` = sum of
/// max(phi, 0) / sum of sum |phi| (the positive parts sum to 1 minus the negative ones), `against`
/// = sum of max(-phi, 0) / the same, each with a delta-method 95% interval over the utterances
/// (analysis::ratioOfSums), and the mean signed phi in nats.
struct RelianceGroup {
  std::string name;
  int utterances = 0;
  std::array<double, 3> mean{}, std{}, low{}, high{};  ///< reliance (positive share): value, s.e., 95% interval
  std::array<double, 3> against{};                     ///< negative share
  std::array<double, 3> shapley{};                     ///< mean signed phi (nats)
  double magnitude = 0;                                ///< mean sum |phi| (nats)
};
/// The group of these utterances' signed Shapley values (one array per utterance).
RelianceGroup relianceGroup(const std::string& name, const std::vector<std::array<double, 3>>& shapley);
/// Per speaker (corpus.speakers order), the speakers with at least one utterance.
std::vector<RelianceGroup> relianceBySpeaker(const data::Corpus& corpus, const std::vector<UtteranceReliance>& utterances);

/// A demo speaker's nominal type from the generator's truth: "voice-led" (audio the more reliable
/// in the demo), "face-led" (visual), "balanced". In demo-null the types are labels with no effect.
std::string demoSpeakerType(const data::DemoTruth::Speaker& s);
/// The type of the speaker of corpus row `row`, whose corpus speaker is `speaker`: the named
/// speaker, or the extra behind "other" (DemoTruth::extraOf).
std::string demoSpeakerTypeOf(const data::DemoTruth& truth, std::size_t row, int speaker);

/// The demo corpus's ground truth against the measured reliance: per type its group (relianceGroup),
/// and Welch's t-test of voice-led against face-led on each speaker's (audio reliance - visual
/// reliance) of their own group, each named speaker and each extra with an utterance in the split
/// being one unit (the utterances of one speaker are not independent). In demo-null the types have
/// no effect, so a difference found there is a false positive of the method.
nlohmann::json relianceBySpeakerType(const data::Corpus& corpus, const data::DemoTruth& truth,
                                     const std::vector<UtteranceReliance>& utterances);

/// The explanations checked utterance by utterance against the generator's truth (which emotion the
/// audio and the visual features of each utterance show). Each figure is a proportion with its
/// Wilson 95% interval:
///  showing_beats_misleading: among correctly predicted utterances where exactly one of audio and
///    visual shows the gold emotion (faces present), the share where the showing modality's signed
///    Shapley value exceeds the misleading one's;
///  conflict_precision: among utterances of kind conflict (faces present), the share whose audio and
///    visual show different emotions; conflict_recall: among those, the share of kind conflict.
struct TruthFigure {
  double value = 0, low = 0, high = 0;  ///< k / n and its Wilson interval (NaN when n = 0)
  long k = 0, n = 0;
};
struct TruthCheck {
  TruthFigure showingBeatsMisleading, conflictPrecision, conflictRecall;
};
TruthCheck checkAgainstTruth(const data::Corpus& corpus, const data::DemoTruth& truth, const std::vector<UtteranceReliance>& utterances);
nlohmann::json truthCheckJson(const TruthCheck& t);

/// The object of `mlsan explain --json`: options, split, `utterances` (dialogue, utterance,
/// speaker, prediction, interaction, dominant, reliance {text, audio, visual} signed shares,
/// shapley, shapley_se, interactions (indices), interactions_se, drop, values, values_se),
/// `speakers` (relianceGroup per speaker), `interactions` (counts) and, when `truth` is given,
/// `by_speaker_type` and `validation` (checkAgainstTruth).
nlohmann::json relianceJson(const data::Corpus& corpus, data::Split split, const RelianceOptions& options,
                            const std::vector<UtteranceReliance>& utterances, const data::DemoTruth* truth);

}  // namespace mlsan::model
