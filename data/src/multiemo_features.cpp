// SPDX-License-Identifier: GPL-3.0-or-later
// MultiEMO folders: Speakers.pkl joined with TextFeatures.pkl, AudioFeatures.pkl and
// VisualFeatures.pkl, each checked against the annotations and copied once into the corpus's
// contiguous feature matrices.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <future>

#include "mlsan/data/multiemo_corpus.h"
#include "mlsan/data/pickle.h"
#include "multiemo_internal.h"
#include "pickle_internal.h"

namespace mlsan::data {
namespace fs = std::filesystem;

namespace {
/// One feature pickle and the matrix it fills.
struct Modality {
  Modality(const char* f, const char* w, int e) : file(f), what(w), expected(e) {}
  const char* file;
  const char* what;
  int expected;       ///< expected dim, 0 = any
  int dim = 0;        ///< the dim found
  std::vector<float> matrix;
};

class FeatureReader {
 public:
  FeatureReader(std::string path, const AnnotationResult& ann, Modality& mod)
      : path_(std::move(path)), ann_(ann), mod_(mod) {
    for (const auto& d : ann.corpus.dialogues) rows_ += d.size();
    if (mod_.expected > 0) setDim(mod_.expected);
  }

  void read() {
    const PyValue root = loadPickleFile(path_);
    if (!root.is(PyKind::Dict)) fail("expected a dict dialogue key -> features, found " + root.describe());
    for (const auto& [key, value] : root.dictItems())
      if (!ann_.allKeys.count(hashKey(key))) fail("dialogue " + dialogueKeyText(key) + " is not in Speakers.pkl");
    const auto& dialogues = ann_.corpus.dialogues;
    for (std::size_t k = 0; k < dialogues.size(); ++k) {
      const PyValue* v = root.get(ann_.keys[k]);
      if (!v) fail("dialogue " + dialogues[k].key + " is missing (Speakers.pkl has it)");
      appendDialogue(dialogues[k].key, *v, dialogues[k].size());
    }
    if (mod_.dim == 0) mod_.dim = mod_.expected;
  }

 private:
  std::string path_;
  const AnnotationResult& ann_;
  Modality& mod_;
  std::size_t rows_ = 0;

  [[noreturn]] void fail(const std::string& what) const { throw std::runtime_error(path_ + ": " + what); }

  void setDim(int d) {
    mod_.dim = d;
    mod_.matrix.reserve(rows_ * static_cast<std::size_t>(d));  // the one allocation
  }
  void checkDim(const std::string& where, std::size_t d) {
    if (mod_.dim == 0 && d > 0 && d < (1u << 24)) setDim(static_cast<int>(d));
    if (d != static_cast<std::size_t>(mod_.dim))
      fail(where + ": " + std::to_string(d) + " values per utterance, expected " + std::to_string(mod_.dim) +
           (mod_.expected > 0 ? std::string(" (") + mod_.what + " features)" : std::string(" (as in the other dialogues)")));
  }
  float* grow(std::size_t n) {
    const std::size_t old = mod_.matrix.size();
    mod_.matrix.resize(old + n);
    return mod_.matrix.data() + old;
  }

  void appendDialogue(const std::string& key, const PyValue& v, std::size_t utterances) {
    const std::string where = "dialogue " + key;
    const std::size_t start = mod_.matrix.size();
    std::size_t n = 0;
    if (v.is(PyKind::Array)) {
      const PyArray& a = v.asArray();
      if (a.ndim() != 2) fail(where + ": a numpy " + a.describe() + ", expected [utterances, dim]");
      n = static_cast<std::size_t>(a.shape[0]);
      if (n != utterances) countMismatch(where, n, utterances);
      checkDim(where, static_cast<std::size_t>(a.shape[1]));
      a.toFloat(grow(a.size()));
    } else if (v.is(PyKind::List) || v.is(PyKind::Tuple)) {
      n = v.size();
      if (n != utterances) countMismatch(where, n, utterances);
      for (std::size_t i = 0; i < n; ++i) appendVector(where + ", utterance " + std::to_string(i), v.at(i));
    } else {
      fail(where + ": features are " + v.describe() + ", expected a numpy array or a list of vectors");
    }
    checkFinite(key, start);
  }

