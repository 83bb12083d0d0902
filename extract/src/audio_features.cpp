// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/extract/audio_features.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <stdexcept>

namespace mlsan::extract {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kFloor = 1e-10;

/// In-place iterative radix-2 FFT (size a power of two).
void fft(std::vector<std::complex<double>>& a) {
  const std::size_t n = a.size();
  for (std::size_t i = 1, j = 0; i < n; ++i) {
    std::size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  for (std::size_t len = 2; len <= n; len <<= 1) {
    const double angle = -2 * kPi / static_cast<double>(len);
    const std::complex<double> step(std::cos(angle), std::sin(angle));
    for (std::size_t i = 0; i < n; i += len) {
      std::complex<double> w(1.0, 0.0);
      for (std::size_t k = 0; k < len / 2; ++k) {
        const auto u = a[i + k], v = a[i + k + len / 2] * w;
        a[i + k] = u + v;
        a[i + k + len / 2] = u - v;
        w *= step;
      }
    }
  }
}

/// Triangular mel filters over the FFT bins [bands x (fftSize/2 + 1)], weights from each bin's
/// frequency (peak 1, no area normalisation).
std::vector<double> melFilterbank(const AudioFeatureConfig& c) {
  const int bins = c.fftSize / 2 + 1;
  const double top = std::min(c.maxHz, c.sampleRate / 2.0);
  const double lo = hzToMel(c.minHz), hi = hzToMel(top);
  std::vector<double> edges(static_cast<std::size_t>(c.melBands + 2));
  for (int i = 0; i < c.melBands + 2; ++i) edges[static_cast<std::size_t>(i)] = melToHz(lo + (hi - lo) * i / (c.melBands + 1));
  std::vector<double> w(static_cast<std::size_t>(c.melBands) * static_cast<std::size_t>(bins), 0.0);
  for (int m = 0; m < c.melBands; ++m) {
    const double left = edges[static_cast<std::size_t>(m)], centre = edges[static_cast<std::size_t>(m) + 1],
                 right = edges[static_cast<std::size_t>(m) + 2];
    for (int k = 0; k < bins; ++k) {
      const double f = static_cast<double>(k) * c.sampleRate / c.fftSize;
      double v = 0;
      if (f > left && f <= centre) v = (f - left) / (centre - left);
      else if (f > centre && f < right) v = (right - f) / (right - centre);
      w[static_cast<std::size_t>(m) * static_cast<std::size_t>(bins) + static_cast<std::size_t>(k)] = v;
    }
  }
  return w;
}

/// Regression deltas over frames t-N..t+N, the edge frames repeated.
std::vector<float> deltas(const std::vector<float>& x, int frames, int k, int width) {
  std::vector<float> d(x.size(), 0.0f);
  double denominator = 0;
  for (int n = 1; n <= width; ++n) denominator += 2.0 * n * n;
  for (int t = 0; t < frames; ++t)
    for (int j = 0; j < k; ++j) {
      double s = 0;
      for (int n = 1; n <= width; ++n) {
        const int after = std::min(frames - 1, t + n), before = std::max(0, t - n);
        s += n * (static_cast<double>(x[static_cast<std::size_t>(after * k + j)]) - x[static_cast<std::size_t>(before * k + j)]);
      }
      d[static_cast<std::size_t>(t * k + j)] = static_cast<float>(s / denominator);
    }
  return d;
}

/// F0 of one frame by normalised autocorrelation: the first lag whose correlation reaches 90% of
/// the best one in the pitch range (which keeps a period's multiples from winning), refined by a
/// parabola through it and its neighbours. 0 when unvoiced.
double framePitch(const double* x, int n, const AudioFeatureConfig& c) {
  double mean = 0;
  for (int i = 0; i < n; ++i) mean += x[i];
  mean /= n;
  std::vector<double> y(static_cast<std::size_t>(n));
  double power = 0;
  for (int i = 0; i < n; ++i) {
    y[static_cast<std::size_t>(i)] = x[i] - mean;
    power += y[static_cast<std::size_t>(i)] * y[static_cast<std::size_t>(i)];
  }
  if (std::sqrt(power / n) < c.silenceRms) return 0.0;
  const int minLag = std::max(2, static_cast<int>(std::floor(c.sampleRate / c.maxPitchHz)));
  const int maxLag = std::min(n / 2, static_cast<int>(std::ceil(c.sampleRate / c.minPitchHz)));
  if (maxLag <= minLag + 1) return 0.0;
  std::vector<double> r(static_cast<std::size_t>(maxLag + 2), 0.0);
  for (int lag = minLag - 1; lag <= maxLag + 1 && lag < n; ++lag) {
    double xy = 0, xx = 0, yy = 0;
    for (int i = 0; i + lag < n; ++i) {
      const double a = y[static_cast<std::size_t>(i)], b = y[static_cast<std::size_t>(i + lag)];
      xy += a * b;
      xx += a * a;
      yy += b * b;
    }
    r[static_cast<std::size_t>(lag)] = xx > 0 && yy > 0 ? xy / std::sqrt(xx * yy) : 0.0;
  }
  double best = -1;
  for (int lag = minLag; lag <= maxLag; ++lag) best = std::max(best, r[static_cast<std::size_t>(lag)]);
  if (best < c.voicing) return 0.0;
  int pick = minLag;
  for (int lag = minLag; lag <= maxLag; ++lag)
    if (r[static_cast<std::size_t>(lag)] >= 0.9 * best) {
      pick = lag;
      while (pick < maxLag && r[static_cast<std::size_t>(pick) + 1] > r[static_cast<std::size_t>(pick)]) ++pick;  // climb to the peak
      break;
    }
  const double a = r[static_cast<std::size_t>(pick) - 1], b = r[static_cast<std::size_t>(pick)], d = r[static_cast<std::size_t>(pick) + 1];
  const double curve = a - 2 * b + d;
  const double shift = curve < 0 ? std::clamp(0.5 * (a - d) / curve, -0.5, 0.5) : 0.0;
  return c.sampleRate / (pick + shift);
}

void checkConfig(const AudioFeatureConfig& c) {
  const bool pow2 = c.fftSize > 0 && (c.fftSize & (c.fftSize - 1)) == 0;
  if (c.sampleRate <= 0 || c.frameLength <= 1 || c.hop <= 0 || !pow2 || c.fftSize < c.frameLength)
    throw std::invalid_argument("audio features: needs a positive sample rate, frame and hop, and a power-of-two FFT size >= the frame");
  if (c.melBands < 1 || c.mfccs < 1 || c.mfccs > c.melBands || c.deltaWidth < 1)
    throw std::invalid_argument("audio features: needs 1 <= mfccs <= melBands and deltaWidth >= 1");
  if (!(c.minHz >= 0 && c.minHz < std::min(c.maxHz, c.sampleRate / 2.0)))
    throw std::invalid_argument("audio features: the filterbank needs 0 <= minHz < min(maxHz, Nyquist)");
  if (!(c.minPitchHz > 0 && c.minPitchHz < c.maxPitchHz)) throw std::invalid_argument("audio features: needs 0 < minPitchHz < maxPitchHz");
}

}  // namespace

double hzToMel(double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); }
double melToHz(double mel) { return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0); }

