// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// What a corpus argument names, and opening it: the built-in demo corpus, the project's own
// format, MultiEMO's feature pickles (joined with the MELD CSVs and linked to MELD.Raw clips
// when those are given or found beside them), a DialogueRNN/COSMIC annotation pickle, or the
// MELD CSVs alone. The one entry point the command line, the studio and the tests use.
// Any thread may call these; each call builds its own Corpus.
#include <string>

#include "mlsan/data/clips.h"
#include "mlsan/data/corpus.h"
#include "mlsan/data/demo_corpus.h"
#include "mlsan/data/multiemo_corpus.h"

namespace mlsan::data {

/// A corpus and the optional parts a real one takes. Its text form (toString/parse) is what a
/// run records, so `mlsan eval` can reopen exactly the same corpus:
///   PATH[;csv=DIR][;clips=DIR][;min-speaker=K][;nocache]
struct CorpusSource {
  std::string path;          ///< "demo", "demo:SEED", or a file or folder
  std::string csvDir;        ///< MELD CSVs to join onto pickles; "" = those beside `path`, if any
  std::string clipsDir;      ///< MELD.Raw folder (train_splits/, ...); "" = no clips
  int minSpeakerUtterances = 20;  ///< MELD: rarer speakers share "other" (the paper's k)
  bool useCache = true;      ///< parse pickles once, then open them from the binary cache
  std::string cacheDir;      ///< "" = defaultCacheDir() (not part of the text form)

  /// The text form, with absolute paths.
  std::string toString() const;
  /// Parses the text form (a plain path is the simplest case). Throws std::invalid_argument.
  static CorpusSource parse(const std::string& text);
};

/// What opening a corpus found besides the corpus itself.
struct OpenReport {
  CorpusKind kind = CorpusKind::Unknown;
  bool demo = false;
  DemoConfig demoConfig;     ///< the demo corpus's configuration, when `demo`
  DemoTruth demoTruth;       ///< what its modalities show, when `demo` or `demoTruthKnown`
  /// A demo corpus written to a folder (`mlsan corpus demo --out`) with its recipe (demo.json):
  /// the truth was regenerated from the recipe and the corpus matched it (signature), so
  /// demoTruth holds; `demo` stays false (its clips are not rendered).
  bool demoTruthKnown = false;
  bool clipsLinked = false;  ///< a clips folder was given and scanned
  ClipReport clips;
  bool cacheHit = false;
  std::string cacheNote;     ///< why the cache was not used, when it was not
  double seconds = 0;        ///< wall time of the whole open
};

/// Writes demo.json, the generator's recipe (demoKnobs), into a corpus folder written from a demo
/// corpus, so that opening the folder knows the truth (OpenReport::demoTruthKnown). Atomic.
void writeDemoRecipe(const std::string& dir, const DemoConfig& config);

/// Opens what `source` names. Throws std::runtime_error naming the file (and dialogue) and the
/// problem; a missing CSV join or missing clips are not errors but entries in Corpus::problems.
Corpus openCorpus(const CorpusSource& source, OpenReport* report = nullptr);

}  // namespace mlsan::data
