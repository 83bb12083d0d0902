// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Numbers that say whether features were disentangled from the speaker (the paper's
// Fig. 5 as a measured statement): the silhouette of a labelling (by speaker, by emotion) and the
// cross-validated accuracy of a linear probe that predicts a label from the features. Before and
// after FiLM calibration, speakers should mix (silhouette and probe accuracy fall) while
// emotions should not. Pure functions on a row-major [n x d] float matrix; any thread.
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mlsan::analysis {

/// Asked between steps of long measures (every row block, fold and optimiser iteration); true
/// stops the measure early. Called from the measuring thread.
using CancelCheck = std::function<bool()>;

/// scikit-learn's silhouette_score with the Euclidean metric: the mean over samples of
/// (b - a) / max(a, b), where a is the mean distance to the sample's own cluster and b the
/// smallest mean distance to another cluster; 0 for a sample alone in its cluster. Needs
/// 2 <= number of labels <= n - 1 (std::invalid_argument otherwise). O(n^2 d), rows spread over
/// OpenMP's threads; pass a subsample (subsampleRows) for large n.
double silhouetteScore(const float* x, std::size_t n, std::size_t d, const std::vector<int>& labels);

/// Indices of a deterministic subsample of at most `maxSamples` rows (all rows when n is
/// smaller), in increasing order.
std::vector<std::size_t> subsampleRows(std::size_t n, std::size_t maxSamples, std::uint64_t seed);

struct ProbeResult {
  double accuracy = 0;        ///< mean held-out accuracy over the folds
  double accuracyStd = 0;     ///< its standard deviation over the folds
  double chance = 0;          ///< the majority class's share: what a probe learns from nothing
  int folds = 0;
  bool cancelled = false;     ///< stopped early: the accuracy is of the folds that finished
};

/// The cross-validation fold of each row. With `groups` (one id per row, e.g. the row's dialogue):
/// every group lies whole in one fold, so correlated rows (the utterances of one dialogue, which
/// share its context) never sit on both sides of a split; groups are dealt largest first to the
/// fold with the fewest rows, ties in a random order drawn from `seed` (scikit-learn's GroupKFold,
/// shuffled). Without groups: stratified by label, each label's rows shuffled by `seed` and dealt
/// round-robin. Fewer groups than folds leave folds empty (a probe skips them).
std::vector<int> assignFolds(const std::vector<int>& labels, const std::vector<int>& groups, int folds, std::uint64_t seed);

/// A linear probe: multinomial logistic regression on standardised features with an L2 penalty
/// (scikit-learn's LogisticRegression(C) objective, C * sum of log-losses + |W|^2 / 2), fitted
/// by full-batch L-BFGS, scored by k-fold cross-validation with folds from assignFolds (grouped
/// when `groups` is given, else stratified by row). Labels are any non-negative ints. `folds` in
/// the result counts the folds that had rows to test.
/// A cancelled probe says so and returns what the finished folds gave.
ProbeResult linearProbe(const float* x, std::size_t n, std::size_t d, const std::vector<int>& labels,
                        int folds = 5, double c = 1.0, std::uint64_t seed = 1, int maxIterations = 200,
                        const CancelCheck& cancelled = {}, const std::vector<int>& groups = {});

/// The speaker probe *within* each emotion: speaker identity that merely follows from speakers'
/// different emotion mixes is not counted. For each emotion, a linearProbe of the speaker on that
/// emotion's rows alone; its chance is the emotion's majority speaker share, so the row-weighted
/// chance is what knowing the emotion alone gives. An emotion spoken by one speaker only counts with
/// accuracy = chance = 1 (the emotion gives the speaker away; nothing to probe); an emotion with
/// fewer than 2 * folds rows is left out (`rowsLeftOut`).
struct ConditionalProbe {
  struct Group {
    int given = 0;            ///< the emotion
    std::size_t rows = 0;
    int labels = 0;           ///< speakers among its rows
    double accuracy = 0, chance = 0;
    bool probed = false;      ///< false: one speaker only (accuracy = chance = 1)
  };
  std::vector<Group> groups;
  double accuracy = 0;        ///< row-weighted mean over the groups
  double chance = 0;          ///< row-weighted majority share: the accuracy from the emotion alone
  std::size_t rows = 0, rowsLeftOut = 0;
  bool cancelled = false;
  std::string error;          ///< set by measureDisentanglement when it could not be measured (NaN numbers)
};
ConditionalProbe conditionalProbe(const float* x, std::size_t n, std::size_t d, const std::vector<int>& labels,
                                  const std::vector<int>& given, int folds = 5, double c = 1.0, std::uint64_t seed = 1,
                                  int maxIterations = 200, const CancelCheck& cancelled = {}, const std::vector<int>& groups = {});

/// The paper's Fig. 5 claim as a test: does emotion look the same across speakers? A linear
/// emotion probe trained on some speakers' utterances and tested on speakers it never saw (folds
/// grouped by speaker; with `groups`, the other speakers' utterances of the test speakers'
/// dialogues are left out of training too, since a dialogue's context features carry its emotions),
/// against the same probe tested on speakers it was trained on (folds grouped by `groups`, the
/// dialogues; by row without them). Features that speak each speaker's own
/// "dialect" of emotion read well within speakers and worse across them; after a calibration that
/// removes the speaker's style the two should meet.
struct EmotionTransfer {
  double acrossSpeakers = std::nan("");  ///< held-out speakers
  double withinSpeakers = std::nan("");  ///< speakers seen in training
  double chance = std::nan("");          ///< the majority emotion's share
  int speakers = 0;                      ///< distinct speakers
  int folds = 0;                         ///< speaker folds with rows (at most `folds`, at most the speakers)
  std::string error;                     ///< why it was not measured (fewer than 2 speakers or emotions)
  double gap() const { return withinSpeakers - acrossSpeakers; }
};
EmotionTransfer emotionTransfer(const float* x, std::size_t n, std::size_t d, const std::vector<int>& emotion,
                                const std::vector<int>& speaker, const std::vector<int>& groups = {}, int folds = 5,
                                double c = 1.0, std::uint64_t seed = 1, int maxIterations = 100, const CancelCheck& cancelled = {});

/// The numbers the embedding views and `mlsan disentangle` show for one feature set: silhouette
/// by speaker and by emotion, the speaker probe, and the speaker probe within each emotion.
/// `error` is set (and the numbers left NaN) when a measure is undefined, e.g. fewer than two
/// speakers, or "cancelled" when `cancelled` stopped it. Both silhouettes come from one pass over
/// the pairwise distances.
/// `dialogue` (one id per row; may be empty) groups the probes' folds by dialogue (assignFolds).
struct DisentangleNumbers {
  std::size_t samples = 0, dims = 0;
  double silhouetteSpeaker = 0, silhouetteEmotion = 0;
  ProbeResult speakerProbe;
  ConditionalProbe speakerWithinEmotion;
  EmotionTransfer emotionAcrossSpeakers;
  bool foldsByDialogue = false;  ///< the probes' folds were grouped by dialogue
  std::string error;
};
DisentangleNumbers measureDisentanglement(const float* x, std::size_t n, std::size_t d, const std::vector<int>& speaker,
                                          const std::vector<int>& emotion, int folds = 5, std::uint64_t seed = 1,
                                          int iterations = 100, const CancelCheck& cancelled = {},
                                          const std::vector<int>& dialogue = {});

/// What a probe's numbers say, by the rule stated in analysis/README.md ("In words"): a lift of at
/// least kSpeakerLiftPoints points over chance counts as decodable.
constexpr double kSpeakerLiftPoints = 5.0;
enum class SpeakerInformation {
  None,             ///< the probe does not beat chance, overall or within emotions
  ThroughEmotion,   ///< it beats chance overall, not within emotions: the speakers' emotion mixes
  BeyondEmotion,    ///< it beats chance within emotions: entangled with the features themselves
  Decodable         ///< it beats chance overall; within emotions could not be measured
};
SpeakerInformation speakerInformation(const DisentangleNumbers& n);

/// One sentence that says in words what one representation's numbers mean, e.g. "Audio (after
/// FiLM): speaker identity is decodable beyond what the emotion explains (within each emotion
/// 87.4% against 19.7% by chance). Against Audio (raw): speaker information beyond emotion +54.7
/// points; emotion silhouette -0.014 -> -0.013." `previous` (with `previousName`) is the stage
/// before it in the model, or null. The CLI and the studio print this same sentence.
std::string describeDisentanglement(const std::string& name, const DisentangleNumbers& n,
                                    const std::string& previousName = {}, const DisentangleNumbers* previous = nullptr);

}  // namespace mlsan::analysis
