// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The built-in audio extractor of `mlsan extract` (issue 18): no weights, always available.
// From 16 kHz mono samples, per 25 ms frame every 10 ms: log-mel filterbank energies, MFCCs with
// their deltas and delta-deltas, log energy and the pitch (F0) by normalised autocorrelation;
// then one vector per utterance, the statistics of those frames (audioVectorLayout). The maths
// is written out in extract/README.md; tests/golden/make_audio_golden.py computes the same
// features with numpy, and the tests hold both to each other. Pure functions; any thread.
#include <cstddef>
#include <string>
#include <vector>

namespace mlsan::extract {

struct AudioFeatureConfig {
  int sampleRate = 16000;
  int frameLength = 400;      ///< samples per frame (25 ms)
  int hop = 160;              ///< samples between frame starts (10 ms)
  int fftSize = 512;          ///< the frame is zero-padded to this (a power of two)
  double preEmphasis = 0.97;  ///< x[t] - a x[t-1] before the spectrum (not for energy and pitch)
  int melBands = 40;
  double minHz = 20.0, maxHz = 8000.0;  ///< the filterbank's edges (maxHz clipped to Nyquist)
  int mfccs = 13;             ///< cepstral coefficients kept, c0 included
  int deltaWidth = 2;         ///< N of the delta regression over frames t-N..t+N
  double minPitchHz = 80.0, maxPitchHz = 400.0;  ///< a lag may be at most half a frame: 80 Hz for 25 ms
  double voicing = 0.6;       ///< a frame is voiced when its best normalised autocorrelation reaches this
  double silenceRms = 1e-3;   ///< frames quieter than this (RMS, full scale 1) are unvoiced
};

/// Frame-level features, row-major [frames x k].
struct AudioFrames {
  int frames = 0;
  std::vector<float> logMel;   ///< [frames x melBands], natural log of the filterbank energy (floor 1e-10)
  std::vector<float> mfcc;     ///< [frames x mfccs], orthonormal DCT-II of logMel
  std::vector<float> delta;    ///< [frames x mfccs]
  std::vector<float> delta2;   ///< [frames x mfccs], the delta of delta
  std::vector<float> logEnergy;  ///< [frames], log of the frame's mean square (floor 1e-10)
  std::vector<float> pitchHz;    ///< [frames], F0 in Hz, 0 when unvoiced
};

/// Frames of `n` samples. A signal shorter than one frame is zero-padded to one frame; n = 0
/// gives 0 frames. Throws std::invalid_argument for a config that cannot work (fftSize not a power
/// of two or below frameLength, bands above the FFT's resolution, ...).
AudioFrames audioFrames(const float* samples, std::size_t n, const AudioFeatureConfig& config = {});

/// The utterance vector: the mean and then the standard deviation over frames of [logMel, mfcc,
/// delta, delta2, logEnergy], followed by the voiced fraction and the mean and standard deviation
/// of log2(F0) over the voiced frames (0 when none). Empty input gives zeros.
std::vector<float> audioVector(const AudioFrames& frames, const AudioFeatureConfig& config = {});
std::vector<float> audioVector(const float* samples, std::size_t n, const AudioFeatureConfig& config = {});

/// The vector's length: 2 * (melBands + 3 * mfccs + 1) + 3 (163 with the defaults).
int audioVectorDim(const AudioFeatureConfig& config = {});
/// The name of each component ("mean logmel 0", ..., "sd energy", "voiced fraction", ...).
std::vector<std::string> audioVectorLayout(const AudioFeatureConfig& config = {});

/// The mel scale (HTK): 2595 log10(1 + f / 700), and its inverse.
double hzToMel(double hz);
double melToHz(double mel);

}  // namespace mlsan::extract