  void appendVector(const std::string& where, const PyValue& u) {
    if (u.is(PyKind::Array)) {
      const PyArray& a = u.asArray();
      if (a.ndim() != 1 && !(a.ndim() == 2 && a.shape[0] == 1)) fail(where + ": a numpy " + a.describe() + ", expected a vector");
      checkDim(where, a.size());
      a.toFloat(grow(a.size()));
    } else if (const auto* f = u.floatItems()) {
      checkDim(where, f->size());
      float* out = grow(f->size());
      for (std::size_t i = 0; i < f->size(); ++i) out[i] = static_cast<float>((*f)[i]);
    } else if (u.is(PyKind::List) || u.is(PyKind::Tuple)) {
      checkDim(where, u.size());
      float* out = grow(u.size());
      for (std::size_t i = 0; i < u.size(); ++i) {
        const PyValue x = u.at(i);
        if (!x.isNumber()) fail(where + ": holds " + x.describe() + " at dimension " + std::to_string(i));
        out[i] = static_cast<float>(x.asNumber());
      }
    } else {
      fail(where + ": is " + u.describe() + ", expected a vector");
    }
  }

  void countMismatch(const std::string& where, std::size_t here, std::size_t there) const {
    fail(where + " has " + std::to_string(here) + " utterances here but " + std::to_string(there) + " in Speakers.pkl");
  }

  void checkFinite(const std::string& key, std::size_t start) const {
    const float* p = mod_.matrix.data() + start;
    const std::size_t n = mod_.matrix.size() - start;
    std::uint32_t bad = 0;
    for (std::size_t i = 0; i < n; ++i) {  // branch-free: vectorises
      std::uint32_t bits;
      std::memcpy(&bits, p + i, 4);
      bad |= static_cast<std::uint32_t>((bits & 0x7f800000u) == 0x7f800000u);
    }
    if (!bad) return;
    for (std::size_t i = 0; i < n; ++i) {
      if (std::isfinite(p[i])) continue;
      const std::size_t dim = static_cast<std::size_t>(mod_.dim);
      fail("dialogue " + key + ", utterance " + std::to_string(i / dim) + ": " + (std::isnan(p[i]) ? "NaN" : "Inf") + " in the " +
           mod_.what + " features at dimension " + std::to_string(i % dim));
    }
  }
};
}  // namespace

Corpus readMultiEmoFolder(const std::string& dir, const MultiEmoOptions& options) {
  const fs::path root(dir);
  const std::string speakersPath = (root / "Speakers.pkl").string();
  std::error_code ec;
  if (!fs::is_regular_file(speakersPath, ec)) throw std::runtime_error(dir + ": not a MultiEMO folder (no Speakers.pkl)");
  AnnotationResult ann = readAnnotations(loadPickleFile(speakersPath), speakersPath, options);
  Corpus& c = ann.corpus;
  const std::string datasetName = c.dataset == "meld" ? "MELD" : "IEMOCAP";
  c.name = !options.name.empty() ? options.name : datasetName + " (MultiEMO)";

  Modality mods[3] = {{"TextFeatures.pkl", "text", options.dimText},
                      {"AudioFeatures.pkl", "audio", options.dimAudio},
                      {"VisualFeatures.pkl", "visual", options.dimVisual}};
  std::vector<std::string> missing;
  for (const auto& m : mods)
    if (!fs::is_regular_file(root / m.file, ec)) missing.push_back(m.file);
  if (missing.size() == 3) {
    c.problems.push_back(dir + ": no feature pickles (TextFeatures.pkl, AudioFeatures.pkl, VisualFeatures.pkl): annotations only");
  } else if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    throw std::runtime_error(dir + ": incomplete MultiEMO folder: " + list + " missing");
  } else {
    // The three pickles are independent: parse them on two threads (each tree is freed as
    // soon as its matrix is filled).
    auto readOne = [&](Modality& m) { FeatureReader((root / m.file).string(), ann, m).read(); };
    auto visual = std::async(std::launch::async, readOne, std::ref(mods[2]));
    std::exception_ptr error;
    try {
      readOne(mods[0]);
      readOne(mods[1]);
    } catch (...) {
      error = std::current_exception();
    }
    try {
      visual.get();
    } catch (...) {
      if (!error) error = std::current_exception();  // report the first file in order
    }
    if (error) std::rethrow_exception(error);
    c.dimText = mods[0].dim;
    c.dimAudio = mods[1].dim;
    c.dimVisual = mods[2].dim;
    c.text = std::move(mods[0].matrix);
    c.audio = std::move(mods[1].matrix);
    c.visual = std::move(mods[2].matrix);
  }
  c.reindexRows();
  try {
    c.validate();
  } catch (const std::exception& e) {
    throw std::runtime_error(dir + ": " + e.what());
  }
  return std::move(c);
}

}  // namespace mlsan::data
