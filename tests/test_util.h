// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Small corpora and configurations shared by the engine tests.
#include "mlsan/data/demo_corpus.h"
#include "mlsan/model/config.h"
#include "mlsan/model/engine.h"

namespace testing_util {

/// A small demo corpus with small dims: fast to train, same generator.
inline mlsan::data::Corpus tinyCorpus(int dialogues = 48, std::uint64_t seed = 3) {
  mlsan::data::DemoConfig c;
  c.seed = seed;
  c.dialogues = dialogues;
  c.dimText = 24;
  c.dimAudio = 16;
  c.dimVisual = 20;
  c.latentDim = 8;
  c.maxTurns = 10;
  return mlsan::data::makeDemoCorpus(c);
}

inline mlsan::model::ModelConfig tinyConfig(const mlsan::data::Corpus& corpus) {
  auto p = mlsan::model::preset("demo");
  p.model.d = 16;
  p.model.heads = 2;
  p.model.mlpHidden = 16;
  p.model.speakerDim = 8;
  p.model.dropout = 0.1;
  mlsan::model::fitConfigToCorpus(p.model, corpus);
  return p.model;
}

inline mlsan::model::TrainConfig tinyTrain(int epochs = 3) {
  auto t = mlsan::model::preset("demo").train;
  t.epochs = epochs;
  t.batchSize = 8;
  t.threads = 1;
  t.lr = 2e-3;
  return t;
}

inline int longestDialogue(const mlsan::data::Corpus& c) {
  int best = 0;
  for (std::size_t i = 0; i < c.dialogues.size(); ++i)
    if (c.dialogues[i].size() > c.dialogues[best].size()) best = static_cast<int>(i);
  return best;
}

}  // namespace testing_util
