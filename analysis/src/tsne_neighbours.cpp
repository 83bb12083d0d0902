// SPDX-License-Identifier: GPL-3.0-or-later
// Exact k nearest neighbours for t-SNE: squared distances |a|^2 + |b|^2 - 2 a.b computed in
// blocks, the dot products by an AVX2/FMA kernel when the CPU has one (4 x 2 rows at a time)
// and by plain loops otherwise; per query row a bounded max-heap keeps the k best, ordered by
// (distance, index) so the result does not depend on blocking or threads.
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

#include "mlsan/analysis/tsne.h"

namespace mlsan::analysis {
namespace {

constexpr std::size_t kQueryBlock = 64;
constexpr std::size_t kCandidateBlock = 512;

__attribute__((target("avx2,fma"))) inline float hsum(__m256 v) {
  const __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  __m128 s = _mm_add_ps(lo, hi);
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

/// out[i * nb + j] = dot(a_i, b_j) for a [na x dp], b [nb x dp] (rows padded to dp, a multiple of 8).
__attribute__((target("avx2,fma"))) void dotBlockAvx2(const float* a, std::size_t na, const float* b, std::size_t nb,
                                                      std::size_t dp, float* out) {
  std::size_t i = 0;
  for (; i + 4 <= na; i += 4) {
    const float* a0 = a + i * dp;
    const float* a1 = a0 + dp;
    const float* a2 = a1 + dp;
    const float* a3 = a2 + dp;
    std::size_t j = 0;
    for (; j + 2 <= nb; j += 2) {
      const float* b0 = b + j * dp;
      const float* b1 = b0 + dp;
      __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
      __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
      for (std::size_t k = 0; k < dp; k += 8) {
        const __m256 vb0 = _mm256_loadu_ps(b0 + k), vb1 = _mm256_loadu_ps(b1 + k);
        __m256 va = _mm256_loadu_ps(a0 + k);
        c00 = _mm256_fmadd_ps(va, vb0, c00);
        c01 = _mm256_fmadd_ps(va, vb1, c01);
        va = _mm256_loadu_ps(a1 + k);
        c10 = _mm256_fmadd_ps(va, vb0, c10);
        c11 = _mm256_fmadd_ps(va, vb1, c11);
        va = _mm256_loadu_ps(a2 + k);
        c20 = _mm256_fmadd_ps(va, vb0, c20);
        c21 = _mm256_fmadd_ps(va, vb1, c21);
        va = _mm256_loadu_ps(a3 + k);
        c30 = _mm256_fmadd_ps(va, vb0, c30);
        c31 = _mm256_fmadd_ps(va, vb1, c31);
      }
      out[i * nb + j] = hsum(c00);
      out[i * nb + j + 1] = hsum(c01);
      out[(i + 1) * nb + j] = hsum(c10);
      out[(i + 1) * nb + j + 1] = hsum(c11);
      out[(i + 2) * nb + j] = hsum(c20);
      out[(i + 2) * nb + j + 1] = hsum(c21);
      out[(i + 3) * nb + j] = hsum(c30);
      out[(i + 3) * nb + j + 1] = hsum(c31);
    }
    for (; j < nb; ++j) {
      const float* b0 = b + j * dp;
      for (std::size_t r = 0; r < 4; ++r) {
        __m256 c = _mm256_setzero_ps();
        for (std::size_t k = 0; k < dp; k += 8)
          c = _mm256_fmadd_ps(_mm256_loadu_ps(a + (i + r) * dp + k), _mm256_loadu_ps(b0 + k), c);
        out[(i + r) * nb + j] = hsum(c);
      }
    }
  }
  for (; i < na; ++i)
    for (std::size_t j = 0; j < nb; ++j) {
      __m256 c = _mm256_setzero_ps();
      for (std::size_t k = 0; k < dp; k += 8)
        c = _mm256_fmadd_ps(_mm256_loadu_ps(a + i * dp + k), _mm256_loadu_ps(b + j * dp + k), c);
      out[i * nb + j] = hsum(c);
    }
}

/// The same products in plain C++ with eight partial sums (the order the AVX2 kernel uses,
/// up to its horizontal sum).
void dotBlockPlain(const float* a, std::size_t na, const float* b, std::size_t nb, std::size_t dp, float* out) {
  for (std::size_t i = 0; i < na; ++i)
    for (std::size_t j = 0; j < nb; ++j) {
      float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      const float* ai = a + i * dp;
      const float* bj = b + j * dp;
      for (std::size_t k = 0; k < dp; k += 8)
        for (int l = 0; l < 8; ++l) lanes[l] += ai[k + l] * bj[k + l];
      out[i * nb + j] = ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
    }
}

bool cpuHasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

}  // namespace

void exactNeighbours(const float* x, std::size_t n, std::size_t d, int k, int threads, std::vector<int>& indices,
                     std::vector<float>& sqDistances) {
  if (k < 1 || static_cast<std::size_t>(k) >= n)
    throw std::invalid_argument("nearest neighbours: k = " + std::to_string(k) + " needs 1 <= k < rows (" +
                                std::to_string(n) + ")");
  const std::size_t dp = (d + 7) / 8 * 8;
  std::vector<float> xp(n * dp, 0.0f);
  std::vector<float> norms(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::memcpy(&xp[i * dp], x + i * d, d * sizeof(float));
    double s = 0;
    for (std::size_t j = 0; j < d; ++j) s += static_cast<double>(x[i * d + j]) * x[i * d + j];
    norms[i] = static_cast<float>(s);
  }
  const bool avx2 = cpuHasAvx2();
  const std::size_t ku = static_cast<std::size_t>(k);
  indices.assign(n * ku, 0);
  sqDistances.assign(n * ku, 0.0f);
  const long blocks = static_cast<long>((n + kQueryBlock - 1) / kQueryBlock);
#pragma omp parallel num_threads(threads > 0 ? threads : omp_get_max_threads())
  {
    std::vector<float> dots(kQueryBlock * kCandidateBlock);
    std::vector<std::vector<std::pair<float, int>>> heaps(kQueryBlock);
#pragma omp for schedule(dynamic, 1)
    for (long qb = 0; qb < blocks; ++qb) {
      const std::size_t q0 = static_cast<std::size_t>(qb) * kQueryBlock;
      const std::size_t qn = std::min(kQueryBlock, n - q0);
      for (std::size_t r = 0; r < qn; ++r) heaps[r].clear();
      for (std::size_t c0 = 0; c0 < n; c0 += kCandidateBlock) {
        const std::size_t cn = std::min(kCandidateBlock, n - c0);
        if (avx2) dotBlockAvx2(&xp[q0 * dp], qn, &xp[c0 * dp], cn, dp, dots.data());
        else dotBlockPlain(&xp[q0 * dp], qn, &xp[c0 * dp], cn, dp, dots.data());
        for (std::size_t r = 0; r < qn; ++r) {
          const std::size_t qi = q0 + r;
          auto& heap = heaps[r];
          for (std::size_t c = 0; c < cn; ++c) {
            const std::size_t cj = c0 + c;
            if (cj == qi) continue;
            const float dist = std::max(0.0f, norms[qi] + norms[cj] - 2.0f * dots[r * cn + c]);
            const std::pair<float, int> item(dist, static_cast<int>(cj));
            if (heap.size() < ku) {
              heap.push_back(item);
              std::push_heap(heap.begin(), heap.end());
            } else if (item < heap.front()) {
              std::pop_heap(heap.begin(), heap.end());
              heap.back() = item;
              std::push_heap(heap.begin(), heap.end());
            }
          }
        }
      }
      for (std::size_t r = 0; r < qn; ++r) {
        auto& heap = heaps[r];
        std::sort_heap(heap.begin(), heap.end());
        for (std::size_t j = 0; j < ku; ++j) {
          indices[(q0 + r) * ku + j] = heap[j].second;
          sqDistances[(q0 + r) * ku + j] = heap[j].first;
        }
      }
    }
  }
}

}  // namespace mlsan::analysis
