// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/analysis/disentangle.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <stdexcept>

namespace mlsan::analysis {
namespace {

/// Maps arbitrary labels to 0..k-1 (in increasing label order).
std::vector<int> denseLabels(const std::vector<int>& labels, int* k) {
  std::map<int, int> id;
  for (int l : labels) id.emplace(l, 0);
  int next = 0;
  for (auto& [l, v] : id) v = next++;
  std::vector<int> out(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) out[i] = id[labels[i]];
  *k = next;
  return out;
}

}  // namespace

namespace {

/// Silhouettes (scikit-learn's semantics) of several labellings of the same rows from one pass
/// over the pairwise distances, the O(n^2 d) part, rows in parallel. Each row's value is kept
/// and the mean taken in row order, so the result does not depend on the thread count. Empty
/// when `cancelled` said stop (asked on the calling thread before each block of 64 rows).
std::vector<double> silhouettes(const float* x, std::size_t n, std::size_t d, const std::vector<const std::vector<int>*>& labellings,
                                const CancelCheck& cancelled) {
  struct Dense {
    std::vector<int> labels;
    std::vector<long> size;
    int k = 0;
  };
  std::vector<Dense> sets;
  for (const auto* labelsIn : labellings) {
    if (labelsIn->size() != n) throw std::invalid_argument("silhouette: labels and rows differ in number");
    Dense s;
    s.labels = denseLabels(*labelsIn, &s.k);
    if (s.k < 2 || static_cast<std::size_t>(s.k) > n - 1)
      throw std::invalid_argument("silhouette: needs 2 <= number of labels <= samples - 1 (got " + std::to_string(s.k) +
                                  " labels for " + std::to_string(n) + " samples)");
    s.size.assign(static_cast<std::size_t>(s.k), 0);
    for (int l : s.labels) ++s.size[static_cast<std::size_t>(l)];
    sets.push_back(std::move(s));
  }
  const std::size_t L = sets.size();
  std::vector<double> perRow(n * L, 0.0);
  constexpr std::size_t kBlock = 64;  // rows between two cancel checks
  for (std::size_t first = 0; first < n; first += kBlock) {
    if (cancelled && cancelled()) return {};
    const long last = static_cast<long>(std::min(n, first + kBlock));
#pragma omp parallel
    {
      std::vector<double> dist(n);
      std::vector<double> sums;
#pragma omp for schedule(dynamic, 4)
      for (long ii = static_cast<long>(first); ii < last; ++ii) {
        const std::size_t i = static_cast<std::size_t>(ii);
        const float* xi = x + i * d;
        for (std::size_t j = 0; j < n; ++j) {
          const float* xj = x + j * d;
          double s = 0;
          for (std::size_t t = 0; t < d; ++t) {
            const double diff = static_cast<double>(xi[t]) - xj[t];
            s += diff * diff;
          }
          dist[j] = std::sqrt(s);
        }
        for (std::size_t l = 0; l < L; ++l) {
          const Dense& set = sets[l];
          sums.assign(static_cast<std::size_t>(set.k), 0.0);
          for (std::size_t j = 0; j < n; ++j)
            if (j != i) sums[static_cast<std::size_t>(set.labels[j])] += dist[j];
          const int own = set.labels[i];
          if (set.size[static_cast<std::size_t>(own)] <= 1) continue;  // s(i) = 0
          const double a = sums[static_cast<std::size_t>(own)] / static_cast<double>(set.size[static_cast<std::size_t>(own)] - 1);
          double b = INFINITY;
          for (int c = 0; c < set.k; ++c)
            if (c != own && set.size[static_cast<std::size_t>(c)] > 0)
              b = std::min(b, sums[static_cast<std::size_t>(c)] / static_cast<double>(set.size[static_cast<std::size_t>(c)]));
          const double m = std::max(a, b);
          perRow[i * L + l] = m > 0 ? (b - a) / m : 0.0;
        }
      }
    }
  }
  std::vector<double> out(L, 0.0);
  for (std::size_t l = 0; l < L; ++l) {
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) total += perRow[i * L + l];
    out[l] = total / static_cast<double>(n);
  }
  return out;
}

}  // namespace