int audioVectorDim(const AudioFeatureConfig& c) { return 2 * (c.melBands + 3 * c.mfccs + 1) + 3; }

std::vector<std::string> audioVectorLayout(const AudioFeatureConfig& c) {
  std::vector<std::string> names;
  for (const char* stat : {"mean", "sd"}) {
    for (int i = 0; i < c.melBands; ++i) names.push_back(std::string(stat) + " logmel " + std::to_string(i));
    for (const char* part : {"mfcc", "delta", "delta2"})
      for (int i = 0; i < c.mfccs; ++i) names.push_back(std::string(stat) + " " + part + " " + std::to_string(i));
    names.push_back(std::string(stat) + " energy");
  }
  names.insert(names.end(), {"voiced fraction", "mean log2 f0", "sd log2 f0"});
  return names;
}

AudioFrames audioFrames(const float* samples, std::size_t n, const AudioFeatureConfig& c) {
  checkConfig(c);
  AudioFrames f;
  if (n == 0) return f;
  const std::size_t len = static_cast<std::size_t>(c.frameLength), hop = static_cast<std::size_t>(c.hop);
  const std::size_t padded = std::max(n, len);
  f.frames = static_cast<int>(1 + (padded - len) / hop);
  std::vector<double> x(padded, 0.0);
  for (std::size_t i = 0; i < n; ++i) x[i] = samples[i];
  std::vector<double> emphasised(padded);
  for (std::size_t i = 0; i < padded; ++i) emphasised[i] = x[i] - (i > 0 ? c.preEmphasis * x[i - 1] : 0.0);
  std::vector<double> window(len);
  for (std::size_t i = 0; i < len; ++i) window[i] = 0.54 - 0.46 * std::cos(2 * kPi * static_cast<double>(i) / static_cast<double>(len - 1));
  const std::vector<double> bank = melFilterbank(c);
  const int bins = c.fftSize / 2 + 1, B = c.melBands, K = c.mfccs, T = f.frames;
  f.logMel.resize(static_cast<std::size_t>(T * B));
  f.mfcc.resize(static_cast<std::size_t>(T * K));
  f.logEnergy.resize(static_cast<std::size_t>(T));
  f.pitchHz.resize(static_cast<std::size_t>(T));
  std::vector<std::complex<double>> spectrum(static_cast<std::size_t>(c.fftSize));
  std::vector<double> power(static_cast<std::size_t>(bins));
  for (int t = 0; t < T; ++t) {
    const std::size_t start = static_cast<std::size_t>(t) * hop;
    double energy = 0;
    for (std::size_t i = 0; i < len; ++i) energy += x[start + i] * x[start + i];
    f.logEnergy[static_cast<std::size_t>(t)] = static_cast<float>(std::log(std::max(energy / static_cast<double>(len), kFloor)));
    f.pitchHz[static_cast<std::size_t>(t)] = static_cast<float>(framePitch(x.data() + start, c.frameLength, c));
    std::fill(spectrum.begin(), spectrum.end(), std::complex<double>(0.0, 0.0));
    for (std::size_t i = 0; i < len; ++i) spectrum[i] = emphasised[start + i] * window[i];
    fft(spectrum);
    for (int k = 0; k < bins; ++k) power[static_cast<std::size_t>(k)] = std::norm(spectrum[static_cast<std::size_t>(k)]) / c.fftSize;
    std::vector<double> mel(static_cast<std::size_t>(B));
    for (int m = 0; m < B; ++m) {
      double s = 0;
      const double* w = bank.data() + static_cast<std::size_t>(m) * static_cast<std::size_t>(bins);
      for (int k = 0; k < bins; ++k) s += w[k] * power[static_cast<std::size_t>(k)];
      mel[static_cast<std::size_t>(m)] = std::log(std::max(s, kFloor));
      f.logMel[static_cast<std::size_t>(t * B + m)] = static_cast<float>(mel[static_cast<std::size_t>(m)]);
    }
    // Orthonormal DCT-II: c_q = s_q sum_m mel_m cos(pi q (m + 1/2) / B), s_0 = sqrt(1/B), else sqrt(2/B).
    for (int q = 0; q < K; ++q) {
      double s = 0;
      for (int m = 0; m < B; ++m) s += mel[static_cast<std::size_t>(m)] * std::cos(kPi * q * (m + 0.5) / B);
      f.mfcc[static_cast<std::size_t>(t * K + q)] = static_cast<float>(s * std::sqrt((q == 0 ? 1.0 : 2.0) / B));
    }
  }
  f.delta = deltas(f.mfcc, T, K, c.deltaWidth);
  f.delta2 = deltas(f.delta, T, K, c.deltaWidth);
  return f;
}

