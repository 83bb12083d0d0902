// SPDX-License-Identifier: GPL-3.0-or-later
// Corpora in MultiEMO's and DialogueRNN's pickle layouts (see multiemo_corpus.h): the annotation
// fields, the corpus path detection. The feature pickles are read in multiemo_features.cpp.
#include "mlsan/data/multiemo_corpus.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <unordered_map>

#include "mlsan/data/pickle.h"
#include "multiemo_internal.h"
#include "pickle_internal.h"

namespace mlsan::data {
namespace fs = std::filesystem;

std::string dialogueKeyText(const PyValue& key) {
  if (key.is(PyKind::Int)) return std::to_string(key.asInt());
  if (key.is(PyKind::Str)) return key.asStr();
  return key.describe();
}

namespace {
[[noreturn]] void fail(const std::string& file, const std::string& what) { throw std::runtime_error(file + ": " + what); }

bool keyLess(const PyValue& a, const PyValue& b) {
  const bool ai = a.is(PyKind::Int), bi = b.is(PyKind::Int);
  if (ai && bi) return a.asInt() < b.asInt();
  if (ai != bi) return ai;
  return a.asStr() < b.asStr();
}

/// Where the annotation fields sit in one pickle.
struct Layout {
  std::string file;
  std::string dataset;
  const PyValue* ids = nullptr;
  const PyValue* speakers = nullptr;
  const PyValue* labels = nullptr;
  const PyValue* sentences = nullptr;
  struct SplitField { const PyValue* keys; Split split; const char* name; };
  std::vector<SplitField> splits;
  const char *speakersName = "videoSpeakers", *labelsName = "videoLabels", *sentencesName = "videoSentence";
  /// Fields that hold data the reader does not use (Speakers.pkl's own feature dicts), described.
  std::vector<std::string> unused;
};

/// "videoAudio (151 dialogues of 100-d vectors)": what an unused dict field holds.
std::string describeFeatureField(const PyValue& field, const char* name) {
  std::string what = std::string(name) + " (" + std::to_string(field.size()) + " dialogues";
  for (const auto& [key, value] : field.dictItems()) {
    if (value.is(PyKind::Array) && value.asArray().ndim() == 2) {
      what += " of " + std::to_string(value.asArray().shape[1]) + "-d vectors";
    } else if (value.isSequence() && value.size() > 0) {
      const PyValue first = value.at(0);
      if (first.is(PyKind::Array)) what += " of " + std::to_string(first.asArray().size()) + "-d vectors";
      else if (first.isSequence()) what += " of " + std::to_string(first.size()) + "-d vectors";
    }
    break;
  }
  return what + ")";
}

/// "meld" when speakers are one-hot party vectors, "iemocap" when they are 'M'/'F', "" if unclear.
std::string datasetFromSpeakers(const PyValue& speakers) {
  for (const auto& [key, value] : speakers.dictItems()) {
    if (!value.isSequence() && !value.is(PyKind::Array)) return "";
    if (value.is(PyKind::Array)) return value.asArray().ndim() == 2 ? "meld" : "";
    if (value.size() == 0) continue;
    const PyValue first = value.at(0);
    if (first.is(PyKind::Str)) return "iemocap";
    if (first.isSequence() || first.is(PyKind::Array)) return "meld";
    return "";
  }
  return "";
}

Layout parseLayout(const PyValue& root, const std::string& file, const std::string& datasetOption) {
  if (!root.is(PyKind::List) && !root.is(PyKind::Tuple))
    fail(file, "not an annotation pickle: holds a " + std::string(root.typeName()) +
                   " (expected MultiEMO's Speakers.pkl tuple of 9 or 10 fields, or DialogueRNN/COSMIC's list of 6 or 7)");
  const std::size_t n = root.size();
  if (n != 6 && n != 7 && n != 9 && n != 10)
    fail(file, "not an annotation pickle: a " + std::string(root.typeName()) + " of " + std::to_string(n) +
                   " fields (expected MultiEMO's Speakers.pkl tuple of 9 or 10 fields, or DialogueRNN/COSMIC's list of 6 or 7)");
  if (root.floatItems() && n > 0) fail(file, "not an annotation pickle: a list of floats");
  const auto& f = root.items();
  Layout l;
  l.file = file;
  auto dictAt = [&](std::size_t i, const char* name) -> const PyValue* {
    if (!f[i].is(PyKind::Dict)) fail(file, std::string("field ") + std::to_string(i) + " (" + name + ") is " + f[i].describe() + ", expected a dict");
    return &f[i];
  };
  auto keysAt = [&](std::size_t i, Split s, const char* name) {
    if (!f[i].isSequence()) fail(file, std::string("field ") + std::to_string(i) + " (" + name + ") is " + f[i].describe() + ", expected a list of dialogue keys");
    l.splits.push_back({&f[i], s, name});
  };
  if (n >= 9) {  // MultiEMO's Speakers.pkl (DialogueRNN's *_features.pkl)
    l.speakers = dictAt(1, "videoSpeakers");
    const std::string bySpeakers = datasetFromSpeakers(*l.speakers);
    l.dataset = !bySpeakers.empty() ? bySpeakers : (n == 10 ? "meld" : "iemocap");
    if (f[0].is(PyKind::Dict)) l.ids = &f[0];
    l.labels = dictAt(2, "videoLabels");
    // DialogueRNN's MELD_features_raw.pkl has 9 fields with no visual: sentences at 5, splits at 6, 7.
    const std::size_t s = (n == 9 && l.dataset == "meld") ? 5 : 6;
    if (!f[s].isNone()) l.sentences = dictAt(s, "videoSentence");
    keysAt(s + 1, Split::Train, "trainVid");
    keysAt(s + 2, Split::Test, "testVid");
    // Fields 3.. before the sentences: the dialogue's text, audio (and visual) vectors that
    // DialogueRNN's pickles carry. MultiEMO reads its features from the three feature pickles.
    const char* featureNames[] = {"videoText", "videoAudio", "videoVisual"};
    for (std::size_t i = 3; i < s; ++i)
      if (f[i].is(PyKind::Dict) && f[i].size() > 0) l.unused.push_back(describeFeatureField(f[i], featureNames[i - 3]));
  } else {  // DialogueRNN / COSMIC: speakers, labels[, labels2], sentences, train, test, dev
    l.speakersName = "speakers";
    l.labelsName = "labels";
    l.sentencesName = "sentences";
    l.speakers = dictAt(0, "speakers");
    l.labels = dictAt(1, "labels");
    const std::size_t s = n == 7 ? 3 : 2;
    l.sentences = dictAt(s, "sentences");
    keysAt(s + 1, Split::Train, "train keys");
    keysAt(s + 2, Split::Test, "test keys");
    keysAt(s + 3, Split::Dev, "dev keys");
    const std::string bySpeakers = datasetFromSpeakers(*l.speakers);
    l.dataset = !bySpeakers.empty() ? bySpeakers : (n == 7 ? "meld" : "iemocap");
  }
  if (!datasetOption.empty() && datasetOption != l.dataset)
    fail(file, "the speakers look like " + l.dataset + " but dataset '" + datasetOption + "' was asked for");
  if (l.sentences && l.sentences->size() == 0) l.sentences = nullptr;
  return l;
}

/// The items of a list/tuple, or the elements of a 1-D numpy array, as PyValues.
std::vector<PyValue> elementsOf(const PyValue& v) {
  std::vector<PyValue> out;
  if (v.is(PyKind::Array)) {
    const PyArray& a = v.asArray();
    if (a.ndim() != 1) return out;
    for (std::size_t i = 0; i < a.size(); ++i) {
      const double d = a.at(i);
      out.push_back(a.dtype == PyDType::Float16 || a.dtype == PyDType::Float32 || a.dtype == PyDType::Float64
                        ? PyValue::floating(d) : PyValue::integer(static_cast<std::int64_t>(d)));
    }
    return out;
  }
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out.push_back(v.at(i));
  return out;
}

std::size_t lengthOf(const PyValue& v) {
  if (v.is(PyKind::Array)) return v.asArray().ndim() >= 1 ? static_cast<std::size_t>(v.asArray().shape[0]) : 0;
  return v.isSequence() ? v.size() : static_cast<std::size_t>(-1);
}

/// The position within the dialogue of a MELD one-hot speaker vector (argmax).
int partyOf(const std::string& where, const PyValue& v) {
  std::vector<double> x;
  if (v.is(PyKind::Array) && v.asArray().size() <= 64) {
    for (std::size_t i = 0; i < v.asArray().size(); ++i) x.push_back(v.asArray().at(i));
  } else if (v.isSequence() && v.size() <= 64) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      const PyValue e = v.at(i);
      if (!e.isNumber()) throw std::runtime_error(where + ": speaker vector holds " + e.describe());
      x.push_back(e.asNumber());
    }
  } else {
    throw std::runtime_error(where + ": speaker is " + v.describe() + ", expected a one-hot vector of 9");
  }
  if (x.empty() || x.size() > 9) throw std::runtime_error(where + ": speaker vector has " + std::to_string(x.size()) + " entries, expected 9");
  return static_cast<int>(std::max_element(x.begin(), x.end()) - x.begin());
}

