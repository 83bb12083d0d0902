// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The project's own corpus format: a folder with
//   corpus.json   metadata: dataset, labels, speakers, dims, dialogues and utterances
//   features.f32  magic "MLSANF1\0", uint64 rows, int32 dims (text, audio, visual), then
//                 float32 little-endian rows: all text rows, all audio rows, all visual rows.
// Both files are written atomically. Any thread may call these.
#include <string>

#include "mlsan/data/corpus.h"

namespace mlsan::data {

void writeCorpus(const Corpus& corpus, const std::string& dir);
/// Throws std::runtime_error naming the file and the problem.
Corpus readCorpus(const std::string& dir);

/// Opens what a command-line corpus argument names: "demo" (the built-in corpus, default
/// seed), "demo:SEED", a folder in the project's format, or a real corpus in the text form of
/// CorpusSource (corpus_source.h). Throws std::runtime_error.
Corpus openCorpus(const std::string& spec);

}  // namespace mlsan::data
