// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/analysis/metrics.h"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace mlsan::analysis {

ClassReport classificationReport(const std::vector<int>& yTrue, const std::vector<int>& yPred, std::vector<int> labels) {
  if (yTrue.size() != yPred.size()) throw std::invalid_argument("classificationReport: y_true and y_pred differ in length");
  if (yTrue.empty()) throw std::invalid_argument("classificationReport: no samples");
  if (labels.empty()) {
    std::set<int> u(yTrue.begin(), yTrue.end());
    u.insert(yPred.begin(), yPred.end());
    labels.assign(u.begin(), u.end());
  }
  ClassReport r;
  r.labels = labels;
  const std::size_t k = labels.size();
  auto find = [&labels](int y) -> long {
    const auto it = std::find(labels.begin(), labels.end(), y);
    return it == labels.end() ? -1L : static_cast<long>(it - labels.begin());
  };
  r.confusion.assign(k, std::vector<long>(k, 0));
  long correct = 0;
  for (std::size_t i = 0; i < yTrue.size(); ++i) {
    if (yTrue[i] == yPred[i]) ++correct;
    const long a = find(yTrue[i]), b = find(yPred[i]);
    if (a >= 0 && b >= 0) ++r.confusion[a][b];
  }
  r.accuracy = static_cast<double>(correct) / yTrue.size();
  r.precision.assign(k, 0); r.recall.assign(k, 0); r.f1.assign(k, 0); r.support.assign(k, 0);
  long totalSupport = 0;
  for (std::size_t c = 0; c < k; ++c) {
    long tp = r.confusion[c][c], predicted = 0, actual = 0;
    for (std::size_t j = 0; j < k; ++j) { predicted += r.confusion[j][c]; actual += r.confusion[c][j]; }
    r.support[c] = actual;  // with explicit labels, only samples among them count (as sklearn)
    totalSupport += actual;
    r.precision[c] = predicted ? static_cast<double>(tp) / predicted : 0.0;
    r.recall[c] = actual ? static_cast<double>(tp) / actual : 0.0;
    // sklearn: F = 2tp / (2tp + fp + fn), 0 when the denominator is 0.
    const long fpfn = (predicted - tp) + (actual - tp);
    r.f1[c] = (2 * tp + fpfn) ? 2.0 * tp / (2.0 * tp + fpfn) : 0.0;
  }
  double sumF1 = 0;
  for (std::size_t c = 0; c < k; ++c) {
    sumF1 += r.f1[c];
    if (totalSupport) {
      const double w = static_cast<double>(r.support[c]) / totalSupport;
      r.weightedF1 += w * r.f1[c];
      r.weightedPrecision += w * r.precision[c];
      r.weightedRecall += w * r.recall[c];
    }
  }
  r.macroF1 = k ? sumF1 / k : 0.0;
  return r;
}

double weightedF1(const std::vector<int>& yTrue, const std::vector<int>& yPred) {
  return classificationReport(yTrue, yPred).weightedF1;
}

std::vector<std::vector<double>> rowNormalised(const std::vector<std::vector<long>>& confusion) {
  std::vector<std::vector<double>> out(confusion.size());
  for (std::size_t i = 0; i < confusion.size(); ++i) {
    long s = 0;
    for (long v : confusion[i]) s += v;
    out[i].resize(confusion[i].size());
    for (std::size_t j = 0; j < confusion[i].size(); ++j) out[i][j] = s ? static_cast<double>(confusion[i][j]) / s : 0.0;
  }
  return out;
}

}  // namespace mlsan::analysis
