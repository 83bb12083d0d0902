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
  /// "mean": replaced by its mean over the corpus's training split (the default: an
  /// uninformative but typical input); "zero": all zeros (how MultiEMO stores a missing face).
  std::string absent = "mean";
  /// "dialogue": removed at every utterance of the dialogue (the default: the recurrent context
  /// carries a modality forward, so removing it at one utterance leaves its copy in the context
  /// and understates what the prediction rests on; 8 passes per batch); "utterance": removed at
  /// the explained utterance only (its direct use; 8 passes over as many copies of the dialogue as it has utterances).
  std::string scope = "dialogue";
  /// Throws std::invalid_argument naming the bad value.
  void check() const;
  /// "mean-dialogue": part of the file name of the stored results.
  std::string key() const;
};

/// What the 8 passes give for one utterance.
struct UtteranceReliance {
  int dialogue = 0;       ///< index into corpus.dialogues
  int index = 0;          ///< position within the dialogue
  int prediction = -1;    ///< with all three present
  std::array<double, 8> value{};   ///< log p(prediction) with the modalities of the mask present
  std::array<int, 8> predicted{};  ///< the class predicted with the modalities of the mask present
};

/// The interaction type of one utterance, after M2Lens (Wang et al., IEEE VIS 2021). The rule,
/// on the Shapley values phi and shares s = |phi| / sum |phi|, applied in this order:
///  conflict:   some modality has phi < 0 and s >= 0.2: it pushes substantially towards other
///              classes than the prediction;
///  dominance:  one modality has s >= 0.6 and, alone, predicts the same class: it decides;
///  complement: otherwise: the prediction rests on several modalities together.
enum class Interaction { Dominance, Complement, Conflict };
const char* interactionName(Interaction i);  ///< "dominance", "complement", "conflict"
constexpr double kConflictShare = 0.2, kDominanceShare = 0.6;

struct RelianceScores {
  std::array<double, 3> shapley{};  ///< per modality (text, audio, visual); sum = value[7] - value[0]
  std::array<double, 3> share{};    ///< |shapley| normalised to sum to 1 (1/3 each when all are 0)
  std::array<double, 3> drop{};     ///< leave-one-out: value[7] - value[7 without m]
  Interaction interaction = Interaction::Complement;
  int dominant = -1;                ///< the deciding modality under dominance, else -1
};
RelianceScores scoreReliance(const UtteranceReliance& u);

/// The explain files of a run: RUN/explain/reliance-SPLIT-ABSENT-SCOPE.csv (one row per
/// utterance: dialogue key, utterance, speaker, prediction, v0..v7, c0..c7) and a .json beside it
/// saying which checkpoint and corpus produced it. Both written atomically, the CSV first.
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

/// Mean shares of one group of utterances, each with its 95% CI (Student's t).
struct RelianceGroup {
  std::string name;
  int utterances = 0;
  std::array<double, 3> mean{}, std{}, low{}, high{};  ///< per modality, shares
};
/// Per speaker (corpus.speakers order), the speakers with at least one utterance.
std::vector<RelianceGroup> relianceBySpeaker(const data::Corpus& corpus, const std::vector<UtteranceReliance>& utterances);

/// A demo speaker's type from the generator's truth: "voice-led" (audio the more reliable),
/// "face-led" (visual), "balanced".
std::string demoSpeakerType(const data::DemoTruth::Speaker& s);
/// The type of the speaker of corpus row `row`, whose corpus speaker is `speaker`: the named
/// speaker, or the extra behind "other" (DemoTruth::extraOf).
std::string demoSpeakerTypeOf(const data::DemoTruth& truth, std::size_t row, int speaker);

/// The demo corpus's ground truth against the measured reliance: per type the mean shares, and
/// Welch's t-test of voice-led against face-led on the per-speaker mean of (audio share - visual
/// share), each named speaker and each extra with an utterance in the split being one unit (the
/// utterances of one speaker are not independent); the same test over utterances for reference.
nlohmann::json relianceBySpeakerType(const data::Corpus& corpus, const data::DemoTruth& truth,
                                     const std::vector<UtteranceReliance>& utterances);

/// The object of `mlsan explain --json`: options, split, `utterances` (dialogue, utterance,
/// speaker, prediction, interaction, dominant, reliance {text, audio, visual} shares, shapley,
/// drop, values), `speakers` (per speaker the mean shares with CIs), `interactions` (counts) and,
/// when `truth` is given, `by_speaker_type`.
nlohmann::json relianceJson(const data::Corpus& corpus, data::Split split, const RelianceOptions& options,
                            const std::vector<UtteranceReliance>& utterances, const data::DemoTruth* truth);

}  // namespace mlsan::model
