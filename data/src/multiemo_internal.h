// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Internal to mlsan_data: what the MultiEMO annotation reader hands to the feature reader.
#include <string>
#include <unordered_set>
#include <vector>

#include "mlsan/data/multiemo_corpus.h"
#include "mlsan/data/pickle.h"

namespace mlsan::data {

struct AnnotationResult {
  Corpus corpus;                          ///< dialogues, labels, speakers; no features yet
  std::vector<PyValue> keys;              ///< each corpus dialogue's key as the pickle holds it
  std::unordered_set<std::string> allKeys;  ///< hashKey() of every dialogue of the pickle (in a split or not)
};

/// Reads the annotation fields of a MultiEMO Speakers.pkl or DialogueRNN/COSMIC pickle.
AnnotationResult readAnnotations(const PyValue& root, const std::string& file, const MultiEmoOptions& options);
/// A dialogue key as text: an int in decimal, a str as is.
std::string dialogueKeyText(const PyValue& key);

}  // namespace mlsan::data