double silhouetteScore(const float* x, std::size_t n, std::size_t d, const std::vector<int>& labels) {
  return silhouettes(x, n, d, {&labels}, {}).front();
}

std::vector<std::size_t> subsampleRows(std::size_t n, std::size_t maxSamples, std::uint64_t seed) {
  std::vector<std::size_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  if (n <= maxSamples) return idx;
  std::mt19937_64 g(seed);
  // A partial Fisher-Yates shuffle with our own index draw (std::uniform_int_distribution is
  // implementation-defined; this stays the same everywhere).
  for (std::size_t i = 0; i < maxSamples; ++i) {
    const std::size_t j = i + static_cast<std::size_t>(g() % (n - i));
    std::swap(idx[i], idx[j]);
  }
  idx.resize(maxSamples);
  std::sort(idx.begin(), idx.end());
  return idx;
}

namespace {

/// Multinomial logistic regression, fitted by L-BFGS on f(W) = C * sum(log-loss) + |W|^2 / 2
/// (the bias is not penalised, as in scikit-learn). W is [k x (d + 1)], the last column the bias.
class Softmax {
 public:
  Softmax(std::size_t d, int k) : d_(d), k_(k), w_(static_cast<std::size_t>(k) * (d + 1), 0.0) {}

  /// False when `cancelled` stopped it.
  bool fit(const std::vector<double>& x, const std::vector<int>& y, double c, int maxIterations, const CancelCheck& cancelled) {
    const std::size_t p = w_.size();
    const int m = 10;  // L-BFGS memory
    std::vector<std::vector<double>> s, yv;
    std::vector<double> rho;
    std::vector<double> g(p), gNew(p), dir(p), wNew(p);
    double f = objective(x, y, c, w_, &g);
    for (int it = 0; it < maxIterations; ++it) {
      if (cancelled && cancelled()) return false;
      // Two-loop recursion: dir = -H g.
      dir = g;
      std::vector<double> alpha(s.size());
      for (int i = static_cast<int>(s.size()) - 1; i >= 0; --i) {
        alpha[static_cast<std::size_t>(i)] = rho[static_cast<std::size_t>(i)] * dot(s[static_cast<std::size_t>(i)], dir);
        axpy(-alpha[static_cast<std::size_t>(i)], yv[static_cast<std::size_t>(i)], dir);
      }
      if (!s.empty()) {
        const double gamma = dot(s.back(), yv.back()) / dot(yv.back(), yv.back());
        for (double& v : dir) v *= gamma;
      } else {
        const double gn = std::sqrt(dot(g, g));
        for (double& v : dir) v /= std::max(1.0, gn);
      }
      for (std::size_t i = 0; i < s.size(); ++i) {
        const double beta = rho[i] * dot(yv[i], dir);
        axpy(alpha[i] - beta, s[i], dir);
      }
      for (double& v : dir) v = -v;
      double slope = dot(g, dir);
      if (slope >= 0) {  // not a descent direction: restart from the gradient
        s.clear(); yv.clear(); rho.clear();
        for (std::size_t i = 0; i < p; ++i) dir[i] = -g[i];
        slope = dot(g, dir);
      }
      // Backtracking line search (Armijo).
      double step = 1.0, fNew = 0;
      bool ok = false;
      for (int ls = 0; ls < 40; ++ls) {
        for (std::size_t i = 0; i < p; ++i) wNew[i] = w_[i] + step * dir[i];
        fNew = objective(x, y, c, wNew, &gNew);
        if (std::isfinite(fNew) && fNew <= f + 1e-4 * step * slope) { ok = true; break; }
        step *= 0.5;
      }
      if (!ok) break;
      std::vector<double> si(p), yi(p);
      for (std::size_t i = 0; i < p; ++i) { si[i] = wNew[i] - w_[i]; yi[i] = gNew[i] - g[i]; }
      const double sy = dot(si, yi);
      w_.swap(wNew);
      g.swap(gNew);
      const double improvement = f - fNew;
      f = fNew;
      if (sy > 1e-12) {
        s.push_back(std::move(si)); yv.push_back(std::move(yi)); rho.push_back(1.0 / sy);
        if (static_cast<int>(s.size()) > m) { s.erase(s.begin()); yv.erase(yv.begin()); rho.erase(rho.begin()); }
      }
      double gmax = 0;
      for (double v : g) gmax = std::max(gmax, std::abs(v));
      if (gmax < 1e-4 || improvement < 1e-10 * std::max(1.0, std::abs(f))) break;
    }
    return true;
  }

