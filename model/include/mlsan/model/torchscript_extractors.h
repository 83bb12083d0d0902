// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Plug-in feature extractors for `mlsan extract`: a TorchScript module per modality, under the
// contract in model/README.md ("Plug-in extractors"):
//   audio:  forward(x: Tensor[1, samples] float32, 16 kHz mono, +-1) -> [1, D], [D] or
//           [1, T, D] (averaged over T);
//   visual: forward(x: Tensor[N, 3, S, S] float32, RGB 0..1, N face crops of one utterance)
//           -> [N, D] (averaged over the crops) or [1, D]; S is the module's integer attribute
//           `input_size` when it has one, else 224;
//   text:   forward(ids: Tensor[1, L] int64 [, mask: Tensor[1, L] int64]) -> [1, D], [D] or
//           [1, L, D] (the first token's vector, BERT's [CLS]); the ids come from a WordPiece
//           vocabulary file (one token per line, the line number is the id).
// D is found by running the module once on a probe input when it is loaded; an output of another
// shape later is a problem for that utterance. The identity is the module file's content hash
// (and the vocabulary's). Torch-free header; the modules are called one at a time.
#include <memory>
#include <string>

#include "mlsan/extract/extractors.h"

namespace mlsan::model {

/// Each throws std::runtime_error naming the file when it cannot be loaded or fails the probe.
std::shared_ptr<extract::AudioExtractor> loadAudioModule(const std::string& path);
std::shared_ptr<extract::VisualExtractor> loadVisualModule(const std::string& path);
std::shared_ptr<extract::TextExtractor> loadTextModule(const std::string& path, const std::string& vocabPath);

/// The model files of one extraction; an empty path keeps the built-in extractor.
struct ExtractorFiles {
  std::string audio, visual, text, textVocab;
};
/// The built-in extractors with the given modules in their place. Throws std::runtime_error when
/// a module cannot be loaded, or when a text model comes without its vocabulary (or the reverse).
extract::Extractors loadExtractors(const ExtractorFiles& files);

}  // namespace mlsan::model