/// Utterance i's party from a dialogue's speakers: a list of one-hot vectors or an [L, 9] array.
int partyAt(const std::string& where, const PyValue& speakers, std::size_t i) {
  if (speakers.is(PyKind::Array)) {
    const PyArray& a = speakers.asArray();
    if (a.ndim() != 2 || a.shape[1] < 1 || a.shape[1] > 9)
      throw std::runtime_error(where + ": speakers are a numpy " + a.describe() + ", expected [utterances, 9]");
    const auto width = static_cast<std::size_t>(a.shape[1]);
    std::size_t best = 0;
    for (std::size_t j = 1; j < width; ++j)
      if (a.at(i * width + j) > a.at(i * width + best)) best = j;
    return static_cast<int>(best);
  }
  return partyOf(where, speakers.at(i));
}

std::string actorOf(const std::string& key, const std::string& gender) {
  if (key.size() >= 5 && key.compare(0, 3, "Ses") == 0 && std::isdigit(static_cast<unsigned char>(key[3])) &&
      std::isdigit(static_cast<unsigned char>(key[4])))
    return key.substr(0, 5) + gender;
  return gender;
}
}  // namespace

AnnotationResult readAnnotations(const PyValue& root, const std::string& file, const MultiEmoOptions& options) {
  const Layout l = parseLayout(root, file, options.dataset);
  AnnotationResult r;
  Corpus& c = r.corpus;
  c.dataset = l.dataset;
  c.labels = l.dataset == "meld" ? meldLabels() : iemocapLabels();
  c.speakerSource = l.dataset == "meld" ? "party" : "actors";

  // Every dict must hold the same dialogues.
  std::vector<PyValue> keys;
  for (const auto& [key, value] : l.labels->dictItems()) {
    if (!key.is(PyKind::Int) && !key.is(PyKind::Str)) fail(file, std::string(l.labelsName) + " has a dialogue key that is " + key.describe());
    keys.push_back(key);
    r.allKeys.insert(hashKey(key));
  }
  for (const PyValue* other : {l.speakers, l.sentences}) {
    if (!other) continue;
    const char* otherName = other == l.speakers ? l.speakersName : l.sentencesName;
    for (const auto& [key, value] : other->dictItems())
      if (!l.labels->get(key))
        fail(file, "dialogue " + dialogueKeyText(key) + " is in " + otherName + " but not in " + l.labelsName);
    for (const auto& key : keys)
      if (!other->get(key)) fail(file, "dialogue " + dialogueKeyText(key) + " is in " + l.labelsName + " but not in " + otherName);
  }
  std::unordered_map<std::string, Split> splitOf;
  for (const auto& s : l.splits) {
    for (const PyValue& key : elementsOf(*s.keys)) {
      if (!l.labels->get(key)) fail(file, std::string(s.name) + " lists dialogue " + dialogueKeyText(key) + ", which has no labels");
      if (!splitOf.emplace(hashKey(key), s.split).second)
        fail(file, "dialogue " + dialogueKeyText(key) + " is listed in more than one split (" + s.name + ")");
    }
  }
  std::sort(keys.begin(), keys.end(), keyLess);

  std::vector<std::string> actors;       // IEMOCAP: distinct actor names, sorted at the end
  std::vector<std::string> actorOfUtt;   // IEMOCAP: each utterance's actor, in corpus order
  std::size_t unassigned = 0;
  for (const PyValue& key : keys) {
    const auto split = splitOf.find(hashKey(key));
    if (split == splitOf.end()) {
      ++unassigned;
      continue;
    }
    Dialogue d;
    d.key = dialogueKeyText(key);
    d.split = split->second;
    const std::string where = file + ": dialogue " + d.key;
    const PyValue& labels = *l.labels->get(key);
    if (!labels.isSequence() && !labels.is(PyKind::Array)) throw std::runtime_error(where + ": labels are " + labels.describe());
    const std::vector<PyValue> labelItems = elementsOf(labels);
    if (labelItems.empty()) throw std::runtime_error(where + ": has no utterances");
    const std::size_t n = labelItems.size();
    const PyValue& speakers = *l.speakers->get(key);
    if (lengthOf(speakers) != n)
      throw std::runtime_error(where + ": " + std::to_string(n) + " labels but " + speakers.describe() + " in " + l.speakersName);
    std::vector<PyValue> sentences, ids;
    if (l.sentences) {
      const PyValue& s = *l.sentences->get(key);
      if (lengthOf(s) != n) throw std::runtime_error(where + ": " + std::to_string(n) + " labels but " + s.describe() + " in " + l.sentencesName);
      sentences = elementsOf(s);
    }
    if (l.ids && l.ids->get(key) && lengthOf(*l.ids->get(key)) == n) ids = elementsOf(*l.ids->get(key));
    std::string firstGender;
    for (std::size_t i = 0; i < n; ++i) {
      const std::string at = where + ", utterance " + std::to_string(i);
      Utterance u;
      if (!labelItems[i].is(PyKind::Int) || labelItems[i].asInt() < 0 || labelItems[i].asInt() >= c.labels.size())
        throw std::runtime_error(at + ": label " + labelItems[i].describe() + " is not a " + c.dataset + " label (0.." +
                                 std::to_string(c.labels.size() - 1) + ")");
      u.label = static_cast<int>(labelItems[i].asInt());
      if (c.dataset == "meld") {
        u.party = partyAt(at, speakers, i);
        u.speaker = u.party;
      } else {
        const PyValue g = speakers.at(i);
        if (!g.is(PyKind::Str) || (g.asStr() != "M" && g.asStr() != "F"))
          throw std::runtime_error(at + ": speaker is " + g.describe() + ", expected 'M' or 'F'");
        if (firstGender.empty()) firstGender = g.asStr();
        u.party = g.asStr() == firstGender ? 0 : 1;
        actorOfUtt.push_back(actorOf(d.key, g.asStr()));
        if (std::find(actors.begin(), actors.end(), actorOfUtt.back()) == actors.end()) actors.push_back(actorOfUtt.back());
      }
      if (!ids.empty() && ids[i].is(PyKind::Int)) u.utteranceId = static_cast<int>(ids[i].asInt());
      if (!sentences.empty()) {
        if (!sentences[i].is(PyKind::Str)) throw std::runtime_error(at + ": sentence is " + sentences[i].describe());
        u.transcript = sentences[i].asStr();  // raw, as the pickle holds it (mojibake included)
      }
      d.utterances.push_back(std::move(u));
    }
    r.keys.push_back(key);
    c.dialogues.push_back(std::move(d));
  }
  if (c.dataset == "meld") {
    for (int p = 1; p <= 9; ++p) c.speakers.push_back("party " + std::to_string(p));
  } else {
    std::sort(actors.begin(), actors.end());
    c.speakers = actors;
    std::size_t k = 0;
    for (auto& d : c.dialogues)
      for (auto& u : d.utterances)
        u.speaker = static_cast<int>(std::lower_bound(actors.begin(), actors.end(), actorOfUtt[k++]) - actors.begin());
  }
  if (unassigned)
    c.problems.push_back(file + ": " + std::to_string(unassigned) + " dialogue(s) are in no split list and were left out");
  if (!l.unused.empty()) {
    std::string fields;
    for (const auto& u : l.unused) fields += (fields.empty() ? "" : ", ") + u;
    c.problems.push_back(file + ": not used: " + fields + "; the features come from TextFeatures.pkl, AudioFeatures.pkl and "
                         "VisualFeatures.pkl (MultiEMO's own)");
  }
  if (c.dialogues.empty()) fail(file, "no dialogue is listed in a split");
  return r;
}

