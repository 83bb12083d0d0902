// SPDX-License-Identifier: GPL-3.0-or-later
#include <ctime>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "mlsan/data/atomic_file.h"
#include "mlsan/data/corpus_io.h"
#include "mlsan/model/run.h"
#include "terminal_progress.h"

namespace mlsan::app {
namespace fs = std::filesystem;
using nlohmann::json;

const char* const kCorpusHelp =
    "a corpus of the demo family, 'demo', 'demo-iemocap' (IEMOCAP-shaped), 'demo-null' or 'demo-fingerprint' (the demo's "
    "controls), each also as NAME:SEED; a MultiEMO data folder (Speakers.pkl + feature pickles), a DialogueRNN/COSMIC pickle, "
    "a folder of MELD CSVs, or a corpus folder in the mlsan format";

void addCorpusPartsTo(CLI::App* cmd, std::string& csvDir, std::string& clipsDir) {
  cmd->add_option("--csv", csvDir, "MELD: folder of the annotation CSVs to join (speaker names, times, transcripts); "
                                   "default: those beside the pickles, if any");
  cmd->add_option("--clips", clipsDir, "MELD: the MELD.Raw folder (train_splits/, dev_splits_complete/, output_repeated_splits_test/)");
}

data::CorpusSource corpusSource(const std::string& corpus, const std::string& csvDir, const std::string& clipsDir) {
  data::CorpusSource src;
  try {
    src = data::CorpusSource::parse(corpus);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
  if (!csvDir.empty()) src.csvDir = csvDir;
  if (!clipsDir.empty()) src.clipsDir = clipsDir;
  return src;
}

void TrainOptions::addCorpusTo(CLI::App* cmd, bool required) {
  auto* o = cmd->add_option("--corpus", corpus, kCorpusHelp);
  if (required) o->required();
  else o->capture_default_str();
  addCorpusPartsTo(cmd, csvDir, clipsDir);
}

data::Corpus TrainOptions::openCorpus() {
  const data::CorpusSource src = corpusSource(corpus, csvDir, clipsDir);
  corpus = src.toString();
  csvDir.clear();
  clipsDir.clear();
  return data::openCorpus(src);
}

void TrainOptions::addTo(CLI::App* cmd, bool withVariantSwitches) {
  cmd->add_option("--preset", preset,
                  "Hyper-parameter preset: meld or iemocap (MultiEMO's own recipe for that dataset), or demo (MELD's "
                  "structure sized for the demo corpus: d 128, lr 5e-4, batch 16, dropout 0.1, its own plateau schedule; "
                  "not MultiEMO's recipe) (default: the corpus's dataset)")
      ->check(CLI::IsMember({"meld", "iemocap", "demo"}));
  if (withVariantSwitches) {
    cmd->add_option("--variant", variant, "mlsan or multiemo (MultiEMO = ML-SAN with FiLM, gate and aux all off)")
        ->check(CLI::IsMember({"mlsan", "multiemo"}))
        ->capture_default_str();
    cmd->add_flag("--no-film", noFilm, "Ablation: no FiLM input calibration");
    cmd->add_flag("--no-gate", noGate, "Ablation: no speaker gate");
    cmd->add_flag("--no-aux", noAux, "Ablation: no auxiliary speaker loss");
  }
  cmd->add_option("--lambda", lambda, "Weight of the auxiliary speaker loss (default: the preset's)");
  cmd->add_option("--gate-input", gateInput, "What drives the gate: speaker (eq. 3) or speaker+context (default: the preset's, speaker)")
      ->check(CLI::IsMember({"speaker", "speaker+context"}));
  cmd->add_option("--gate-form", gateForm,
                  "sigmoid (g = sigmoid(W z + b), eq. 3) or identity (g = 2 sigmoid(W z + b), W and b zero at the start: "
                  "ML-SAN starts as MultiEMO) (default: the preset's, identity)")
      ->check(CLI::IsMember({"sigmoid", "identity"}));
  cmd->add_option("--aux-gradient", auxGradient,
                  "Where the auxiliary speaker loss's gradient goes: full (every parameter, the paper's form), balanced (every "
                  "parameter, at most the emotion objective's pull at fc) or speaker (the speaker head, embedding, FiLM and gate "
                  "only; MultiEMO's modules learn from the emotion objective alone) (default: full)")
      ->check(CLI::IsMember({"full", "balanced", "speaker"}));
  cmd->add_option("--gate-init", gateInit, "The gates' starting value in (0, 1), or 0 for PyTorch's default init (default: the preset's)");
  cmd->add_option("--epochs", epochs, "Epochs (default: the preset's)");
  cmd->add_option("--batch-size", batchSize, "Dialogues per batch (default: the preset's)");
  cmd->add_option("--micro-batch", microBatch,
                  "Dialogues per forward pass within a batch; same gradient, less memory; 0 = whole batch (default: the preset's)");
  cmd->add_option("--speaker-lr-scale", speakerLrScale,
                  "Learning-rate multiplier for ML-SAN's speaker embedding, FiLM, gate and speaker head (default: the preset's)");
  cmd->add_option("--lr", lr, "Learning rate (default: the preset's)");
  cmd->add_option("--loss-weights", lossWeights, "Weights of CE, SWFC and Soft-HGR (default: the preset's)")->expected(3)->delimiter(',');
  cmd->add_option("--dropout", dropout, "Dropout after the context encoders, in MultiAttn and on the logits, as MultiEMO places it "
                                         "(MultiEMO's dropout_rate; default: the preset's, 0 for meld and iemocap)");
  cmd->add_option("--recurrent-dropout", recurrentDropout,
                  "Dropout on DialogueRNN's new states (MultiEMO's dropout_rec; default: the preset's, 0)");
  cmd->add_flag("--no-mask-padding", noMaskPadding,
                "Do not mask padding: MultiEMO's own code bit for bit (a dialogue's outputs then depend on its batch companions)");
  cmd->add_option("--select-on", selectOn,
                  "Which epoch the run reports and keeps: val (best validation F1) or test (MultiEMO's protocol: optimistic) [val]")
      ->check(CLI::IsMember({"val", "test"}));
  cmd->add_option("--val-draw", valDraw,
                  "For a corpus with no dev split (MultiEMO's pickles): which training dialogues validate: seed (drawn by "
                  "--seed) or multiemo (those TrainMultiEMO.py holds out: numpy's shuffle seeded 2023) [seed]")
      ->check(CLI::IsMember({"seed", "multiemo"}));
  cmd->add_option("--threads", threads, "CPU threads")->capture_default_str();
  cmd->add_option("--device", device, "cpu, or cuda with a CUDA build of LibTorch")->capture_default_str();
}

void TrainOptions::resolve(const data::Corpus& corpus, model::ModelConfig& m, model::TrainConfig& t) const {
  const auto p = model::preset(preset.empty() ? model::presetForDataset(corpus.dataset) : preset);
  m = p.model;
  t = p.train;
  model::fitConfigToCorpus(m, corpus);
  const bool multiemo = variant == "multiemo";
  m.film = !multiemo && !noFilm;
  m.gate = !multiemo && !noGate;
  m.aux = !multiemo && !noAux;
  if (lambda >= 0) m.lambda = lambda;
  if (!gateInput.empty()) m.gateInput = gateInput;
  if (gateInit >= 0) m.gateInit = gateInit;
  if (!gateForm.empty()) m.gateForm = gateForm;
  if (!auxGradient.empty()) m.auxGradient = auxGradient;
  if (epochs > 0) t.epochs = epochs;
  if (batchSize > 0) t.batchSize = batchSize;
  if (microBatch >= 0) t.microBatch = microBatch;
  if (speakerLrScale > 0) t.speakerLrScale = speakerLrScale;
  if (lr > 0) t.lr = lr;
  if (lossWeights.size() == 3) {
    m.weightCE = lossWeights[0];
    m.weightSWFC = lossWeights[1];
    m.weightHGR = lossWeights[2];
  }
  if (dropout >= 0) m.dropout = dropout;
  if (recurrentDropout >= 0) m.recurrentDropout = recurrentDropout;
  if (noMaskPadding) {
    m.maskPadding = false;
    // Micro-batches give the whole batch's gradient only when padding is masked.
    if (microBatch > 0) throw std::invalid_argument("--micro-batch needs padding masked: drop --no-mask-padding or pass --micro-batch 0");
    t.microBatch = 0;
  }
  if (!selectOn.empty()) t.selectOn = selectOn;
  if (!valDraw.empty()) t.valDraw = valDraw;
  t.seed = seed;
  t.threads = threads;
  t.device = device;
  t.corpus = this->corpus;
}

model::TrainResult trainRun(const data::Corpus& corpus, const model::ModelConfig& m, const model::TrainConfig& t,
                            const std::string& out, bool resume, const std::string& label, bool quiet) {
  TerminalProgress progress(label, quiet);
  progress.setEpochs(t.epochs);
  return model::train(corpus, m, t, out, resume, progress);
}

std::string timestampedDir(const std::string& base, const std::string& name) {
  char buf[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::localtime(&now));
  return (fs::path(base) / (name + "-" + buf)).string();
}

namespace {
void printEval(const json& j, const std::vector<std::string>& labels) {
  std::printf("weighted F1 %.2f   accuracy %.2f   (%ld utterances)\n", j["weighted_f1"].get<double>(),
              j["accuracy"].get<double>(), j["utterances"].get<long>());
  std::printf("%-12s %9s %9s %9s %8s\n", "label", "precision", "recall", "F1", "support");
  for (const auto& l : labels) {
    if (!j["per_class"].contains(l)) continue;
    const auto& c = j["per_class"][l];
    std::printf("%-12s %9.2f %9.2f %9.2f %8ld\n", l.c_str(), c["precision"].get<double>(), c["recall"].get<double>(),
                c["f1"].get<double>(), c["support"].get<long>());
  }
  std::printf("confusion (rows = gold, columns = predicted):\n");
  const auto& names = j["labels"];
  std::printf("%12s", "");
  for (const auto& n : names) std::printf(" %8.8s", n.get<std::string>().c_str());
  std::printf("\n");
  for (std::size_t i = 0; i < j["confusion"].size(); ++i) {
    std::printf("%-12s", names[i].get<std::string>().c_str());
    for (const auto& v : j["confusion"][i]) std::printf(" %8ld", v.get<long>());
    std::printf("\n");
  }
}
}  // namespace

model::Model openRunModel(const std::string& run, const std::string& corpusOverride, data::Corpus* corpus) {
  const model::RunPaths paths(run);
  if (!fs::exists(paths.bestCheckpoint()))
    throw std::runtime_error(run + ": no trained model (" + paths.bestCheckpoint() + " is missing)");
  std::string source = corpusOverride;
  if (source.empty()) {
    try {
      source = model::runCorpusSource(run);
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string(e.what()) + "; pass --corpus");
    }
  }
  *corpus = data::openCorpus(data::CorpusSource::parse(source));
  model::Model m = model::Model::load(paths.bestCheckpoint());
  if (m.corpusSignature() != corpus->signature())
    std::fprintf(stderr, "note: corpus '%s' is not the one the run was trained on (signature %s vs %s)\n", corpus->name.c_str(),
                 corpus->signature().c_str(), m.corpusSignature().c_str());
  return m;
}

void addTrainCommands(CLI::App& app) {
  auto opts = std::make_shared<TrainOptions>();
  auto out = std::make_shared<std::string>();
  auto resume = std::make_shared<bool>(false);
  auto asJson = std::make_shared<bool>(false);
  auto events = std::make_shared<bool>(false);
  auto* train = app.add_subcommand("train", "Train ML-SAN, an ablation or MultiEMO into a run folder");
  opts->addCorpusTo(train, true);
  train->add_option("--seed", opts->seed, "Random seed")->capture_default_str();
  opts->addTo(train, true);
  train->add_option("--out", *out, "Run folder to write")->required();
  train->add_flag("--resume", *resume,
                  "Continue the run in --out from its last completed epoch (a finished run is reported as it is; "
                  "an empty folder starts a new run)");
  train->add_flag("--json", *asJson, "Print one JSON object with the result");
  train->add_flag("--events", *events,
                  "Machine-readable progress: one JSON object per line on stdout (start, batch, epoch, message, done, "
                  "cancelled, error), for the studio and mlsan ablation");
  setExamples(train,
      {
       {"ML-SAN on the demo corpus",
        "mlsan train --corpus demo --out runs/demo-mlsan"},
       {"MultiEMO, the baseline",
        "mlsan train --corpus demo --variant multiemo --out runs/demo-multiemo"},
       {"An ablation: ML-SAN without the speaker gate",
        "mlsan train --corpus demo --no-gate --out runs/demo-no-gate"},
       {"Continue a run that was interrupted",
        "mlsan train --corpus demo --out runs/demo-mlsan --resume"},
       {"MELD from MultiEMO's features with speaker names from the CSVs",
        "mlsan train --corpus MultiEMO/Data/MELD --csv MELD.Raw --out runs/meld-mlsan --threads 2"}});
  train->callback([opts, out, resume, asJson, events] {
    auto fail = [&](const std::string& what) {
      if (*events) EventsProgress::emit(json{{"event", "error"}, {"message", what}}.dump());
    };
    try {
      const data::Corpus corpus = opts->openCorpus();
      model::ModelConfig m;
      model::TrainConfig t;
      opts->resolve(corpus, m, t);
      model::TrainResult r;
      if (*events) {
        int firstEpoch = 1;
        if (*resume && fs::exists(model::RunPaths(*out).curves()))
          firstEpoch += static_cast<int>(model::readCurves(model::RunPaths(*out).curves()).size());
        EventsProgress::emit(json{{"event", "start"}, {"run", *out}, {"variant", m.variantName()}, {"epochs", t.epochs},
                                  {"first_epoch", firstEpoch}}
                                 .dump());
        EventsProgress progress;
        r = model::train(corpus, m, t, *out, *resume, progress);
      } else {
        r = trainRun(corpus, m, t, *out, *resume, m.variantName(), false);
      }
      if (r.cancelled) {
        if (*events)
          EventsProgress::emit(json{{"event", "cancelled"}, {"epochs_done", r.epochsDone}, {"batches_done", r.interruptedBatch}}.dump());
        throw CancelledError("training cancelled after epoch " + std::to_string(r.epochsDone) +
                             (r.interruptedBatch ? " and " + std::to_string(r.interruptedBatch) + " batch(es) of the next" : std::string()) +
                             "; continue with --resume");
      }
      const json j{{"run", *out}, {"variant", m.variantName()}, {"epochs", r.epochsDone}, {"best_epoch", r.bestEpoch},
                   {"val_weighted_f1", r.valWeightedF1}, {"test_weighted_f1", r.testWeightedF1},
                   {"best_on_test", {{"epoch", r.bestTestEpoch}, {"weighted_f1", r.bestTestWeightedF1}}}, {"seconds", r.seconds},
                   {"reused", r.reused}};
      if (*events) {
        json done = j;
        done["event"] = "done";
        EventsProgress::emit(done.dump());
      } else if (*asJson) {
        printJson(j);
      } else {
        std::printf("%s: test weighted F1 %.2f at epoch %d (selected on validation, val %.2f); best on test %.2f at epoch %d "
                    "(optimistic); %.1f s\nrun written to %s\n",
                    m.variantName().c_str(), r.testWeightedF1, r.bestEpoch, r.valWeightedF1, r.bestTestWeightedF1, r.bestTestEpoch,
                    r.seconds, out->c_str());
      }
    } catch (const CancelledError&) {
      throw;
    } catch (const std::exception& e) {
      fail(e.what());
      throw;
    }
  });

  auto run = std::make_shared<std::string>();
  auto corpusOverride = std::make_shared<std::string>();
  auto split = std::make_shared<std::string>("test");
  auto evalJson = std::make_shared<bool>(false);
  auto threads = std::make_shared<int>(2);
  auto* eval = app.add_subcommand("eval", "Evaluate a trained run's selected model on a split of its corpus");
  eval->add_option("run", *run, "Run folder written by mlsan train")->required();
  eval->add_option("--corpus", *corpusOverride, "Corpus (default: the one the run was trained on)");
  eval->add_option("--split", *split, "train, dev or test")->capture_default_str();
  eval->add_option("--threads", *threads, "CPU threads")->capture_default_str();
  eval->add_flag("--json", *evalJson, "Print one JSON object");
  setExamples(eval,
      {
       {"Test-set scores of a run's selected model",
        "mlsan eval runs/demo-mlsan"},
       {"On the dev split, as JSON",
        "mlsan eval runs/demo-mlsan --split dev --json"}});
  eval->callback([run, corpusOverride, split, evalJson, threads] {
    model::setThreads(*threads);
    data::Corpus corpus;
    model::Model m = openRunModel(*run, *corpusOverride, &corpus);
    const auto s = data::parseSplit(*split);
    const auto inf = m.infer(corpus, model::dialoguesOf(corpus, s));
    json j = model::evaluationJson(corpus, inf, s);
    if (*evalJson) printJson(j);
    else printEval(j, corpus.labels.labels);
  });
}

}  // namespace mlsan::app
