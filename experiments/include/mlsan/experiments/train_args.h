// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The options of one `mlsan train`, as data: what an experiment's task, the studio's Training
// panel and a Slurm script hand to the command line. Defaults mean "the preset's". No torch,
// no Qt. Any thread.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mlsan::experiments {

struct TrainArgs {
  std::string corpus = "demo";
  std::string csvDir, clipsDir;  ///< MELD CSVs to join onto pickles, MELD.Raw clips
  std::string preset;            ///< empty: from the corpus's dataset
  std::string variant = "mlsan"; ///< mlsan or multiemo
  bool noFilm = false, noGate = false, noAux = false;
  double lambda = -1;            ///< < 0: the preset's
  std::string gateInput;         ///< "speaker" or "speaker+context"; "": the preset's
  double gateInit = -1;          ///< < 0: the preset's
  std::string gateForm;          ///< "": the preset's
  std::string auxGradient;       ///< "speaker", "full" or "balanced"; "": the preset's
  int epochs = 0;                ///< 0: the preset's
  int batchSize = 0;             ///< 0: the preset's
  int microBatch = -1;           ///< < 0: the preset's
  double speakerLrScale = -1;    ///< < 0: the preset's
  double lr = 0;                 ///< 0: the preset's
  std::vector<double> lossWeights;  ///< CE, SWFC, Soft-HGR; empty: the preset's
  double dropout = -1;           ///< < 0: the preset's (MultiEMO's dropout_rate)
  double recurrentDropout = -1;  ///< < 0: the preset's (MultiEMO's dropout_rec)
  bool noMaskPadding = false;    ///< MultiEMO's unmasked padding, bit for bit
  std::string selectOn;          ///< "val" or "test"; empty: "val"
  std::string valDraw;           ///< "seed" or "multiemo"; empty: "seed"
  std::uint64_t seed = 1;
  int threads = 2;
  std::string device = "cpu";

  /// The arguments after `mlsan train` (no --out, --resume or --events): --corpus and --seed
  /// always, every other option only when it differs from its default.
  std::vector<std::string> toArgs() const;
  nlohmann::json toJson() const;
  /// Missing keys keep their defaults; a wrong type throws nlohmann::json::exception.
  static TrainArgs fromJson(const nlohmann::json& j);
  /// The options a run folder was trained with (its config.json, model/run.h), to resume it
  /// or train it again. Throws std::runtime_error naming config.json.
  static TrainArgs fromRun(const std::string& runDir);
  /// "ML-SAN", "MultiEMO", "ML-SAN w/o FiLM", "ML-SAN w/o Gate, Aux", ...
  std::string variantTitle() const;
  /// True when FiLM, gate and auxiliary loss are all off (MultiEMO exactly).
  bool isMultiEmo() const { return variant == "multiemo" || (noFilm && noGate && noAux); }
};

/// The shortest decimal text that reads back as exactly `v` ("0.5", "0.0005", "1e-05").
std::string formatNumber(double v);
/// Quotes one argument for a POSIX shell ('...' with embedded quotes escaped) when it needs it.
std::string shellQuote(const std::string& arg);

}  // namespace mlsan::experiments
