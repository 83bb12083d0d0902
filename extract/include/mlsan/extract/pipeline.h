// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// `mlsan extract` and File > New corpus from videos: an ExtractPlan's media through the three
// extractors into a corpus in the project's format (data/corpus_io.h), in parallel over
// utterances, cancellable and resumable. Per utterance: the span's audio, decoded with FFmpeg
// and resampled to 16 kHz mono; up to 20 video frames spread over the span, the largest face in
// each (OpenCV), cropped square and resized to the visual extractor's side; the transcript.
//
// Output folder:
//   corpus.json, features.f32   the corpus (clips linked: each utterance's video and span)
//   extract-report.json         the report (the --json object below), also when cancelled
//   cache/                      one file per utterance and modality, keyed by the video's
//                               content hash (XXH3), the span and the extractor's identity;
//                               cache/files.json remembers hashes by size and modification time
// A rerun with `resume` reuses every cache entry whose key still matches, so only what changed
// is extracted again. Nothing is half-written: each file is written atomically, and a cancelled
// run writes no corpus.
//
// Problems are reported per utterance and the rest is extracted: a file that is missing, not a
// video, truncated or without an audio or video stream, a span that is empty or past the end, an
// extractor that throws (a TorchScript module with the wrong output shape). The modality that
// failed is stored as zeros; the utterance counts as failed. No face in any sampled frame is not
// a failure: the visual vector is zeros, as MultiEMO stores it, and the report flags it.
#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "mlsan/extract/extractors.h"
#include "mlsan/extract/plan.h"

namespace mlsan::extract {

struct ExtractOptions {
  std::string outDir;
  int threads = 0;      ///< workers; 0: one per core
  bool resume = false;  ///< reuse the cache of a previous extraction into outDir
  /// Called from the workers (serialised) after each utterance: done, total, seconds of media
  /// done, seconds elapsed. May be empty.
  std::function<void(long done, long total, double media, double elapsed)> progress;
  /// Called (serialised) for each problem as it is found. May be empty.
  std::function<void(const SourceProblem& problem)> problem;
  /// Set to stop: the workers finish their current utterance, which is cached, and stop.
  const std::atomic<bool>* cancel = nullptr;
};

struct ExtractReport {
  std::string source, outDir;
  long utterances = 0;   ///< in the plan
  long extracted = 0;    ///< every modality extracted (from the media or the cache)
  long failed = 0;       ///< at least one modality failed (zeros stored)
  long noFace = 0;       ///< no face in any sampled frame (zeros stored; not a failure)
  long fromCache = 0;    ///< utterances whose audio and visual vectors came from the cache
  double secondsOfMedia = 0;  ///< the spans' total length
  double seconds = 0;    ///< wall time
  int threads = 0;
  bool cancelled = false;
  std::vector<SourceProblem> problems;  ///< the readers' and the extraction's, per utterance
  std::string audioExtractor, visualExtractor, textExtractor;
  int dimAudio = 0, dimVisual = 0, dimText = 0;
  /// The --json object: utterances, extracted, failed, seconds_of_media, seconds, problems
  /// [{video, utterance, reason}], and more (no_face, from_cache, cancelled, extractors, ...).
  std::string json() const;
};

/// Runs the extraction. Throws std::runtime_error before doing anything when outDir cannot be
/// written, already holds an extraction and `resume` is off, or OpenCV's face cascade is missing.
ExtractReport runExtraction(ExtractPlan plan, const Extractors& extractors, const ExtractOptions& options);

}  // namespace mlsan::extract
