// SPDX-License-Identifier: GPL-3.0-or-later
// MultiEMO state_dicts (the authors' parameter names, Model/MultiEMO_Model.py) onto this engine's
// network, and `mlsan import-multiemo` (see import.h).
#include "multiemo_import.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "internal.h"
#include "mlsan/data/atomic_file.h"
#include "mlsan/model/run.h"

namespace mlsan::model {
namespace fs = std::filesystem;

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, '.');) out.push_back(part);
  return out;
}

std::string shapeText(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

const std::map<std::string, std::string> kCells{{"global_cell", "g_cell"}, {"party_cell", "p_cell"}, {"emotion_cell", "e_cell"}};
const std::map<std::string, std::string> kNorms{{"norm1", "add_norm_1"}, {"norm2", "add_norm_2"}, {"norm3", "add_norm_3"}};
const std::map<std::string, std::string> kQkv{{"q", "query_matrix"}, {"k", "key_matrix"}, {"v", "value_matrix"}};

int64_t dimOf(const data::TorchStateDict& sd, const std::string& name, int axis, const std::string& path) {
  const data::PyArray* a = sd.find(name);
  if (!a) throw std::runtime_error(path + ": not a MultiEMO state_dict: it has no '" + name + "'");
  if (a->ndim() <= axis) throw std::runtime_error(path + ": '" + name + "' is " + a->describe() + ", expected a matrix");
  return a->shape[axis];
}

int countWhile(const data::TorchStateDict& sd, const std::function<std::string(int)>& name) {
  int n = 0;
  while (sd.find(name(n))) ++n;
  return n;
}

}  // namespace

std::vector<std::string> multiEmoSources(const std::string& ours, int heads) {
  const auto p = split(ours);
  const std::string last = p.back();
  if (p.size() == 2 && p[0].rfind("proj_", 0) == 0) return {p[0].substr(5) + "_fc." + last};
  if (p.size() == 2 && (p[0] == "fc")) return {"fc." + last};
  if (p.size() == 2 && p[0] == "mlp1") return {"mlp.linear_1." + last};
  if (p.size() == 2 && p[0] == "mlp2") return {"mlp.linear_2." + last};
  if (p.size() >= 3 && p[0].rfind("ctx_", 0) == 0) {
    const std::string base = p[0].substr(4) + "_dialoguernn.";
    if (p[1] == "merge") return {base + "linear." + last};
    const std::string rnn = base + (p[1] == "forward_rnn" ? "dialog_rnn_f" : "dialog_rnn_r") + ".dialogue_cell.";
    if (p[2] == "attention") return {rnn + "attention.scalar." + last};
    if (const auto c = kCells.find(p[2]); c != kCells.end()) return {rnn + c->second + "." + last};
  }
  if (p.size() >= 4 && p[0].rfind("fuse_", 0) == 0) {
    const std::string layer = "multiattn.multiattn_" + p[0].substr(5) + ".multiattn_layers." + p[1] + ".";
    if (p[2] == "attn_a" || p[2] == "attn_b") {
      const std::string attn = layer + (p[2] == "attn_a" ? "attn_1." : "attn_2.");
      if (p[3] == "out") return {attn + "projection_matrix." + last};
      if (const auto m = kQkv.find(p[3]); m != kQkv.end()) {
        std::vector<std::string> v;  // one matrix per head: their rows are the heads' blocks of ours
        for (int h = 0; h < heads; ++h) v.push_back(attn + "attention_heads." + std::to_string(h) + "." + m->second + "." + last);
        return v;
      }
    }
    if (const auto n = kNorms.find(p[2]); n != kNorms.end()) return {layer + n->second + ".layer_norm." + last};
    if (p[2] == "ff1") return {layer + "ff.linear_W1." + last};
    if (p[2] == "ff2") return {layer + "ff.linear_W2." + last};
  }
  return {};
}

