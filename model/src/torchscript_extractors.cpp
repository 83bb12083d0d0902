// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/model/torchscript_extractors.h"

#include <torch/script.h>
#include <xxhash.h>

#include <cstdio>
#include <mutex>
#include <stdexcept>

#include "mlsan/data/atomic_file.h"
#include "mlsan/extract/wordpiece.h"

namespace mlsan::model {
namespace {

std::string contentHash(const std::string& path) {
  const std::string bytes = data::readFile(path);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(XXH3_64bits(bytes.data(), bytes.size())));
  return buf;
}

std::string shapeText(const at::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

/// A loaded module, called one at a time (a TorchScript module may run on any thread, but the
/// extraction's workers share it and torch's own threads already use the cores).
class Module {
 public:
  Module(const std::string& path, const char* what) : path_(path) {
    try {
      module_ = torch::jit::load(path, torch::kCPU);
    } catch (const std::exception& e) {
      std::string msg = e.what();
      if (msg.size() > 300) msg = msg.substr(0, 300) + "...";
      throw std::runtime_error(path + ": cannot load the " + what + " module as TorchScript (" + msg + ")");
    }
    module_.eval();
    hash_ = contentHash(path);
  }
  at::Tensor forward(std::vector<torch::jit::IValue> inputs) {
    std::lock_guard<std::mutex> lock(mutex_);
    torch::NoGradGuard noGrad;
    torch::jit::IValue out;
    try {
      out = module_.forward(std::move(inputs));
    } catch (const std::exception& e) {
      std::string msg = e.what();
      const auto nl = msg.find('\n');
      if (nl != std::string::npos) msg = msg.substr(0, nl);
      throw std::runtime_error("the module failed: " + msg);
    }
    if (out.isTuple()) out = out.toTuple()->elements().at(0);
    if (!out.isTensor()) throw std::runtime_error("the module returned something other than a tensor");
    return out.toTensor().to(torch::kFloat32).contiguous();
  }
  int forwardArguments() const { return static_cast<int>(module_.get_method("forward").function().getSchema().arguments().size()) - 1; }
  int intAttribute(const char* name, int fallback) const {
    if (!module_.hasattr(name)) return fallback;
    const auto v = module_.attr(name);
    return v.isInt() ? static_cast<int>(v.toInt()) : fallback;
  }
  const std::string& path() const { return path_; }
  const std::string& hash() const { return hash_; }

 private:
  std::string path_, hash_;
  torch::jit::script::Module module_;
  std::mutex mutex_;
};

std::vector<float> toVector(const at::Tensor& t) { return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel()); }

/// [1, D] or [D] as is; [1, T, D] averaged over T (audio) or its first row (text).
std::vector<float> pooled(const at::Tensor& out, bool firstToken, int expect, const char* what) {
  at::Tensor v;
  if (out.dim() == 1) v = out;
  else if (out.dim() == 2 && out.size(0) == 1) v = out[0];
  else if (out.dim() == 3 && out.size(0) == 1 && out.size(1) > 0) v = firstToken ? out[0][0] : out[0].mean(0);
  else throw std::runtime_error(std::string("the ") + what + " module returned shape " + shapeText(out) + ", not [1, D] or [1, T, D]");
  if (expect > 0 && v.size(0) != expect)
    throw std::runtime_error(std::string("the ") + what + " module returned shape " + shapeText(out) + ": " + std::to_string(v.size(0)) +
                             " values, not the " + std::to_string(expect) + " it gave when it was loaded");
  return toVector(v.contiguous());
}

class AudioModule : public extract::AudioExtractor {
 public:
  explicit AudioModule(const std::string& path) : m_(path, "audio") {
    try {
      dim_ = static_cast<int>(pooled(m_.forward({torch::zeros({1, extract::kAudioSampleRate})}), false, 0, "audio").size());
    } catch (const std::exception& e) {
      throw std::runtime_error(path + ": fails on one second of silence [1, 16000]: " + e.what());
    }
  }
  std::string identity() const override { return "torchscript-audio " + m_.hash(); }
  int dim() const override { return dim_; }
  std::vector<float> extract(const std::vector<float>& samples) const override {
    at::Tensor x = torch::from_blob(const_cast<float*>(samples.data()), {1, static_cast<int64_t>(samples.size())}, torch::kFloat32).clone();
    return pooled(m_.forward({x}), false, dim_, "audio");
  }

