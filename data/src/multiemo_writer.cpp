// SPDX-License-Identifier: GPL-3.0-or-later
// Writes a Corpus as a MultiEMO folder (see writeMultiEmoFolder in multiemo_corpus.h).
#include <cstdlib>
#include <filesystem>

#include "mlsan/data/multiemo_corpus.h"
#include "mlsan/data/pickle.h"
#include "mlsan/data/pickle_writer.h"

namespace mlsan::data {
namespace fs = std::filesystem;

namespace {
PyValue meldKey(const Dialogue& d, std::size_t index) {
  char* end = nullptr;
  const long long v = std::strtoll(d.key.c_str(), &end, 10);
  if (!d.key.empty() && end && *end == '\0') return PyValue::integer(v);
  return PyValue::integer(static_cast<std::int64_t>(index));
}

std::string genderOf(const Corpus& c, const Utterance& u) {
  if (u.speaker >= 0 && u.speaker < static_cast<int>(c.speakers.size())) {
    const std::string& name = c.speakers[u.speaker];
    if (!name.empty() && (name.back() == 'M' || name.back() == 'F')) return std::string(1, name.back());
  }
  return u.party == 0 ? "M" : "F";
}

PyValue featureValue(const float* rows, std::size_t n, int dim, FeatureForm form) {
  const auto d = static_cast<std::int64_t>(dim);
  if (form == FeatureForm::Arrays) return PyValue::floatArray({static_cast<std::int64_t>(n), d}, rows);
  std::vector<PyValue> list;
  list.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const float* r = rows + i * dim;
    if (form == FeatureForm::Vectors) list.push_back(PyValue::floatArray({d}, r));
    else list.push_back(PyValue::floatList(std::vector<double>(r, r + dim)));
  }
  return PyValue::list(std::move(list));
}
}  // namespace

std::vector<std::string> MultiEmoWriteReport::notes() const {
  std::vector<std::string> out;
  if (devMergedIntoTrain)
    out.push_back(std::to_string(devMergedIntoTrain) + " dev dialogue(s) were written to trainVid: MultiEMO's layout has no dev "
                  "split (the trainer holds out 5% of trainVid for validation instead)");
  if (keysReplaced)
    out.push_back(std::to_string(keysReplaced) + " dialogue key(s) that are not numbers were replaced by the dialogue's index "
                  "(MELD's layout keys dialogues by int)");
  return out;
}

MultiEmoWriteReport writeMultiEmoFolder(const Corpus& c, const std::string& dir, const MultiEmoWriteOptions& options) {
  MultiEmoWriteReport report;
  fs::create_directories(dir);
  const bool iemocap = c.dataset == "iemocap";
  std::vector<PyValue> keys;
  PyValue ids = PyValue::dict(), speakers = PyValue::dict(), labels = PyValue::dict(), sentences = PyValue::dict();
  std::vector<PyValue> train, test;
  for (std::size_t k = 0; k < c.dialogues.size(); ++k) {
    const Dialogue& d = c.dialogues[k];
    const PyValue key = iemocap ? PyValue::str(d.key) : meldKey(d, k);
    if (!iemocap && std::to_string(key.asInt()) != d.key) ++report.keysReplaced;
    report.devMergedIntoTrain += d.split == Split::Dev;
    keys.push_back(key);
    std::vector<PyValue> uid, spk, lab, sen;
    for (std::size_t i = 0; i < d.utterances.size(); ++i) {
      const Utterance& u = d.utterances[i];
      if (iemocap) {
        uid.push_back(PyValue::str(d.key + "_" + genderOf(c, u) + std::to_string(1000 + i).substr(1)));
        spk.push_back(PyValue::str(genderOf(c, u)));
      } else {
        uid.push_back(PyValue::integer(u.utteranceId >= 0 ? u.utteranceId : static_cast<std::int64_t>(i)));
        std::vector<PyValue> onehot(9, PyValue::integer(0));
        onehot.at(static_cast<std::size_t>(u.party)) = PyValue::integer(1);
        spk.push_back(PyValue::list(std::move(onehot)));
      }
      lab.push_back(PyValue::integer(u.label));
      sen.push_back(PyValue::str(u.transcript));
    }
    ids.setItem(key, PyValue::list(std::move(uid)));
    speakers.setItem(key, PyValue::list(std::move(spk)));
    labels.setItem(key, PyValue::list(std::move(lab)));
    sentences.setItem(key, PyValue::list(std::move(sen)));
    (d.split == Split::Test ? test : train).push_back(key);
  }
  std::vector<PyValue> fields = {ids, speakers, labels, PyValue::dict(), PyValue::dict(), PyValue::dict(), sentences,
                                 PyValue::list(std::move(train)), PyValue::list(std::move(test))};
  if (!iemocap) fields.push_back(PyValue());  // MELD's tenth, unused field
  const PickleWriteOptions po{options.protocol, true};
  writePickleFile((fs::path(dir) / "Speakers.pkl").string(), PyValue::tuple(std::move(fields)), po);
  if (!options.features || !c.hasFeatures()) return report;

  const struct { const char* file; const std::vector<float>* m; int dim; } mods[3] = {
      {"TextFeatures.pkl", &c.text, c.dimText}, {"AudioFeatures.pkl", &c.audio, c.dimAudio}, {"VisualFeatures.pkl", &c.visual, c.dimVisual}};
  for (const auto& m : mods) {
    PyValue feats = PyValue::dict();  // one modality at a time: its value tree is freed before the next
    for (std::size_t k = 0; k < c.dialogues.size(); ++k) {
      const Dialogue& d = c.dialogues[k];
      feats.setItem(keys[k], featureValue(m.m->data() + d.firstRow * m.dim, d.size(), m.dim, options.form));
    }
    writePickleFile((fs::path(dir) / m.file).string(), feats, po);
  }
  return report;
}

}  // namespace mlsan::data