std::map<std::string, torch::Tensor> mapMultiEmoTensors(const data::TorchStateDict& sd, Net& net, const std::string& path,
                                                        std::vector<std::string>* unused) {
  std::map<std::string, torch::Tensor> out;
  std::set<std::string> used;
  for (const auto& p : net->named_parameters()) {
    const std::vector<std::string> sources = multiEmoSources(p.key(), net->config.heads);
    if (sources.empty()) throw std::logic_error("no MultiEMO name for parameter " + p.key());
    std::vector<torch::Tensor> parts;
    for (const auto& name : sources) {
      const data::PyArray* a = sd.find(name);
      if (!a) throw std::runtime_error(path + ": '" + name + "' is missing (needed for this engine's " + p.key() + ")");
      std::vector<float> values(a->size());
      a->toFloat(values.data());
      parts.push_back(torch::from_blob(values.data(), a->shape, torch::kFloat32).clone());
      used.insert(name);
    }
    const torch::Tensor t = parts.size() == 1 ? parts[0] : torch::cat(parts, 0);
    if (t.sizes() != p.value().sizes()) {
      std::string detail = sources.size() == 1 ? "'" + sources[0] + "' has shape " + shapeText(parts[0].sizes().vec())
                                               : "'" + sources[0] + "' and the other heads make " + shapeText(t.sizes().vec());
      throw std::runtime_error(path + ": " + detail + ", but this engine's " + p.key() + " needs " +
                               shapeText(p.value().sizes().vec()) + " (d " + std::to_string(net->config.d) + ", " +
                               std::to_string(net->config.heads) + " heads)");
    }
    out[p.key()] = t;
  }
  for (const auto& [name, a] : sd.tensors)
    if (!used.count(name) && unused) unused->push_back(name);
  return out;
}

ModelConfig multiEmoConfig(const std::string& path, const data::TorchStateDict& sd, const data::Corpus& corpus,
                           const ImportOptions& options) {
  const std::string form = !options.form.empty() ? options.form : corpus.dataset == "iemocap" ? "iemocap" : "meld";
  if (form != "meld" && form != "iemocap") throw std::invalid_argument("--form must be meld or iemocap, not '" + form + "'");
  ModelConfig c = preset(form).model;
  fitConfigToCorpus(c, corpus);
  c.film = c.gate = c.aux = false;
  c.maskPadding = options.maskPadding;
  c.d = static_cast<int>(dimOf(sd, "text_fc.weight", 0, path));
  const int64_t dims[3] = {dimOf(sd, "text_fc.weight", 1, path), dimOf(sd, "audio_fc.weight", 1, path), dimOf(sd, "visual_fc.weight", 1, path)};
  if (dims[0] != corpus.dimText || dims[1] != corpus.dimAudio || dims[2] != corpus.dimVisual)
    throw std::runtime_error(path + ": the model reads features of " + std::to_string(dims[0]) + "/" + std::to_string(dims[1]) + "/" +
                             std::to_string(dims[2]) + " dims (text/audio/visual), corpus '" + corpus.name + "' has " +
                             std::to_string(corpus.dimText) + "/" + std::to_string(corpus.dimAudio) + "/" + std::to_string(corpus.dimVisual));
  c.numClasses = static_cast<int>(dimOf(sd, "mlp.linear_2.weight", 0, path));
  if (c.numClasses != static_cast<int>(corpus.labels.size()))
    throw std::runtime_error(path + ": the model has " + std::to_string(c.numClasses) + " classes, corpus '" + corpus.name + "' " +
                             std::to_string(corpus.labels.size()));
  c.classCounts.assign(c.numClasses, 1.0);
  c.mlpHidden = static_cast<int>(dimOf(sd, "mlp.linear_1.weight", 0, path));
  const std::string layer0 = "multiattn.multiattn_text.multiattn_layers.0.";
  c.heads = countWhile(sd, [&](int h) { return layer0 + "attn_1.attention_heads." + std::to_string(h) + ".query_matrix.weight"; });
  c.fusionLayers = countWhile(sd, [](int l) { return "multiattn.multiattn_text.multiattn_layers." + std::to_string(l) + ".attn_1.projection_matrix.weight"; });
  if (c.heads == 0 || c.fusionLayers == 0) throw std::runtime_error(path + ": not a MultiEMO state_dict: no MultiAttn layers");
  if (c.d % c.heads) throw std::runtime_error(path + ": model dim " + std::to_string(c.d) + " is not a multiple of " + std::to_string(c.heads) + " heads");
  if (const int64_t ffn = dimOf(sd, layer0 + "ff.linear_W1.weight", 0, path); ffn != 4 * c.d)
    throw std::runtime_error(path + ": MultiAttn's hidden_dim is " + std::to_string(ffn) + "; this engine's fusion layers use 4 x model_dim (" +
                             std::to_string(4 * c.d) + ", MultiEMO's 1024 for 256)");
  if (sd.find("audio_dialoguernn.dialog_rnn_f.dialogue_cell.l_cell.weight_ih"))
    throw std::runtime_error(path + ": DialogueRNN with listener_state is not supported (MultiEMO trains without it)");
  if (!sd.find("audio_dialoguernn.dialog_rnn_f.dialogue_cell.attention.scalar.weight"))
    throw std::runtime_error(path + ": DialogueRNN with a context_attention other than 'simple' is not supported (MultiEMO uses 'simple')");
  return c;
}