std::vector<float> audioVector(const AudioFrames& f, const AudioFeatureConfig& c) {
  std::vector<float> out(static_cast<std::size_t>(audioVectorDim(c)), 0.0f);
  if (f.frames == 0) return out;
  const int T = f.frames;
  // The per-frame rows, side by side: logMel, mfcc, delta, delta2, energy.
  const std::vector<std::pair<const std::vector<float>*, int>> parts = {
      {&f.logMel, c.melBands}, {&f.mfcc, c.mfccs}, {&f.delta, c.mfccs}, {&f.delta2, c.mfccs}, {&f.logEnergy, 1}};
  const std::size_t width = static_cast<std::size_t>(c.melBands + 3 * c.mfccs + 1);
  std::size_t column = 0;
  for (const auto& [values, k] : parts) {
    for (int j = 0; j < k; ++j, ++column) {
      double mean = 0;
      for (int t = 0; t < T; ++t) mean += (*values)[static_cast<std::size_t>(t * k + j)];
      mean /= T;
      double var = 0;
      for (int t = 0; t < T; ++t) {
        const double d = (*values)[static_cast<std::size_t>(t * k + j)] - mean;
        var += d * d;
      }
      out[column] = static_cast<float>(mean);
      out[width + column] = static_cast<float>(std::sqrt(var / T));
    }
  }
  std::vector<double> logF0;
  for (float p : f.pitchHz)
    if (p > 0) logF0.push_back(std::log2(static_cast<double>(p)));
  const std::size_t tail = 2 * width;
  out[tail] = static_cast<float>(static_cast<double>(logF0.size()) / T);
  if (!logF0.empty()) {
    double mean = 0;
    for (double v : logF0) mean += v;
    mean /= static_cast<double>(logF0.size());
    double var = 0;
    for (double v : logF0) var += (v - mean) * (v - mean);
    out[tail + 1] = static_cast<float>(mean);
    out[tail + 2] = static_cast<float>(std::sqrt(var / static_cast<double>(logF0.size())));
  }
  return out;
}

std::vector<float> audioVector(const float* samples, std::size_t n, const AudioFeatureConfig& c) {
  return audioVector(audioFrames(samples, n, c), c);
}

}  // namespace mlsan::extract