Corpus readDialogueRnnPickle(const std::string& file, const MultiEmoOptions& options) {
  AnnotationResult r = readAnnotations(loadPickleFile(file), file, options);
  Corpus& c = r.corpus;
  c.name = !options.name.empty() ? options.name
                                 : std::string(c.dataset == "meld" ? "MELD" : "IEMOCAP") + " (" + fs::path(file).filename().string() + ")";
  c.problems.push_back(file + ": annotations only (no feature vectors)");
  c.reindexRows();
  try {
    c.validate();
  } catch (const std::exception& e) {
    fail(file, e.what());
  }
  return std::move(c);
}

const char* corpusKindName(CorpusKind kind) {
  switch (kind) {
    case CorpusKind::Unknown: return "unknown";
    case CorpusKind::ProjectFolder: return "project corpus folder";
    case CorpusKind::MultiEmoFolder: return "MultiEMO folder";
    case CorpusKind::AnnotationPickle: return "annotation pickle";
    case CorpusKind::MeldCsvFolder: return "MELD CSV folder";
  }
  return "?";
}

CorpusKind detectCorpusKind(const std::string& path) {
  std::error_code ec;
  const fs::path p(path);
  if (fs::is_directory(p, ec)) {
    if (fs::is_regular_file(p / "corpus.json", ec)) return CorpusKind::ProjectFolder;
    if (fs::is_regular_file(p / "Speakers.pkl", ec)) return CorpusKind::MultiEmoFolder;
    for (const char* csv : {"train_sent_emo.csv", "dev_sent_emo.csv", "test_sent_emo.csv"})
      if (fs::is_regular_file(p / csv, ec)) return CorpusKind::MeldCsvFolder;
    return CorpusKind::Unknown;
  }
  if (!fs::is_regular_file(p, ec)) return CorpusKind::Unknown;
  std::ifstream in(path, std::ios::binary);
  char head[2] = {0, 0};
  in.read(head, 2);
  if (in.gcount() == 2 && static_cast<unsigned char>(head[0]) == 0x80 && head[1] >= 2 && head[1] <= 5)
    return CorpusKind::AnnotationPickle;
  const std::string ext = p.extension().string();
  if (in.gcount() >= 1 && (head[0] == '(' || head[0] == ']' || head[0] == '}') && (ext == ".pkl" || ext == ".pickle" || ext == ".p"))
    return CorpusKind::AnnotationPickle;  // protocol 0 or 1
  return CorpusKind::Unknown;
}

std::vector<std::string> pickleCorpusSources(const std::string& path) {
  std::vector<std::string> out;
  std::error_code ec;
  switch (detectCorpusKind(path)) {
    case CorpusKind::MultiEmoFolder:
      for (const char* f : {"Speakers.pkl", "TextFeatures.pkl", "AudioFeatures.pkl", "VisualFeatures.pkl"})
        if (fs::exists(fs::path(path) / f, ec)) out.push_back((fs::path(path) / f).string());
      break;
    case CorpusKind::AnnotationPickle: out.push_back(path); break;
    default: break;
  }
  return out;
}

Corpus readPickleCorpus(const std::string& path, const MultiEmoOptions& options) {
  switch (detectCorpusKind(path)) {
    case CorpusKind::MultiEmoFolder: return readMultiEmoFolder(path, options);
    case CorpusKind::AnnotationPickle: return readDialogueRnnPickle(path, options);
    default: throw std::runtime_error(path + ": neither a MultiEMO folder (with Speakers.pkl) nor a pickle file");
  }
}

}  // namespace mlsan::data