 private:
  mutable Module m_;
  int dim_ = 0;
};

class VisualModule : public extract::VisualExtractor {
 public:
  explicit VisualModule(const std::string& path) : m_(path, "visual") {
    side_ = m_.intAttribute("input_size", 224);
    if (side_ < 8 || side_ > 1024) throw std::runtime_error(path + ": input_size " + std::to_string(side_) + " is not a usable face crop side");
    try {
      dim_ = static_cast<int>(pool(m_.forward({torch::zeros({2, 3, side_, side_})}), 2, 0).size());
    } catch (const std::exception& e) {
      throw std::runtime_error(path + ": fails on two blank face crops [2, 3, " + std::to_string(side_) + ", " + std::to_string(side_) + "]: " + e.what());
    }
  }
  std::string identity() const override { return "torchscript-visual " + m_.hash() + " side " + std::to_string(side_); }
  int dim() const override { return dim_; }
  int faceSide() const override { return side_; }
  std::vector<float> extract(const std::vector<float>& crops, int count) const override {
    at::Tensor x = torch::from_blob(const_cast<float*>(crops.data()), {count, 3, side_, side_}, torch::kFloat32).clone();
    return pool(m_.forward({x}), count, dim_);
  }

 private:
  static std::vector<float> pool(const at::Tensor& out, int count, int expect) {
    if (out.dim() == 2 && (out.size(0) == count || out.size(0) == 1) && (expect == 0 || out.size(1) == expect))
      return toVector(out.mean(0).contiguous());
    throw std::runtime_error("the visual module returned shape " + shapeText(out) + " for " + std::to_string(count) + " crops, not [" +
                             std::to_string(count) + ", " + (expect > 0 ? std::to_string(expect) : std::string("D")) + "]");
  }
  mutable Module m_;
  int side_ = 224, dim_ = 0;
};

class TextModule : public extract::TextExtractor {
 public:
  TextModule(const std::string& path, const std::string& vocab) : m_(path, "text"), vocab_(extract::WordPiece::fromFile(vocab)) {
    vocabHash_ = contentHash(vocab);
    withMask_ = m_.forwardArguments() >= 2;
    try {
      dim_ = static_cast<int>(pooled(call(vocab_.encode("")), true, 0, "text").size());
    } catch (const std::exception& e) {
      throw std::runtime_error(path + ": fails on the ids of an empty text ([CLS] [SEP]): " + e.what());
    }
  }
  std::string identity() const override { return "torchscript-text " + m_.hash() + " vocab " + vocabHash_; }
  int dim() const override { return dim_; }
  std::vector<float> extract(const std::string& text) const override { return pooled(call(vocab_.encode(text)), true, dim_, "text"); }

 private:
  at::Tensor call(const std::vector<std::int64_t>& ids) const {
    at::Tensor x = torch::tensor(ids, torch::kInt64).unsqueeze(0);
    if (withMask_) return m_.forward({x, torch::ones_like(x)});
    return m_.forward({x});
  }
  mutable Module m_;
  extract::WordPiece vocab_;
  std::string vocabHash_;
  bool withMask_ = false;
  int dim_ = 0;
};

}  // namespace

std::shared_ptr<extract::AudioExtractor> loadAudioModule(const std::string& path) { return std::make_shared<AudioModule>(path); }
std::shared_ptr<extract::VisualExtractor> loadVisualModule(const std::string& path) { return std::make_shared<VisualModule>(path); }
std::shared_ptr<extract::TextExtractor> loadTextModule(const std::string& path, const std::string& vocabPath) {
  return std::make_shared<TextModule>(path, vocabPath);
}

extract::Extractors loadExtractors(const ExtractorFiles& f) {
  if (!f.text.empty() && f.textVocab.empty()) throw std::runtime_error("a text model needs its WordPiece vocabulary (vocab.txt)");
  if (f.text.empty() && !f.textVocab.empty()) throw std::runtime_error("a WordPiece vocabulary goes with a text model");
  extract::Extractors ex = extract::builtinExtractors();
  if (!f.audio.empty()) ex.audio = loadAudioModule(f.audio);
  if (!f.visual.empty()) ex.visual = loadVisualModule(f.visual);
  if (!f.text.empty()) ex.text = loadTextModule(f.text, f.textVocab);
  return ex;
}

}  // namespace mlsan::model
