// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/run_data.h"

#include <QDir>
#include <QFileInfo>
#include <cmath>
#include <map>

#include "mlsan/model/engine.h"
#include "mlsan/model/run.h"

namespace mlsan::ui {

namespace {
model::RelianceOptions& relianceOptionsOfTheStudio() {
  static model::RelianceOptions o;
  return o;
}
}  // namespace

const model::RelianceOptions& studioRelianceOptions() { return relianceOptionsOfTheStudio(); }
void setStudioRelianceDraws(int draws) { relianceOptionsOfTheStudio().draws = draws; }

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

  const model::RunConfig config = model::readRunConfig(dir.toStdString());
  const model::ModelConfig& m = config.model;
  run->variant = QString::fromStdString(m.isMultiEMO() ? "multiemo" : "mlsan");
  run->hasGate = m.gate && !m.isMultiEMO();
  run->name = runDisplayName(run->variant, m.film, m.gate, m.aux);
  // A model trained in Python by MultiEMO's code is not the same run as ours: say so, so that the
  // two can sit side by side (a run of the same name replaces the other).
  if (config.origin == "python-multiemo") run->name += m.maskPadding ? " (Python, masked)" : " (Python)";
  if (!config.corpusSignature.empty() && config.corpusSignature != corpus.signature())
    throw std::runtime_error(paths.config() + ": this run was trained on corpus '" + config.corpusName + "' (signature " +
                             config.corpusSignature + "), not on the open corpus '" + corpus.name + "' (signature " +
                             corpus.signature() + ")");
  // metrics.json is optional for browsing (an interrupted run has none yet, a damaged one is no
  // reason to refuse the predictions).
  if (QFileInfo::exists(QString::fromStdString(paths.metrics()))) {
    try {
      run->testWeightedF1 = model::readTestWeightedF1(dir.toStdString());
    } catch (const std::exception&) {
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
  for (auto* v : {&run->gainAudio, &run->gainVisual, &run->usedAudio, &run->usedVisual, &run->relianceText, &run->relianceAudio,
                  &run->relianceVisual, &run->shapleyText, &run->shapleyAudio, &run->shapleyVisual})
    v->assign(n, nan);
  run->interaction.assign(n, -1);
  run->dominant.assign(n, -1);
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
    run->gainAudio[row] = r.gainAudio;
    run->gainVisual[row] = r.gainVisual;
    run->usedAudio[row] = r.usedAudio;
    run->usedVisual[row] = r.usedVisual;
  }
  if (run->hasGate) {
    // A gated run writes its gates; if every one is missing the file says otherwise.
    bool any = false;
    for (float w : run->weightAudio) any = any || !std::isnan(w);
    run->hasGate = any;
  }
  // Reliance measured before (RUN/explain/, by mlsan explain or the studio) and still current.
  try {
    model::RelianceStamp stamp;
    stamp.checkpoint = model::checkpointStamp(dir.toStdString());
    stamp.corpusSignature = corpus.signature();
    std::vector<model::UtteranceReliance> all;
    bool complete = true;
    for (const data::Split split : {data::Split::Train, data::Split::Dev, data::Split::Test}) {
      std::vector<model::UtteranceReliance> part;
      if (model::readReliance(dir.toStdString(), split, studioRelianceOptions(), stamp, corpus, part))
        all.insert(all.end(), part.begin(), part.end());
      else if (!model::dialoguesOf(corpus, split).empty())
        complete = false;
    }
    run->setReliance(corpus, all);
    run->relianceComplete = complete;
  } catch (const std::exception&) {
    // No model (an interrupted run) or an unreadable file: the reliance job says why, if asked.
  }
  return run;
}

void RunData::setReliance(const data::Corpus& corpus, const std::vector<model::UtteranceReliance>& utterances) {
  for (const auto& u : utterances) {
    const std::size_t row = corpus.dialogues.at(static_cast<std::size_t>(u.dialogue)).firstRow + static_cast<std::size_t>(u.index);
    if (row >= relianceText.size()) continue;
    const model::RelianceScores s = model::scoreReliance(u);
    if (std::isnan(relianceText[row])) ++relianceRows;
    relianceText[row] = static_cast<float>(s.share[model::kText]);
    relianceAudio[row] = static_cast<float>(s.share[model::kAudio]);
    relianceVisual[row] = static_cast<float>(s.share[model::kVisual]);
    shapleyText[row] = static_cast<float>(s.shapley[model::kText]);
    shapleyAudio[row] = static_cast<float>(s.shapley[model::kAudio]);
    shapleyVisual[row] = static_cast<float>(s.shapley[model::kVisual]);
    interaction[row] = static_cast<std::int8_t>(s.interaction);
    dominant[row] = static_cast<std::int8_t>(s.dominant);
  }
}

std::shared_ptr<const RunData> RunData::withReliance(const data::Corpus& corpus, const std::vector<model::UtteranceReliance>& utterances,
                                                     bool complete) const {
  auto copy = std::make_shared<RunData>(*this);
  copy->setReliance(corpus, utterances);
  copy->relianceComplete = complete;
  return copy;
}

std::shared_ptr<const RunData> RunData::loadWithSeeds(const QString& dirIn, const data::Corpus& corpus) {
  QStringList runs;
  for (const std::string& r : model::runFoldersIn(dirIn.toStdString())) runs << QString::fromStdString(r);
  if (runs.size() <= 1) return load(runs.isEmpty() ? dirIn : runs.front(), corpus);  // an error names the missing config.json
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
