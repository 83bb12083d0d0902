// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The corpus model: Corpus > dialogues > utterances, with feature matrices stored
// contiguously (row-major, one row per utterance, rows in dialogue order).
// Plain data: safe to share read-only across threads (e.g. std::shared_ptr<const Corpus>).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mlsan::data {

enum class Split : std::uint8_t { Train = 0, Dev = 1, Test = 2 };
const char* splitName(Split s);
/// Parses "train", "dev"/"valid"/"validation", "test"; throws std::invalid_argument.
Split parseSplit(const std::string& s);

/// An ordered label set; a label id is an index into `labels`.
struct LabelSet {
  std::string name;                 ///< "meld" or "iemocap"
  std::vector<std::string> labels;  ///< in the dataset's canonical (MultiEMO) order
  int size() const { return static_cast<int>(labels.size()); }
  /// Index of a label name (case-insensitive), or -1.
  int indexOf(const std::string& label) const;
};
/// MELD, MultiEMO's order: neutral 0, surprise 1, fear 2, sadness 3, joy 4, disgust 5, anger 6.
LabelSet meldLabels();
/// IEMOCAP, MultiEMO's order: happiness 0, sadness 1, neutral 2, anger 3, excitement 4, frustration 5.
LabelSet iemocapLabels();

/// One utterance. Optional metadata is empty / negative when unknown.
struct Utterance {
  int speaker = 0;        ///< global speaker identity (index into Corpus::speakers)
  int party = 0;          ///< the speaker's position within its dialogue (0..8), as MultiEMO uses
  int label = -1;         ///< label id, -1 when unlabelled
  int utteranceId = -1;   ///< id within the dialogue as the source numbers it
  std::string transcript;
  double startSeconds = -1.0;
  double endSeconds = -1.0;
  std::string clipPath;
};

struct Dialogue {
  std::string key;        ///< the dataset's dialogue key (MELD: numeric key, IEMOCAP: "Ses01F_impro01")
  Split split = Split::Train;
  int season = -1;
  int episode = -1;
  std::size_t firstRow = 0;  ///< row of the first utterance in the feature matrices
  std::vector<Utterance> utterances;
  std::size_t size() const { return utterances.size(); }
};

struct Corpus {
  std::string name;      ///< human-readable name ("demo (seed 7)", "MELD", ...)
  std::string dataset;   ///< "meld", "iemocap" or "demo"
  LabelSet labels;
  std::vector<std::string> speakers;  ///< global identities; by convention the last may be "other"
  int dimText = 0, dimAudio = 0, dimVisual = 0;
  std::vector<Dialogue> dialogues;
  std::vector<float> text, audio, visual;  ///< [numUtterances x dim*] row-major
  /// Non-fatal findings of the reader that built this corpus (repaired text, clips missing,
  /// speakers mapped to "other", ...), one sentence each; `mlsan inspect` lists them.
  std::vector<std::string> problems;
  /// How `speakers` were obtained: "names" (MELD CSV), "actors" (IEMOCAP session + gender),
  /// "party" (within-dialogue position only: no global identity known), "demo".
  std::string speakerSource = "demo";

  std::size_t numUtterances() const;
  bool hasFeatures() const { return dimText > 0 && !text.empty(); }
  const float* textRow(std::size_t row) const { return text.data() + row * dimText; }
  const float* audioRow(std::size_t row) const { return audio.data() + row * dimAudio; }
  const float* visualRow(std::size_t row) const { return visual.data() + row * dimVisual; }
  int maxParties() const;
  /// Recomputes Dialogue::firstRow from the dialogue order.
  void reindexRows();
  /// A stable 64-bit signature of the corpus content (structure, labels, speakers and
  /// features); a checkpoint stores it so it can refuse a different corpus.
  std::string signature() const;
  /// Throws std::runtime_error naming the first inconsistency (sizes, label range, NaN).
  void validate() const;
};

}  // namespace mlsan::data