  int predict(const double* xi) const {
    int best = 0;
    double bestV = -INFINITY;
    for (int c = 0; c < k_; ++c) {
      const double* wc = w_.data() + static_cast<std::size_t>(c) * (d_ + 1);
      double v = wc[d_];
      for (std::size_t t = 0; t < d_; ++t) v += wc[t] * xi[t];
      if (v > bestV) { bestV = v; best = c; }
    }
    return best;
  }

 private:
  static double dot(const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
  }
  static void axpy(double a, const std::vector<double>& x, std::vector<double>& y) {
    for (std::size_t i = 0; i < x.size(); ++i) y[i] += a * x[i];
  }

  double objective(const std::vector<double>& x, const std::vector<int>& y, double c, const std::vector<double>& w,
                   std::vector<double>* grad) const {
    const std::size_t n = y.size(), k = static_cast<std::size_t>(k_), stride = d_ + 1;
    std::vector<double>& g = *grad;
    g.assign(w.size(), 0.0);
    double loss = 0;
    std::vector<double> z(k);
    for (std::size_t i = 0; i < n; ++i) {
      const double* xi = x.data() + i * d_;
      double zmax = -INFINITY;
      for (std::size_t cl = 0; cl < k; ++cl) {
        const double* wc = w.data() + cl * stride;
        double v = wc[d_];
        for (std::size_t t = 0; t < d_; ++t) v += wc[t] * xi[t];
        z[cl] = v;
        zmax = std::max(zmax, v);
      }
      double sum = 0;
      for (std::size_t cl = 0; cl < k; ++cl) { z[cl] = std::exp(z[cl] - zmax); sum += z[cl]; }
      const std::size_t yi = static_cast<std::size_t>(y[i]);
      loss += -(std::log(z[yi] / sum));
      for (std::size_t cl = 0; cl < k; ++cl) {
        const double r = c * (z[cl] / sum - (cl == yi ? 1.0 : 0.0));
        double* gc = g.data() + cl * stride;
        for (std::size_t t = 0; t < d_; ++t) gc[t] += r * xi[t];
        gc[d_] += r;
      }
    }
    double reg = 0;
    for (std::size_t cl = 0; cl < k; ++cl)
      for (std::size_t t = 0; t < d_; ++t) {
        const double v = w[cl * stride + t];
        reg += v * v;
        g[cl * stride + t] += v;
      }
    return c * loss + 0.5 * reg;
  }

  std::size_t d_;
  int k_;
  std::vector<double> w_;
};

}  // namespace

std::vector<int> assignFolds(const std::vector<int>& labels, const std::vector<int>& groups, int folds, std::uint64_t seed) {
  const std::size_t n = labels.size();
  if (!groups.empty() && groups.size() != n) throw std::invalid_argument("folds: groups and rows differ in number");
  std::vector<int> foldOf(n, 0);
  std::mt19937_64 g(seed);
  if (groups.empty()) {
    // Stratified: each class's rows, shuffled by seed, dealt round-robin.
    std::map<int, std::vector<std::size_t>> byClass;
    for (std::size_t i = 0; i < n; ++i) byClass[labels[i]].push_back(i);
    int dealt = 0;
    for (auto& [label, rows] : byClass) {
      for (std::size_t i = rows.size(); i > 1; --i) std::swap(rows[i - 1], rows[static_cast<std::size_t>(g() % i)]);
      for (std::size_t r : rows) foldOf[r] = dealt++ % folds;
    }
    return foldOf;
  }
  std::map<int, std::size_t> size;
  for (int id : groups) ++size[id];
  std::vector<std::pair<int, std::size_t>> order(size.begin(), size.end());
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[static_cast<std::size_t>(g() % i)]);
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<std::size_t> load(static_cast<std::size_t>(folds), 0);
  std::map<int, int> foldOfGroup;
  for (const auto& [id, rows] : order) {
    const auto lightest = static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
    foldOfGroup[id] = lightest;
    load[static_cast<std::size_t>(lightest)] += rows;
  }
  for (std::size_t i = 0; i < n; ++i) foldOf[i] = foldOfGroup[groups[i]];
  return foldOf;
}

