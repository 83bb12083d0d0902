// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Classification metrics with scikit-learn's semantics:
// labels = sorted union of the true and predicted labels (unless given), per-class
// precision/recall/F1 set to 0 where undefined, weighted average by support.
// Pure functions; any thread.
#include <vector>

namespace mlsan::analysis {

struct ClassReport {
  std::vector<int> labels;          ///< the label ids the rows/columns refer to
  std::vector<double> precision, recall, f1;
  std::vector<long> support;        ///< true count per label
  std::vector<std::vector<long>> confusion;  ///< rows = true, columns = predicted
  double accuracy = 0;
  double weightedF1 = 0, weightedPrecision = 0, weightedRecall = 0;
  double macroF1 = 0;
};

/// `labels` empty: the sorted union of yTrue and yPred (sklearn's default).
/// Throws std::invalid_argument when the sizes differ or the input is empty.
ClassReport classificationReport(const std::vector<int>& yTrue, const std::vector<int>& yPred,
                                 std::vector<int> labels = {});

/// Weighted F1 (sklearn f1_score(average="weighted")), as a fraction in [0, 1].
double weightedF1(const std::vector<int>& yTrue, const std::vector<int>& yPred);

/// Row-normalised confusion matrix (each row sums to 1, zero rows stay zero).
std::vector<std::vector<double>> rowNormalised(const std::vector<std::vector<long>>& confusion);

}  // namespace mlsan::analysis
