// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The MultiEMO goldens' files and dialogues (tests/golden/multiemo/), torch-free: for the engine
// tests (multiemo_golden.h) and the studio's test of an imported MultiEMO model.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mlsan/data/atomic_file.h"
#include "mlsan/data/corpus.h"

namespace multiemo_golden {
namespace data = mlsan::data;
using json = nlohmann::json;

inline std::string golden(const std::string& file) { return std::string(MLSAN_TEST_SOURCE_DIR) + "/golden/multiemo/" + file; }

inline const json& goldenJson() {
  static const json j = json::parse(data::readFile(golden("golden.json")));
  return j;
}

/// The golden dialogues as a corpus (speaker identity = party: MultiEMO knows only parties).
inline data::Corpus corpusOf(const std::string& form, const json& dialogues, const std::vector<data::Split>& splits = {}) {
  const json& c = goldenJson()["forms"][form]["config"];
  data::Corpus corpus;
  corpus.name = "MultiEMO golden (" + form + ")";
  corpus.dataset = form;
  corpus.labels = form == "meld" ? data::meldLabels() : data::iemocapLabels();
  corpus.dimText = c["dim_text"];
  corpus.dimAudio = c["dim_audio"];
  corpus.dimVisual = c["dim_visual"];
  for (int p = 0; p < c["parties"].get<int>(); ++p) corpus.speakers.push_back("party " + std::to_string(p));
  for (std::size_t k = 0; k < dialogues.size(); ++k) {
    const json& d = dialogues[k];
    data::Dialogue dialogue;
    dialogue.key = std::to_string(k);
    dialogue.split = k < splits.size() ? splits[k] : data::Split::Train;
    for (std::size_t t = 0; t < d["label"].size(); ++t) {
      data::Utterance u;
      u.party = u.speaker = d["party"][t];
      u.label = d["label"][t];
      u.utteranceId = static_cast<int>(t);
      dialogue.utterances.push_back(u);
    }
    for (const char* m : {"text", "audio", "visual"}) {
      auto& dst = std::string(m) == "text" ? corpus.text : std::string(m) == "audio" ? corpus.audio : corpus.visual;
      for (const auto& v : d[m]) dst.push_back(v.get<float>());
    }
    corpus.dialogues.push_back(std::move(dialogue));
  }
  corpus.reindexRows();
  corpus.validate();
  return corpus;
}

}  // namespace multiemo_golden