namespace {
struct Split {
  std::vector<std::size_t> train, test;
};
using Splits = std::vector<Split>;

/// The probe over explicit splits (labels dense in 0..k-1): each split's model is fitted on its
/// training rows, standardised by their mean and s.d., and scored on its test rows; splits with no
/// training or no test rows are skipped. Sets accuracy (mean over the splits), its s.d., folds
/// (splits scored) and cancelled.
void probeSplits(const float* x, std::size_t d, const std::vector<int>& labels, int k, const Splits& splits, double c,
                 int maxIterations, const CancelCheck& cancelled, ProbeResult& result) {
  std::vector<double> accs;
  for (const Split& sp : splits) {
    if (cancelled && cancelled()) {
      result.cancelled = true;
      break;
    }
    const auto& train = sp.train;
    const auto& test = sp.test;
    if (test.empty() || train.empty()) continue;
    std::vector<double> mean(d, 0.0), sd(d, 0.0);
    for (std::size_t r : train)
      for (std::size_t t = 0; t < d; ++t) mean[t] += x[r * d + t];
    for (double& v : mean) v /= static_cast<double>(train.size());
    for (std::size_t r : train)
      for (std::size_t t = 0; t < d; ++t) { const double u = x[r * d + t] - mean[t]; sd[t] += u * u; }
    for (double& v : sd) { v = std::sqrt(v / static_cast<double>(train.size())); if (v < 1e-12) v = 1.0; }
    auto gather = [&](const std::vector<std::size_t>& rows, std::vector<double>* out, std::vector<int>* y) {
      out->resize(rows.size() * d);
      y->resize(rows.size());
      for (std::size_t i = 0; i < rows.size(); ++i) {
        for (std::size_t t = 0; t < d; ++t) (*out)[i * d + t] = (x[rows[i] * d + t] - mean[t]) / sd[t];
        (*y)[i] = labels[rows[i]];
      }
    };
    std::vector<double> xtr, xte;
    std::vector<int> ytr, yte;
    gather(train, &xtr, &ytr);
    gather(test, &xte, &yte);
    Softmax model(d, k);
    if (!model.fit(xtr, ytr, c, maxIterations, cancelled)) {
      result.cancelled = true;
      break;
    }
    long right = 0;
    for (std::size_t i = 0; i < yte.size(); ++i) right += model.predict(xte.data() + i * d) == yte[i];
    accs.push_back(static_cast<double>(right) / static_cast<double>(yte.size()));
  }
  result.folds = static_cast<int>(accs.size());
  double m = 0;
  for (double a : accs) m += a;
  m /= static_cast<double>(accs.size());
  double v = 0;
  for (double a : accs) v += (a - m) * (a - m);
  result.accuracy = m;
  result.accuracyStd = accs.size() > 1 ? std::sqrt(v / static_cast<double>(accs.size() - 1)) : 0.0;
}
}  // namespace

ProbeResult linearProbe(const float* x, std::size_t n, std::size_t d, const std::vector<int>& labelsIn, int folds,
                        double c, std::uint64_t seed, int maxIterations, const CancelCheck& cancelled,
                        const std::vector<int>& groups) {
  if (labelsIn.size() != n) throw std::invalid_argument("linear probe: labels and rows differ in number");
  if (folds < 2) throw std::invalid_argument("linear probe: needs at least 2 folds");
  int k = 0;
  const std::vector<int> labels = denseLabels(labelsIn, &k);
  if (k < 2) throw std::invalid_argument("linear probe: needs at least 2 labels");
  ProbeResult result;
  result.folds = folds;
  std::vector<long> count(static_cast<std::size_t>(k), 0);
  for (int l : labels) ++count[static_cast<std::size_t>(l)];
  result.chance = static_cast<double>(*std::max_element(count.begin(), count.end())) / static_cast<double>(n);

  const std::vector<int> foldOf = assignFolds(labels, groups, folds, seed);

  Splits splits;
  for (int f = 0; f < folds; ++f) {
    Split sp;
    for (std::size_t i = 0; i < n; ++i) (foldOf[i] == f ? sp.test : sp.train).push_back(i);
    splits.push_back(std::move(sp));
  }
  probeSplits(x, d, labels, k, splits, c, maxIterations, cancelled, result);
  return result;
}