ModelConfig multiEmoConfig(const std::string& statePath, const data::Corpus& corpus, const ImportOptions& options) {
  return multiEmoConfig(statePath, data::readTorchStateDict(statePath), corpus, options);
}

void loadMultiEmo(Net& net, const data::TorchStateDict& sd, const std::string& path, std::vector<std::string>* unused) {
  const auto tensors = mapMultiEmoTensors(sd, net, path, unused);
  torch::NoGradGuard ng;
  for (auto& p : net->named_parameters()) p.value().copy_(tensors.at(p.key()));
}

ImportResult importMultiEmo(const std::string& path, const data::Corpus& corpus, const std::string& outDir, const ImportOptions& options) {
  if (!corpus.hasFeatures()) throw std::runtime_error("corpus '" + corpus.name + "' has no feature vectors to run the model on");
  if (isRunFolder(outDir) || (fs::exists(outDir) && !fs::is_empty(outDir)))
    throw std::runtime_error(outDir + " already exists and is not empty; choose another output folder");
  const data::TorchStateDict sd = data::readTorchStateDict(path);
  ImportResult result;
  result.format = sd.format;
  result.config = multiEmoConfig(path, sd, corpus, options);
  setThreads(options.threads);
  Net net(result.config);
  loadMultiEmo(net, sd, path, &result.unused);
  result.tensors = static_cast<int>(sd.tensors.size() - result.unused.size());

  Preset p = preset(result.config.preset);
  TrainConfig tc = p.train;
  tc.batchSize = options.batchSize > 0 ? options.batchSize : tc.batchSize;
  tc.threads = options.threads;
  tc.epochs = 0;
  tc.selectOn = "test";
  tc.corpus = options.corpusSource;
  // Everything goes to a sibling folder first and is renamed at the end: a failure leaves nothing.
  const fs::path out(outDir);
  const fs::path staging = out.parent_path() / (out.filename().string() + ".importing");
  fs::remove_all(staging);
  try {
    const RunPaths paths(staging.string());
    fs::create_directories(paths.checkpoints());
    RunConfig cfg;
    cfg.model = result.config;
    cfg.train = tc;
    cfg.variant = result.config.variantName();
    cfg.corpusName = corpus.name;
    cfg.corpusDataset = corpus.dataset;
    cfg.corpusSignature = corpus.signature();
    cfg.corpusSource = options.corpusSource;
    cfg.origin = "python-multiemo";
    writeRunConfig(paths.dir(), cfg);
    CheckpointMeta meta;
    meta.model = result.config;
    meta.train = tc;
    meta.corpusSignature = corpus.signature();
    meta.corpusName = corpus.name;
    saveCheckpoint(paths.bestCheckpoint(), net, nullptr, meta);
    Model model = Model::load(paths.bestCheckpoint());
    std::vector<int> all(corpus.dialogues.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
    const Inference inf = model.infer(corpus, all, tc.batchSize);
    writePredictions(paths.predictions(), corpus, inf);
    nlohmann::json m = evaluationJson(corpus, inf, data::Split::Test);
    result.testWeightedF1 = m.value("weighted_f1", 0.0);
    result.testUtterances = m.value("utterances", 0L);
    m["variant"] = cfg.variant;
    m["selection"] = "imported: a MultiEMO model trained in Python (TaoShi1998/MultiEMO)";
    m["imported_from"] = fs::absolute(path).string();
    m["state_dict_format"] = sd.format;
    m["mask_padding"] = result.config.maskPadding;
    data::atomicWriteFile(paths.metrics(), m.dump(2));
    fs::remove_all(out);  // empty (checked above)
    fs::rename(staging, out);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(staging, ec);
    throw;
  }
  return result;
}

}  // namespace mlsan::model
