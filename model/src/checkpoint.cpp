// SPDX-License-Identifier: GPL-3.0-or-later
#include <nlohmann/json.hpp>
#include <sstream>

#include "internal.h"
#include "losses.h"
#include "mlsan/data/atomic_file.h"

namespace mlsan::model {
using nlohmann::json;

namespace {
std::string firstLine(const std::string& s) {
  const auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}
}  // namespace

void saveCheckpoint(const std::string& path, Net& net, torch::optim::Optimizer* optimizer, const CheckpointMeta& meta) {
  torch::serialize::OutputArchive archive;
  net->save(archive);
  const json m{{"format", "mlsan-checkpoint"}, {"version", 1}, {"model", json::parse(meta.model.toJson())},
               {"train", json::parse(meta.train.toJson())}, {"corpus_signature", meta.corpusSignature},
               {"corpus_name", meta.corpusName}, {"epoch", meta.epoch},
               {"state", meta.stateJson.empty() ? json::object() : json::parse(meta.stateJson)}};
  archive.write("mlsan_meta", c10::IValue(m.dump()));
  if (meta.rngState.defined()) archive.write("rng_cpu", meta.rngState);
  if (optimizer) {
    torch::serialize::OutputArchive opt;
    optimizer->save(opt);
    archive.write("optimizer", opt);
  }
  data::atomicWriteStream(path, [&](std::ostream& out) { archive.save_to(out); });
}

/// Reads a checkpoint with its tensors placed on `device` (whatever device they were saved from,
/// so a model trained on a GPU opens on a CPU-only machine).
static torch::serialize::InputArchive openArchive(const std::string& path, const torch::Device& device = torch::kCPU) {
  torch::serialize::InputArchive archive;
  std::string bytes;
  try {
    bytes = data::readFile(path);
  } catch (const std::exception& e) {
    throw CheckpointError(e.what());
  }
  try {
    std::istringstream in(bytes);
    archive.load_from(in, device);
  } catch (const std::exception& e) {
    throw CheckpointError(path + ": not a readable checkpoint (" + firstLine(e.what()) + ")");
  }
  return archive;
}

static CheckpointMeta metaFrom(torch::serialize::InputArchive& archive, const std::string& path) {
  c10::IValue v;
  if (!archive.try_read("mlsan_meta", v) || !v.isString())
    throw CheckpointError(path + ": not an ML-SAN checkpoint (no mlsan_meta record)");
  try {
    const json m = json::parse(v.toStringRef());
    CheckpointMeta meta;
    meta.model = ModelConfig::fromJson(m.at("model").dump());
    meta.train = TrainConfig::fromJson(m.at("train").dump());
    meta.corpusSignature = m.at("corpus_signature");
    meta.corpusName = m.value("corpus_name", "");
    meta.epoch = m.at("epoch");
    meta.stateJson = m.at("state").dump();
    return meta;
  } catch (const std::exception& e) {
    throw CheckpointError(path + ": checkpoint metadata is damaged (" + firstLine(e.what()) + ")");
  }
}

CheckpointMeta readCheckpointMeta(const std::string& path) {
  auto archive = openArchive(path);
  return metaFrom(archive, path);
}

/// Loads the weights (and the optimizer state) of an archive already open, whose metadata is
/// `meta`, into `net`.
static void loadFrom(torch::serialize::InputArchive& archive, const CheckpointMeta& meta, const std::string& path, Net& net,
                     torch::optim::Optimizer* optimizer) {
  const std::string diff = meta.model.differences(net->config);
  if (!diff.empty()) throw CheckpointError(path + ": the checkpoint's configuration differs from this model's (" + diff + ")");
  try {
    torch::NoGradGuard ng;
    net->load(archive);
    if (optimizer) {
      torch::serialize::InputArchive opt;
      if (!archive.try_read("optimizer", opt)) throw std::runtime_error("no optimizer state (a weights-only checkpoint)");
      optimizer->load(opt);
    }
  } catch (const CheckpointError&) {
    throw;
  } catch (const std::exception& e) {
    throw CheckpointError(path + ": cannot load the weights (" + firstLine(e.what()) + ")");
  }
}

void loadCheckpoint(const std::string& path, Net& net, torch::optim::Optimizer* optimizer) {
  const auto params = net->parameters();
  auto archive = openArchive(path, params.empty() ? torch::Device(torch::kCPU) : params.front().device());
  loadFrom(archive, metaFrom(archive, path), path, net, optimizer);
}

torch::Tensor readRngState(const std::string& path) {
  auto archive = openArchive(path);
  torch::Tensor state;
  if (!archive.try_read("rng_cpu", state)) return {};
  return state;
}

// ---------------------------------------------------------------- Model
Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;

Model Model::load(const std::string& path, const std::string& device) {
  auto impl = std::make_unique<Impl>();
  auto archive = openArchive(path);  // read once: the metadata and the weights
  impl->meta = metaFrom(archive, path);
  impl->net = Net(impl->meta.model);
  loadFrom(archive, impl->meta, path, impl->net, nullptr);
  impl->device = parseDevice(device);
  impl->net->to(impl->device);
  impl->net->eval();
  impl->classWeights = swfcClassWeightsFor(impl->meta.model);
  return Model(std::move(impl));
}

const ModelConfig& Model::config() const { return impl_->meta.model; }
const std::string& Model::corpusSignature() const { return impl_->meta.corpusSignature; }

void Model::checkCorpus(const data::Corpus& corpus) const {
  const auto& c = impl_->meta.model;
  auto fail = [&](const std::string& what) {
    throw CheckpointError("corpus '" + corpus.name + "' does not fit the model trained on '" + impl_->meta.corpusName + "': " + what);
  };
  if (!corpus.hasFeatures()) fail("the corpus has no feature vectors");
  if (corpus.dimText != c.dimText || corpus.dimAudio != c.dimAudio || corpus.dimVisual != c.dimVisual)
    fail("feature dims " + std::to_string(corpus.dimText) + "/" + std::to_string(corpus.dimAudio) + "/" +
         std::to_string(corpus.dimVisual) + " vs the model's " + std::to_string(c.dimText) + "/" + std::to_string(c.dimAudio) +
         "/" + std::to_string(c.dimVisual));
  if (corpus.labels.size() != c.numClasses) fail(std::to_string(corpus.labels.size()) + " labels vs the model's " + std::to_string(c.numClasses));
  if (static_cast<int>(corpus.speakers.size()) > c.numSpeakers)
    fail(std::to_string(corpus.speakers.size()) + " speakers vs the model's " + std::to_string(c.numSpeakers));
  if (corpus.maxParties() > c.maxParties) fail("dialogues with more parties than the model's " + std::to_string(c.maxParties));
}

Inference Model::infer(const data::Corpus& corpus, const std::vector<int>& dialogues, int batchSize, Progress* progress) {
  checkCorpus(corpus);
  return evaluate(impl_->net, corpus, dialogues, batchSize, impl_->device, impl_->classWeights, true, progress).details;
}

}  // namespace mlsan::model