ConditionalProbe conditionalProbe(const float* x, std::size_t n, std::size_t d, const std::vector<int>& labels,
                                  const std::vector<int>& given, int folds, double c, std::uint64_t seed, int maxIterations,
                                  const CancelCheck& cancelled, const std::vector<int>& groups) {
  if (labels.size() != n || given.size() != n) throw std::invalid_argument("conditional probe: labels and rows differ in number");
  if (!groups.empty() && groups.size() != n) throw std::invalid_argument("conditional probe: groups and rows differ in number");
  if (folds < 2) throw std::invalid_argument("conditional probe: needs at least 2 folds");
  std::map<int, std::vector<std::size_t>> rowsOf;
  for (std::size_t i = 0; i < n; ++i) rowsOf[given[i]].push_back(i);
  ConditionalProbe r;
  double acc = 0, chance = 0;
  for (const auto& [g, rows] : rowsOf) {
    if (rows.size() < static_cast<std::size_t>(2 * folds)) {
      r.rowsLeftOut += rows.size();
      continue;
    }
    ConditionalProbe::Group group;
    group.given = g;
    group.rows = rows.size();
    std::map<int, std::size_t> count;
    for (std::size_t i : rows) ++count[labels[i]];
    group.labels = static_cast<int>(count.size());
    if (group.labels == 1) {
      group.accuracy = group.chance = 1.0;
    } else {
      std::vector<float> sub(rows.size() * d);
      std::vector<int> subLabels(rows.size()), subGroups;
      for (std::size_t k = 0; k < rows.size(); ++k) {
        std::copy(x + rows[k] * d, x + (rows[k] + 1) * d, sub.begin() + static_cast<std::ptrdiff_t>(k * d));
        subLabels[k] = labels[rows[k]];
        if (!groups.empty()) subGroups.push_back(groups[rows[k]]);
      }
      const ProbeResult p = linearProbe(sub.data(), rows.size(), d, subLabels, folds, c, seed, maxIterations, cancelled, subGroups);
      if (p.cancelled) {
        r.cancelled = true;
        return r;
      }
      group.accuracy = p.accuracy;
      group.chance = p.chance;
      group.probed = true;
    }
    r.rows += group.rows;
    acc += group.accuracy * static_cast<double>(group.rows);
    chance += group.chance * static_cast<double>(group.rows);
    r.groups.push_back(group);
  }
  if (r.rows == 0) throw std::invalid_argument("conditional probe: no emotion has " + std::to_string(2 * folds) + " utterances");
  r.accuracy = acc / static_cast<double>(r.rows);
  r.chance = chance / static_cast<double>(r.rows);
  return r;
}

