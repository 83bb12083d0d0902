// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/run_data.h"

#include <QDir>
#include <QFileInfo>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "mlsan/model/run.h"

namespace mlsan::ui {

QString runDisplayName(const QString& variant, bool film, bool gate, bool aux) {
  if (variant == "multiemo" || (!film && !gate && !aux)) return QStringLiteral("MultiEMO");
  QStringList off;
  if (!film) off << "FiLM";
  if (!gate) off << "Gate";
  if (!aux) off << "Aux";
  return off.isEmpty() ? QStringLiteral("ML-SAN") : QStringLiteral("ML-SAN w/o ") + off.join(", ");
}

std::shared_ptr<const RunData> RunData::load(const QString& dirIn, const data::Corpus& corpus) {
  const QString dir = QDir(dirIn).absolutePath();
  const model::RunPaths paths(dir.toStdString());
  if (!QFileInfo(dir).isDir()) throw std::runtime_error(dir.toStdString() + ": no such run folder");
  auto run = std::make_shared<RunData>();
  run->dir = dir;

  nlohmann::json config;
  {
    std::ifstream in(paths.config());
    if (!in) throw std::runtime_error(paths.config() + ": missing; is " + dir.toStdString() + " a run folder from `mlsan train`?");
    try {
      in >> config;
    } catch (const std::exception& e) {
      throw std::runtime_error(paths.config() + ": not valid JSON (" + e.what() + ")");
    }
  }
  try {
    const auto& m = config.at("model");
    run->variant = QString::fromStdString(config.value("variant", std::string("mlsan")));
    run->hasGate = m.value("gate", false) && run->variant == "mlsan";
    run->name = runDisplayName(run->variant, m.value("film", false), m.value("gate", false), m.value("aux", false));
    const std::string sig = config.at("corpus").value("signature", std::string());
    if (!sig.empty() && sig != corpus.signature())
      throw std::runtime_error(paths.config() + ": this run was trained on corpus '" +
                               config.at("corpus").value("name", std::string("?")) + "' (signature " + sig +
                               "), not on the open corpus '" + corpus.name + "' (signature " + corpus.signature() + ")");
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(paths.config() + ": unexpected content (" + e.what() + ")");
  }
  {
    std::ifstream in(paths.metrics());
    nlohmann::json metrics;
    if (in) {
      try {
        in >> metrics;
        run->testWeightedF1 = metrics.value("weighted_f1", -1.0);
      } catch (const std::exception&) {
        // metrics.json is optional for browsing (an interrupted run has none yet).
      }
    }
  }

  std::vector<std::string> labelNames;
  const auto rows = model::readPredictions(paths.predictions(), &labelNames);
  if (labelNames != corpus.labels.labels)
    throw std::runtime_error(paths.predictions() + ": its labels do not match the open corpus's");
  run->numClasses = static_cast<int>(labelNames.size());
  const std::size_t n = corpus.numUtterances();
  run->prediction.assign(n, -1);
  run->probabilities.assign(n * static_cast<std::size_t>(run->numClasses), 0.0f);
  const float nan = std::nanf("");
  run->gateAudio.assign(n, nan);
  run->gateVisual.assign(n, nan);
  run->weightAudio.assign(n, nan);
  run->weightVisual.assign(n, nan);
  std::map<std::string, int> dialogueOf;
  for (std::size_t i = 0; i < corpus.dialogues.size(); ++i) dialogueOf[corpus.dialogues[i].key] = static_cast<int>(i);
  for (const auto& r : rows) {
    const auto it = dialogueOf.find(r.dialogue);
    if (it == dialogueOf.end())
      throw std::runtime_error(paths.predictions() + ": dialogue '" + r.dialogue + "' is not in the open corpus");
    const auto& d = corpus.dialogues[static_cast<std::size_t>(it->second)];
    if (r.index < 0 || r.index >= static_cast<int>(d.size()))
      throw std::runtime_error(paths.predictions() + ": dialogue '" + r.dialogue + "' has no utterance " + std::to_string(r.index));
    if (static_cast<int>(r.probabilities.size()) != run->numClasses)
      throw std::runtime_error(paths.predictions() + ": wrong number of probabilities");
    const std::size_t row = d.firstRow + static_cast<std::size_t>(r.index);
    if (run->prediction[row] < 0) ++run->covered;
    run->prediction[row] = r.prediction;
    std::copy(r.probabilities.begin(), r.probabilities.end(), run->probabilities.begin() + row * run->numClasses);
    run->gateAudio[row] = r.gateAudio;
    run->gateVisual[row] = r.gateVisual;
    run->weightAudio[row] = r.weightAudio;
    run->weightVisual[row] = r.weightVisual;
  }
  if (run->hasGate) {
    // A gated run writes its gates; if every one is missing the file says otherwise.
    bool any = false;
    for (float w : run->weightAudio) any = any || !std::isnan(w);
    run->hasGate = any;
  }
  return run;
}

std::shared_ptr<const RunData> RunData::loadWithSeeds(const QString& dirIn, const data::Corpus& corpus) {
  const QDir dir(dirIn);
  if (QFileInfo(dir.filePath("config.json")).exists() || !dir.exists()) return load(dirIn, corpus);
  QStringList runs;
  for (const QString& sub : dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name))
    if (QFileInfo(dir.filePath(sub + "/config.json")).exists()) runs << dir.filePath(sub);
  if (runs.isEmpty()) return load(dirIn, corpus);  // its error names the missing config.json
  auto first = std::const_pointer_cast<RunData>(load(runs.front(), corpus));
  for (int i = 1; i < runs.size(); ++i) {
    auto other = load(runs[i], corpus);
    if (other->name != first->name)
      throw std::runtime_error(runs[i].toStdString() + ": a " + other->name.toStdString() + " run among " +
                               first->name.toStdString() + " seeds");
    first->seeds.push_back(std::move(other));
  }
  return first;
}

}  // namespace mlsan::ui