EmotionTransfer emotionTransfer(const float* x, std::size_t n, std::size_t d, const std::vector<int>& emotion,
                                const std::vector<int>& speaker, const std::vector<int>& groups, int folds, double c,
                                std::uint64_t seed, int maxIterations, const CancelCheck& cancelled) {
  if (emotion.size() != n || speaker.size() != n) throw std::invalid_argument("emotion transfer: labels and rows differ in number");
  EmotionTransfer t;
  std::map<int, int> speakers, emotions;
  for (int s : speaker) ++speakers[s];
  for (int e : emotion) ++emotions[e];
  t.speakers = static_cast<int>(speakers.size());
  if (t.speakers < 2 || emotions.size() < 2) {
    t.error = t.speakers < 2 ? "fewer than 2 speakers" : "fewer than 2 emotions";
    return t;
  }
  // Held-out speakers: folds grouped by speaker, and the other speakers' utterances of the test
  // speakers' dialogues left out of training too (the context features of one dialogue are
  // correlated, so they would carry its emotions across).
  int k = 0;
  const std::vector<int> dense = denseLabels(emotion, &k);
  const int speakerFolds = std::min(folds, t.speakers);
  const std::vector<int> foldOf = assignFolds(dense, speaker, speakerFolds, seed);
  Splits splits(static_cast<std::size_t>(speakerFolds));
  for (int f = 0; f < speakerFolds; ++f) {
    std::map<int, bool> testDialogue;
    for (std::size_t i = 0; i < n; ++i)
      if (foldOf[i] == f && !groups.empty()) testDialogue[groups[i]] = true;
    for (std::size_t i = 0; i < n; ++i) {
      if (foldOf[i] == f) splits[static_cast<std::size_t>(f)].test.push_back(i);
      else if (groups.empty() || !testDialogue.count(groups[i])) splits[static_cast<std::size_t>(f)].train.push_back(i);
    }
  }
  ProbeResult across;
  probeSplits(x, d, dense, k, splits, c, maxIterations, cancelled, across);
  {
    std::vector<long> count(static_cast<std::size_t>(k), 0);
    for (int l : dense) ++count[static_cast<std::size_t>(l)];
    across.chance = static_cast<double>(*std::max_element(count.begin(), count.end())) / static_cast<double>(n);
  }
  if (across.cancelled) {
    t.error = "cancelled";
    return t;
  }
  const ProbeResult within = linearProbe(x, n, d, emotion, folds, c, seed, maxIterations, cancelled, groups);
  if (within.cancelled) {
    t.error = "cancelled";
    return t;
  }
  t.acrossSpeakers = across.accuracy;
  t.withinSpeakers = within.accuracy;
  t.chance = across.chance;
  t.folds = across.folds;
  return t;
}

DisentangleNumbers measureDisentanglement(const float* x, std::size_t n, std::size_t d, const std::vector<int>& speaker,
                                          const std::vector<int>& emotion, int folds, std::uint64_t seed, int iterations,
                                          const CancelCheck& cancelled, const std::vector<int>& dialogue) {
  DisentangleNumbers r;
  r.foldsByDialogue = !dialogue.empty();
  r.samples = n;
  r.dims = d;
  const double nan = std::nan("");
  r.silhouetteSpeaker = r.silhouetteEmotion = nan;
  r.speakerProbe.accuracy = r.speakerProbe.accuracyStd = r.speakerProbe.chance = nan;
  r.speakerWithinEmotion.accuracy = r.speakerWithinEmotion.chance = nan;
  try {
    const std::vector<double> sil = silhouettes(x, n, d, {&speaker, &emotion}, cancelled);
    if (sil.empty()) {
      r.error = "cancelled";
      return r;
    }
    r.silhouetteSpeaker = sil[0];
    r.silhouetteEmotion = sil[1];
    const ProbeResult probe = linearProbe(x, n, d, speaker, folds, 1.0, seed, iterations, cancelled, dialogue);
    if (probe.cancelled) {
      r.error = "cancelled";
      return r;
    }
    r.speakerProbe = probe;
    try {
      r.speakerWithinEmotion = conditionalProbe(x, n, d, speaker, emotion, folds, 1.0, seed, iterations, cancelled, dialogue);
    } catch (const std::invalid_argument& e) {  // e.g. no emotion with enough utterances: the rest stands
      r.speakerWithinEmotion.error = e.what();
    }
    if (r.speakerWithinEmotion.cancelled) {
      r.error = "cancelled";
      return r;
    }
    r.emotionAcrossSpeakers = emotionTransfer(x, n, d, emotion, speaker, dialogue, folds, 1.0, seed, iterations, cancelled);
    if (r.emotionAcrossSpeakers.error == "cancelled") {
      r.error = "cancelled";
      return r;
    }
  } catch (const std::invalid_argument& e) {
    r.error = e.what();
  }
  return r;
}

}  // namespace mlsan::analysis
