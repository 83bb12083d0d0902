// SPDX-License-Identifier: GPL-3.0-or-later
// Corpora in MultiEMO's and DialogueRNN's pickle layouts and the binary corpus cache (issue 3):
// generated folders in every value form and protocol, the committed real-Python folders, the
// real COSMIC pickles, bad input naming file and dialogue, cache hits, corruption, invalidation.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>

#include "mlsan/data/atomic_file.h"
#include "mlsan/data/corpus_cache.h"
#include "mlsan/data/corpus_io.h"
#include "mlsan/data/demo_corpus.h"
#include "mlsan/data/multiemo_corpus.h"
#include "mlsan/data/pickle.h"
#include "mlsan/data/pickle_writer.h"

using namespace mlsan::data;
namespace fs = std::filesystem;

namespace {
std::string fixture(const std::string& name) { return std::string(MLSAN_TEST_SOURCE_DIR) + "/fixtures/pickle/" + name; }
std::string testData(const std::string& name) { return std::string(MLSAN_TEST_DATA_DIR) + "/" + name; }

/// A fresh folder under the system temp dir, removed at the end of the test.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag) {
    static int counter = 0;
    path = fs::temp_directory_path() / ("mlsan_multiemo_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

constexpr int kDimT = 8, kDimA = 6, kDimV = 4;
MultiEmoOptions smallDims() {
  MultiEmoOptions o;
  o.dimText = kDimT;
  o.dimAudio = kDimA;
  o.dimVisual = kDimV;
  return o;
}

float featureValue(int modality, std::size_t row, int dim) { return 1000.0f * modality + static_cast<float>(row) + 0.25f * dim; }

/// The corpus the generated folders hold, built directly (what reading them must give back).
Corpus sourceCorpus(const std::string& dataset) {
  Corpus c;
  c.dataset = dataset;
  const bool meld = dataset == "meld";
  c.labels = meld ? meldLabels() : iemocapLabels();
  c.speakerSource = meld ? "party" : "actors";
  c.dimText = kDimT;
  c.dimAudio = kDimA;
  c.dimVisual = kDimV;
  const std::vector<std::string> keys = meld ? std::vector<std::string>{"0", "1", "3", "1039", "1040", "1153", "1160"}
                                             : std::vector<std::string>{"Ses01F_impro01", "Ses01M_script02_1", "Ses03F_impro05",
                                                                        "Ses05F_impro02", "Ses05M_script01_1b"};
  const int lengths[] = {3, 1, 5, 2, 4, 3, 2};
  std::vector<std::string> actors;
  for (std::size_t k = 0; k < keys.size(); ++k) {
    Dialogue d;
    d.key = keys[k];
    d.split = meld ? (std::stoi(d.key) >= 1153 ? Split::Test : Split::Train) : (d.key.compare(0, 5, "Ses05") == 0 ? Split::Test : Split::Train);
    for (int i = 0; i < lengths[k]; ++i) {
      Utterance u;
      u.label = static_cast<int>((k * 3 + i) % c.labels.size());
      u.transcript = "dialogue " + d.key + " line " + std::to_string(i) + " it\xC2\x92s";
      if (meld) {
        u.party = static_cast<int>((i * (k + 1)) % 3);
        u.speaker = u.party;
        u.utteranceId = 2 * i;
      } else {
        const char own = d.key[5], other = own == 'F' ? 'M' : 'F';
        const char g = (i % 3 == 1) ? other : own;  // the first utterance is always the key's own gender
        u.party = g == own ? 0 : 1;
        actors.push_back(d.key.substr(0, 5) + g);
        u.speaker = static_cast<int>(actors.size() - 1);  // fixed below
      }
      d.utterances.push_back(u);
    }
    c.dialogues.push_back(d);
  }
  if (meld) {
    for (int p = 1; p <= 9; ++p) c.speakers.push_back("party " + std::to_string(p));
  } else {
    std::vector<std::string> sorted = actors;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    c.speakers = sorted;
    for (auto& d : c.dialogues)
      for (auto& u : d.utterances)
        u.speaker = static_cast<int>(std::find(sorted.begin(), sorted.end(), actors[u.speaker]) - sorted.begin());
  }
  c.reindexRows();
  const std::size_t rows = c.numUtterances();
  for (std::size_t r = 0; r < rows; ++r) {
    for (int j = 0; j < kDimT; ++j) c.text.push_back(featureValue(0, r, j));
    for (int j = 0; j < kDimA; ++j) c.audio.push_back(featureValue(1, r, j));
    for (int j = 0; j < kDimV; ++j) c.visual.push_back(featureValue(2, r, j));
  }
  c.validate();
  return c;
}

void expectSameCorpus(const Corpus& want, const Corpus& got, bool compareUtteranceIds = true) {
  EXPECT_EQ(got.dataset, want.dataset);
  EXPECT_EQ(got.labels.labels, want.labels.labels);
  EXPECT_EQ(got.speakers, want.speakers);
  EXPECT_EQ(got.speakerSource, want.speakerSource);
  EXPECT_EQ(got.dimText, want.dimText);
  EXPECT_EQ(got.dimAudio, want.dimAudio);
  EXPECT_EQ(got.dimVisual, want.dimVisual);
  ASSERT_EQ(got.dialogues.size(), want.dialogues.size());
  for (std::size_t k = 0; k < want.dialogues.size(); ++k) {
    const auto &a = want.dialogues[k], &b = got.dialogues[k];
    EXPECT_EQ(b.key, a.key);
    EXPECT_EQ(b.split, a.split) << a.key;
    ASSERT_EQ(b.size(), a.size()) << a.key;
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(b.utterances[i].label, a.utterances[i].label) << a.key << " " << i;
      EXPECT_EQ(b.utterances[i].party, a.utterances[i].party) << a.key << " " << i;
      EXPECT_EQ(b.utterances[i].speaker, a.utterances[i].speaker) << a.key << " " << i;
      EXPECT_EQ(b.utterances[i].transcript, a.utterances[i].transcript);
      if (compareUtteranceIds) {
        EXPECT_EQ(b.utterances[i].utteranceId, a.utterances[i].utteranceId);
      }
    }
  }
  EXPECT_EQ(got.text, want.text);
  EXPECT_EQ(got.audio, want.audio);
  EXPECT_EQ(got.visual, want.visual);
}

std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

struct SplitCount {
  std::size_t dialogues = 0, utterances = 0;
  std::map<std::string, int> labels;
};
std::map<Split, SplitCount> countSplits(const Corpus& c) {
  std::map<Split, SplitCount> m;
  for (const auto& d : c.dialogues) {
    auto& s = m[d.split];
    ++s.dialogues;
    s.utterances += d.size();
    for (const auto& u : d.utterances) ++s.labels[c.labels.labels[u.label]];
  }
  return m;
}
}  // namespace

// --- generated MultiEMO folders -----------------------------------------------------------------

class GeneratedFolder : public ::testing::TestWithParam<std::tuple<std::string, int, FeatureForm>> {};

TEST_P(GeneratedFolder, ReadsBackTheCorpusItWasWrittenFrom) {
  const auto [dataset, protocol, form] = GetParam();
  TempDir dir("gen");
  const Corpus source = sourceCorpus(dataset);
  writeMultiEmoFolder(source, dir.path.string(), {protocol, form, true});
  EXPECT_EQ(detectCorpusKind(dir.path.string()), CorpusKind::MultiEmoFolder);
  MultiEmoOptions options = smallDims();
  const Corpus got = readMultiEmoFolder(dir.path.string(), options);
  expectSameCorpus(source, got, dataset == "meld");
  EXPECT_EQ(got.name, dataset == "meld" ? "MELD (MultiEMO)" : "IEMOCAP (MultiEMO)");
  EXPECT_EQ(got.signature(), readPickleCorpus(dir.path.string(), options).signature());
  // dims 0 accept whatever the files hold; the dataset can be forced, and must then fit.
  options.dimText = options.dimAudio = options.dimVisual = 0;
  options.dataset = dataset;
  EXPECT_EQ(readMultiEmoFolder(dir.path.string(), options).dimVisual, kDimV);
  options.dataset = dataset == "meld" ? "iemocap" : "meld";
  EXPECT_NE(errorOf([&] { readMultiEmoFolder(dir.path.string(), options); }).find("was asked for"), std::string::npos);
}

std::string generatedFolderName(const ::testing::TestParamInfo<GeneratedFolder::ParamType>& info) {
  static const char* const forms[] = {"arrays", "vectors", "lists"};
  return std::get<0>(info.param) + "_p" + std::to_string(std::get<1>(info.param)) + "_" +
         forms[static_cast<int>(std::get<2>(info.param))];
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, GeneratedFolder,
    ::testing::Combine(::testing::Values("meld", "iemocap"), ::testing::Values(2, 4),
                       ::testing::Values(FeatureForm::Arrays, FeatureForm::Vectors, FeatureForm::Lists)),
    generatedFolderName);

TEST(MultiEmoFolder, SpeakersPickleAloneIsAnAnnotationCorpus) {
  TempDir dir("alone");
  writeMultiEmoFolder(sourceCorpus("meld"), dir.path.string(), {2, FeatureForm::Arrays, false});
  const Corpus c = readMultiEmoFolder(dir.path.string());
  EXPECT_FALSE(c.hasFeatures());
  EXPECT_EQ(c.dimText, 0);
  EXPECT_EQ(c.dialogues.size(), 7u);
  ASSERT_FALSE(c.problems.empty());
  EXPECT_NE(c.problems.back().find("annotations only"), std::string::npos);
  const Corpus file = readDialogueRnnPickle(dir / "Speakers.pkl");  // the file on its own, too
  EXPECT_EQ(file.signature(), c.signature());
  EXPECT_EQ(detectCorpusKind(dir / "Speakers.pkl"), CorpusKind::AnnotationPickle);
}

// --- committed real-Python folders ----------------------------------------------------------------

TEST(MultiEmoFolder, RealPythonMeldFolders) {
  MultiEmoOptions o;
  o.dimText = 4;
  o.dimAudio = 3;
  o.dimVisual = 2;
  for (const char* folder : {"multiemo_meld_p2_arrays", "multiemo_meld_p4_lists"}) {
    SCOPED_TRACE(folder);
    const Corpus c = readMultiEmoFolder(fixture(folder), o);
    EXPECT_EQ(c.dataset, "meld");
    ASSERT_EQ(c.dialogues.size(), 4u);
    EXPECT_EQ(c.dialogues[2].key, "1040");
    EXPECT_EQ(c.dialogues[2].split, Split::Train);
    EXPECT_EQ(c.dialogues[3].split, Split::Test);
    EXPECT_EQ(c.dialogues[3].utterances[1].party, 4);
    EXPECT_EQ(c.dialogues[3].utterances[1].speaker, 4);
    EXPECT_EQ(c.speakers[4], "party 5");
    EXPECT_EQ(c.dialogues[0].utterances[1].label, (1 * 3 + 0) % 7);
    EXPECT_EQ(c.dialogues[1].utterances[0].transcript, "dialogue 2 line 0 \xC2\x92");  // raw U+0092 kept
    EXPECT_EQ(c.dialogues[0].utterances[2].utteranceId, 2);
    // text of dialogue n (in key order) = n * 10 + arange(L * 4); audio + 100; visual + 200
    const std::size_t row = c.dialogues[2].firstRow;
    EXPECT_EQ(std::vector<float>(c.textRow(row), c.textRow(row) + 4), (std::vector<float>{20, 21, 22, 23}));
    EXPECT_EQ(c.audioRow(row + 1)[2], 100 + 20 + 5.0f);
    EXPECT_EQ(c.visualRow(row + 1)[1], 200 + 20 + 3.0f);
  }
}

TEST(MultiEmoFolder, RealPythonIemocapFolder) {
  MultiEmoOptions o;
  o.dimText = 4;
  o.dimAudio = 3;
  o.dimVisual = 2;
  const Corpus c = readMultiEmoFolder(fixture("multiemo_iemocap_p4_vectors"), o);
  EXPECT_EQ(c.dataset, "iemocap");
  EXPECT_EQ(c.speakerSource, "actors");
  EXPECT_EQ(c.speakers, (std::vector<std::string>{"Ses01F", "Ses01M", "Ses05M"}));
  ASSERT_EQ(c.dialogues.size(), 3u);
  const auto& d0 = c.dialogues[0];  // Ses01F_impro01: F, M, F
  EXPECT_EQ(d0.utterances[0].party, 0);
  EXPECT_EQ(d0.utterances[1].party, 1);
  EXPECT_EQ(d0.utterances[1].speaker, 1);
  const auto& d1 = c.dialogues[1];  // Ses01M_script01_1: M, F -> M is party 0
  EXPECT_EQ(d1.utterances[0].party, 0);
  EXPECT_EQ(d1.utterances[0].speaker, 1);
  EXPECT_EQ(d1.utterances[1].speaker, 0);
  EXPECT_EQ(c.dialogues[2].split, Split::Test);
  EXPECT_EQ(c.textRow(c.dialogues[2].firstRow)[0], 20.0f);
}

// --- the real DialogueRNN / COSMIC pickles --------------------------------------------------------

TEST(DialogueRnnPickle, RealMeldSplitsAndLabelCounts) {
  const Corpus c = readDialogueRnnPickle(testData("conv-emotion-cosmic/meld.pkl"));
  EXPECT_EQ(c.dataset, "meld");
  EXPECT_EQ(c.speakerSource, "party");
  EXPECT_FALSE(c.hasFeatures());
  auto s = countSplits(c);
  EXPECT_EQ(s[Split::Train].dialogues, 1038u);
  EXPECT_EQ(s[Split::Train].utterances, 9989u);
  EXPECT_EQ(s[Split::Dev].dialogues, 114u);
  EXPECT_EQ(s[Split::Dev].utterances, 1109u);
  EXPECT_EQ(s[Split::Test].dialogues, 280u);
  EXPECT_EQ(s[Split::Test].utterances, 2610u);
  const std::map<std::string, int> train = {{"neutral", 4710}, {"joy", 1743}, {"surprise", 1205}, {"anger", 1109},
                                            {"sadness", 683},  {"disgust", 271}, {"fear", 268}};
  EXPECT_EQ(s[Split::Train].labels, train);
  EXPECT_EQ(s[Split::Test].labels.at("neutral"), 1256);
  EXPECT_EQ(c.dialogues[0].key, "0");
  EXPECT_EQ(c.dialogues[60].key, "61");  // Dialogue_ID 60 does not exist
  EXPECT_EQ(c.dialogues[1038].key, "1039");
  EXPECT_EQ(c.dialogues[1038].split, Split::Dev);
  EXPECT_NE(c.dialogues[0].utterances[0].transcript.find("\xC2\x92"), std::string::npos);  // raw, mojibake kept
  EXPECT_LE(c.maxParties(), 9);
}

TEST(DialogueRnnPickle, RealIemocap) {
  const Corpus c = readDialogueRnnPickle(testData("conv-emotion-cosmic/iemocap.pkl"));
  EXPECT_EQ(c.dataset, "iemocap");
  auto s = countSplits(c);
  EXPECT_EQ(s[Split::Train].dialogues, 108u);
  EXPECT_EQ(s[Split::Dev].dialogues, 12u);
  EXPECT_EQ(s[Split::Test].dialogues, 31u);
  EXPECT_EQ(s[Split::Train].utterances, 5163u);
  EXPECT_EQ(s[Split::Dev].utterances, 647u);
  EXPECT_EQ(s[Split::Test].utterances, 1623u);
  EXPECT_EQ(c.speakers.size(), 10u);
  EXPECT_EQ(c.speakers.front(), "Ses01F");
  EXPECT_EQ(c.speakers.back(), "Ses05M");
  EXPECT_EQ(c.maxParties(), 2);
  EXPECT_TRUE(std::is_sorted(c.dialogues.begin(), c.dialogues.end(), [](const Dialogue& a, const Dialogue& b) { return a.key < b.key; }));
}

TEST(CorpusKind, Detection) {
  EXPECT_EQ(detectCorpusKind(testData("conv-emotion-cosmic/meld.pkl")), CorpusKind::AnnotationPickle);
  EXPECT_EQ(detectCorpusKind(testData("meld")), CorpusKind::MeldCsvFolder);
  EXPECT_EQ(detectCorpusKind(fixture("multiemo_meld_p2_arrays")), CorpusKind::MultiEmoFolder);
  EXPECT_EQ(detectCorpusKind(fixture("values_p0.pkl")), CorpusKind::AnnotationPickle);
  EXPECT_EQ(detectCorpusKind(fixture("make_fixtures.py")), CorpusKind::Unknown);
  EXPECT_EQ(detectCorpusKind("/no/such/path"), CorpusKind::Unknown);
  TempDir dir("kind");
  writeCorpus(sourceCorpus("meld"), dir / "project");
  EXPECT_EQ(detectCorpusKind(dir / "project"), CorpusKind::ProjectFolder);
  EXPECT_EQ(pickleCorpusSources(fixture("multiemo_meld_p2_arrays")).size(), 4u);
  EXPECT_NE(errorOf([&] { readPickleCorpus(dir / "project"); }).find("neither a MultiEMO folder"), std::string::npos);
  EXPECT_NE(errorOf([&] { readDialogueRnnPickle(fixture("values_p4.pkl")); }).find("not an annotation pickle"), std::string::npos);
}

// --- bad input: every message names the file and the dialogue ----------------------------------

namespace {
/// A generated MELD folder (arrays, protocol 4) whose pickles a test then damages.
struct BadFolder {
  TempDir dir{"bad"};
  BadFolder() { writeMultiEmoFolder(sourceCorpus("meld"), dir.path.string(), {4, FeatureForm::Arrays, true}); }
  std::string file(const std::string& name) const { return dir / name; }
  PyValue load(const std::string& name) const { return loadPickleFile(file(name)); }
  void save(const std::string& name, const PyValue& v) const { writePickleFile(file(name), v); }
  std::string readError(MultiEmoOptions o = smallDims()) const {
    return errorOf([&] { readMultiEmoFolder(dir.path.string(), o); });
  }
};
PyValue matrix(std::int64_t rows, std::int64_t dim, float fill) {
  std::vector<float> v(static_cast<std::size_t>(rows * dim), fill);
  return PyValue::floatArray({rows, dim}, v.data());
}
void expectHas(const std::string& msg, const std::vector<std::string>& parts) {
  for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
}
}  // namespace

TEST(MultiEmoErrors, WrongDimInOneDialogue) {
  BadFolder f;
  PyValue text = f.load("TextFeatures.pkl");
  text.setItem(PyValue::integer(1040), matrix(4, kDimT - 1, 0.5f));
  f.save("TextFeatures.pkl", text);
  expectHas(f.readError(), {f.file("TextFeatures.pkl"), "dialogue 1040", "7 values per utterance, expected 8"});
  MultiEmoOptions any = smallDims();
  any.dimText = 0;  // no expected dim: the other dialogues set it
  expectHas(f.readError(any), {"dialogue 1040", "expected 8 (as in the other dialogues)"});
}

TEST(MultiEmoErrors, DefaultDimsRefuseSmallFeatures) {
  BadFolder f;
  expectHas(f.readError(MultiEmoOptions{}), {f.file("TextFeatures.pkl"), "dialogue 0", "8 values per utterance, expected 768"});
}

TEST(MultiEmoErrors, NaNAndInf) {
  for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    BadFolder f;
    std::vector<float> v(3 * kDimA, 1.0f);
    v[2 * kDimA + 5] = bad;  // utterance 2, dimension 5
    PyValue audio = f.load("AudioFeatures.pkl");
    audio.setItem(PyValue::integer(1153), PyValue::floatArray({3, kDimA}, v.data()));
    f.save("AudioFeatures.pkl", audio);
    expectHas(f.readError(), {f.file("AudioFeatures.pkl"), "dialogue 1153, utterance 2", std::isnan(bad) ? "NaN" : "Inf",
                              "dimension 5"});
  }
  // the list-of-floats form too
  BadFolder f;
  PyValue visual = f.load("VisualFeatures.pkl");
  visual.setItem(PyValue::integer(3),
                 PyValue::list({PyValue::floatList({1, 2, 3, 4}), PyValue::floatList({1, 2, std::nan(""), 4}),
                                PyValue::floatList({1, 2, 3, 4}), PyValue::floatList({1, 2, 3, 4}), PyValue::floatList({1, 2, 3, 4})}));
  f.save("VisualFeatures.pkl", visual);
  expectHas(f.readError(), {f.file("VisualFeatures.pkl"), "dialogue 3, utterance 1", "NaN", "dimension 2"});
}

TEST(MultiEmoErrors, MissingAndExtraDialogues) {
  {
    BadFolder f;
    PyValue audio = f.load("AudioFeatures.pkl"), smaller = PyValue::dict();
    for (const auto& [k, v] : audio.dictItems())
      if (k.asInt() != 1039) smaller.setItem(k, v);
    f.save("AudioFeatures.pkl", smaller);
    expectHas(f.readError(), {f.file("AudioFeatures.pkl"), "dialogue 1039 is missing"});
  }
  {
    BadFolder f;
    PyValue visual = f.load("VisualFeatures.pkl");
    visual.setItem(PyValue::integer(4242), matrix(2, kDimV, 0));
    f.save("VisualFeatures.pkl", visual);
    expectHas(f.readError(), {f.file("VisualFeatures.pkl"), "dialogue 4242 is not in Speakers.pkl"});
  }
  {
    BadFolder f;
    PyValue speakers = f.load("Speakers.pkl");
    PyValue labels = speakers.at(2);  // shares the dict inside the tuple
    labels.setItem(PyValue::integer(77), PyValue::list({PyValue::integer(0)}));
    f.save("Speakers.pkl", speakers);
    expectHas(f.readError(), {f.file("Speakers.pkl"), "dialogue 77 is in videoLabels but not in videoSpeakers"});
  }
  {
    BadFolder f;
    PyValue speakers = f.load("Speakers.pkl");
    PyValue train = speakers.at(7);
    train.append(PyValue::integer(5000));
    f.save("Speakers.pkl", speakers);
    expectHas(f.readError(), {f.file("Speakers.pkl"), "trainVid lists dialogue 5000, which has no labels"});
  }
  {
    BadFolder f;
    fs::remove(f.file("AudioFeatures.pkl"));
    expectHas(f.readError(), {"incomplete MultiEMO folder", "AudioFeatures.pkl missing"});
  }
}

TEST(MultiEmoErrors, UtteranceCountsDiffer) {
  BadFolder f;
  PyValue text = f.load("TextFeatures.pkl");
  text.setItem(PyValue::integer(1040), matrix(3, kDimT, 0));  // Speakers.pkl has 4
  f.save("TextFeatures.pkl", text);
  expectHas(f.readError(), {f.file("TextFeatures.pkl"), "dialogue 1040 has 3 utterances here but 4 in Speakers.pkl"});

  BadFolder g;
  PyValue speakers = g.load("Speakers.pkl");
  PyValue sentences = speakers.at(6);
  sentences.setItem(PyValue::integer(0), PyValue::list({PyValue::str("only one")}));
  g.save("Speakers.pkl", speakers);
  expectHas(g.readError(), {g.file("Speakers.pkl"), "dialogue 0", "3 labels but list of 1 in videoSentence"});
}

TEST(MultiEmoErrors, BadLabelsAndSpeakers) {
  {
    BadFolder f;
    PyValue speakers = f.load("Speakers.pkl");
    PyValue labels = speakers.at(2);
    labels.setItem(PyValue::integer(3), PyValue::list({PyValue::integer(0), PyValue::integer(7), PyValue::integer(0),
                                                       PyValue::integer(0), PyValue::integer(0)}));
    f.save("Speakers.pkl", speakers);
    expectHas(f.readError(), {f.file("Speakers.pkl"), "dialogue 3, utterance 1", "label int 7 is not a meld label"});
  }
  {
    BadFolder f;
    PyValue speakers = f.load("Speakers.pkl");
    PyValue spk = speakers.at(1);
    spk.setItem(PyValue::integer(1), PyValue::list({PyValue::list(std::vector<PyValue>(12, PyValue::integer(0)))}));
    f.save("Speakers.pkl", speakers);
    expectHas(f.readError(), {f.file("Speakers.pkl"), "dialogue 1, utterance 0", "12 entries, expected 9"});
  }
  {
    BadFolder f;
    writePickleFile(f.file("TextFeatures.pkl"), PyValue::list());
    expectHas(f.readError(), {f.file("TextFeatures.pkl"), "expected a dict"});
  }
  {
    BadFolder f;
    atomicWriteFile(f.file("Speakers.pkl"), "\x80\x02" "cos\nsystem\n.");
    expectHas(f.readError(), {f.file("Speakers.pkl") + ": offset 2: global 'os.system' is not allowed"});
  }
}

TEST(MultiEmoFolder, NumpyLabelsAndSpeakerMatrices) {
  BadFolder f;  // a valid folder; labels and speakers of dialogue 1040 become numpy arrays
  PyValue speakers = f.load("Speakers.pkl");
  const std::int64_t labels[4] = {6, 5, 4, 3};
  std::vector<std::int64_t> onehot(4 * 9, 0);
  for (int i = 0; i < 4; ++i) onehot[static_cast<std::size_t>(i * 9 + (i == 2 ? 7 : 1))] = 1;
  PyValue spk = speakers.at(1), lab = speakers.at(2);
  spk.setItem(PyValue::integer(1040), PyValue::int64Array({4, 9}, onehot.data()));
  lab.setItem(PyValue::integer(1040), PyValue::int64Array({4}, labels));
  f.save("Speakers.pkl", speakers);
  const Corpus c = readMultiEmoFolder(f.dir.path.string(), smallDims());
  const Dialogue& d = c.dialogues[4];
  ASSERT_EQ(d.key, "1040");
  EXPECT_EQ(d.utterances[0].label, 6);
  EXPECT_EQ(d.utterances[3].label, 3);
  EXPECT_EQ(d.utterances[0].party, 1);
  EXPECT_EQ(d.utterances[2].party, 7);
  EXPECT_EQ(d.utterances[2].speaker, 7);
}

// --- the binary cache -----------------------------------------------------------------------------

TEST(CorpusCache, SecondOpenComesFromTheCacheAndEqualsTheFirst) {
  TempDir src("cache_src"), cache("cache_dir");
  writeMultiEmoFolder(sourceCorpus("meld"), src.path.string(), {4, FeatureForm::Lists, true});
  CacheReport r1, r2;
  const Corpus a = openPickleCorpusCached(src.path.string(), smallDims(), cache.path.string(), &r1);
  EXPECT_FALSE(r1.hit);
  EXPECT_TRUE(r1.written) << r1.note;
  EXPECT_TRUE(fs::exists(r1.file));
  const Corpus b = openPickleCorpusCached(src.path.string(), smallDims(), cache.path.string(), &r2);
  EXPECT_TRUE(r2.hit) << r2.note;
  EXPECT_EQ(r2.file, r1.file);
  expectSameCorpus(a, b);
  EXPECT_EQ(a.signature(), b.signature());
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.problems, b.problems);
  // other options, other cache file
  MultiEmoOptions any = smallDims();
  any.dimText = 0;
  CacheReport r3;
  openPickleCorpusCached(src.path.string(), any, cache.path.string(), &r3);
  EXPECT_FALSE(r3.hit);
  EXPECT_NE(r3.file, r1.file);
}

TEST(CorpusCache, KeepsEveryCorpusField) {
  TempDir cache("cache_fields");
  DemoConfig cfg;
  cfg.dialogues = 20;
  cfg.dimText = 5;
  cfg.dimAudio = 3;
  cfg.dimVisual = 2;
  cfg.latentDim = 2;
  Corpus c = makeDemoCorpus(cfg);
  c.name = "fields \xE2\x80\x99 test";
  c.problems = {"one problem", "another"};
  c.speakerSource = "names";
  c.dialogues[1].season = 3;
  c.dialogues[1].episode = 14;
  c.dialogues[1].split = Split::Dev;
  auto& u = c.dialogues[1].utterances[0];
  u.startSeconds = 12.5;
  u.endSeconds = 14.25;
  u.clipPath = "/clips/dia1_utt0.mp4";
  u.utteranceId = 9;
  const std::string file = cache / "c.mlsc";
  writeCorpusCache(file, c, "key");
  const Corpus back = readCorpusCache(file, "key");
  expectSameCorpus(c, back);
  EXPECT_EQ(back.name, c.name);
  EXPECT_EQ(back.problems, c.problems);
  EXPECT_EQ(back.dialogues[1].season, 3);
  EXPECT_EQ(back.dialogues[1].episode, 14);
  EXPECT_EQ(back.dialogues[1].utterances[0].clipPath, u.clipPath);
  EXPECT_EQ(back.dialogues[1].utterances[0].startSeconds, 12.5);
  EXPECT_EQ(back.dialogues[1].utterances[0].endSeconds, 14.25);
  EXPECT_EQ(back.signature(), c.signature());
  EXPECT_NE(errorOf([&] { readCorpusCache(file, "other key"); }).find("stale"), std::string::npos);
}

TEST(CorpusCache, CorruptOrTruncatedCachesAreRebuiltNeverTrusted) {
  TempDir src("cache_src"), cache("cache_bad");
  writeMultiEmoFolder(sourceCorpus("iemocap"), src.path.string(), {2, FeatureForm::Arrays, true});
  CacheReport r;
  const Corpus good = openPickleCorpusCached(src.path.string(), smallDims(), cache.path.string(), &r);
  const std::string original = readFile(r.file);
  const std::size_t featureStart = original.size() - good.text.size() * 4 - good.audio.size() * 4 - good.visual.size() * 4;
  struct Damage { std::string what; std::string bytes; };
  std::vector<Damage> damages = {
      {"bad magic", "XX" + original.substr(2)},
      {"header checksum", original.substr(0, 20) + char(original[20] ^ 1) + original.substr(21)},
      {"metadata checksum", original.substr(0, 100) + char(original[100] ^ 0x10) + original.substr(101)},
      {"feature checksum", original.substr(0, featureStart + 7) + char(original[featureStart + 7] ^ 0x40) + original.substr(featureStart + 8)},
      {"file size", original.substr(0, original.size() - 4)},
      {"file size", original + "extra"},
      {"truncated header", original.substr(0, 10)},
  };
  for (const auto& d : damages) {
    atomicWriteFile(r.file, d.bytes);
    CacheReport again;
    const Corpus c = openPickleCorpusCached(src.path.string(), smallDims(), cache.path.string(), &again);
    EXPECT_FALSE(again.hit) << d.what;
    EXPECT_NE(again.note.find(d.what), std::string::npos) << again.note;
    EXPECT_TRUE(again.written);
    expectSameCorpus(good, c);
    EXPECT_EQ(readFile(r.file), original) << "rebuilt cache differs (" << d.what << ")";
  }
  // Any cut of the cache file is refused (never a crash, never a partial corpus).
  const std::string key = corpusCacheKey(pickleCorpusSources(src.path.string()),
                                         "pickle corpus; dataset=; dims=8/6/4; name=");
  EXPECT_NO_THROW(readCorpusCache(r.file, key));
  std::ofstream(cache / "cut.mlsc", std::ios::binary | std::ios::trunc) << original;
  for (std::size_t cut = original.size() - 1; cut > 0; cut -= std::min<std::size_t>(cut, 7)) {  // shorten one file
    fs::resize_file(cache / "cut.mlsc", cut);
    EXPECT_THROW(readCorpusCache(cache / "cut.mlsc", key), std::runtime_error) << cut;
  }
}

TEST(CorpusCache, ChangingASourceInvalidatesIt) {
  TempDir src("cache_src"), cache("cache_inv");
  Corpus source = sourceCorpus("meld");
  writeMultiEmoFolder(source, src.path.string(), {4, FeatureForm::Arrays, true});
  CacheReport r;
  openPickleCorpusCached(src.path.string(), smallDims(), cache.path.string(), &r);
  ASSERT_TRUE(r.written);
  // New visual features, same sizes (so only the modification time tells).
  for (auto& x : source.visual) x += 1.0f;
  writeMultiEmoFolder(source, src.path.string(), {4, FeatureForm::Arrays, true});
  const auto later = fs::last_write_time(src / "VisualFeatures.pkl") + std::chrono::seconds(2);
  fs::last_write_time(src / "VisualFeatures.pkl", later);
  CacheReport again;
  const Corpus c = openPickleCorpusCached(src.path.string(), smallDims(), cache.path.string(), &again);
  EXPECT_FALSE(again.hit);
  EXPECT_NE(again.note.find("stale"), std::string::npos) << again.note;
  EXPECT_EQ(c.visual, source.visual);
  CacheReport third;
  openPickleCorpusCached(src.path.string(), smallDims(), cache.path.string(), &third);
  EXPECT_TRUE(third.hit);
  EXPECT_EQ(fs::directory_iterator(cache.path) == fs::directory_iterator(), false);
  EXPECT_EQ(std::distance(fs::directory_iterator(cache.path), fs::directory_iterator()), 1);  // overwritten, not piled up
}

TEST(CorpusCache, DefaultFolderAndUnwritableFolder) {
  const char* saved = std::getenv("MLSAN_CACHE_DIR");
  const std::string keep = saved ? saved : "";
  ::setenv("MLSAN_CACHE_DIR", "/tmp/mlsan-cache-env-test", 1);
  EXPECT_EQ(defaultCacheDir(), "/tmp/mlsan-cache-env-test");
  ::unsetenv("MLSAN_CACHE_DIR");
  EXPECT_NE(defaultCacheDir().find("mlsan-studio"), std::string::npos);
  if (saved) ::setenv("MLSAN_CACHE_DIR", keep.c_str(), 1);
  // A cache folder that cannot be created: the corpus still opens, the report says why.
  TempDir tmp("cache_ro");
  atomicWriteFile(tmp / "file", "x");
  CacheReport r;
  const Corpus c = openPickleCorpusCached(fixture("multiemo_meld_p2_arrays"), MultiEmoOptions{"", 4, 3, 2, ""}, tmp / "file/sub", &r);
  EXPECT_EQ(c.dialogues.size(), 4u);
  EXPECT_FALSE(r.written);
  EXPECT_NE(r.note.find("cache not written"), std::string::npos);
}

// --- timing (run by hand: --gtest_also_run_disabled_tests --gtest_filter='*Timing*') ----------
// With MLSAN_TIMING_DIR set, the generated folders are kept there (e.g. to time Python on them).
TEST(MultiEmoTiming, DISABLED_MeldSizedFirstOpenAndCachedReopen) {
  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); };
  Corpus c = makeDemoCorpus(meldSizedConfig());
  c.dataset = "meld";
  std::printf("corpus: %zu dialogues, %zu utterances, dims %d/%d/%d\n", c.dialogues.size(), c.numUtterances(), c.dimText,
              c.dimAudio, c.dimVisual);
  TempDir tmp("timing");
  const char* keep = std::getenv("MLSAN_TIMING_DIR");
  const fs::path base = keep ? fs::path(keep) : tmp.path;
  const struct { const char* name; int protocol; FeatureForm form; } variants[] = {
      {"arrays_p4", 4, FeatureForm::Arrays}, {"arrays_p2", 2, FeatureForm::Arrays}, {"arrays_p5", 5, FeatureForm::Arrays},
      {"vectors_p4", 4, FeatureForm::Vectors}, {"lists_p4", 4, FeatureForm::Lists}, {"lists_p2", 2, FeatureForm::Lists}};
  for (const auto& v : variants) {
    const std::string dir = (base / v.name).string();
    auto t0 = Clock::now();
    writeMultiEmoFolder(c, dir, {v.protocol, v.form, true});
    const double write = seconds(t0);
    std::uintmax_t bytes = 0;
    for (const auto& e : fs::directory_iterator(dir)) bytes += e.file_size();
    t0 = Clock::now();
    const Corpus back = readMultiEmoFolder(dir);
    const double read = seconds(t0);
    std::printf("%-11s write %.2f s, %6.1f MB, first open %.3f s\n", v.name, write, bytes / 1e6, read);
    EXPECT_EQ(back.text, c.text);
    if (std::string(v.name) == "lists_p4") {
      TempDir cache("timing_cache");
      CacheReport r;
      t0 = Clock::now();
      openPickleCorpusCached(dir, {}, cache.path.string(), &r);
      const double build = seconds(t0);
      t0 = Clock::now();
      const Corpus cached = openPickleCorpusCached(dir, {}, cache.path.string(), &r);
      const double reopen = seconds(t0);
      EXPECT_TRUE(r.hit);
      std::printf("cache: first open + write %.3f s, reopen %.3f s (%.1f MB)\n", build, reopen, fs::file_size(r.file) / 1e6);
      EXPECT_LT(reopen, 0.3);
    }
  }
}

// writeMultiEmoFolder says what it changed to fit MultiEMO's layout: dev dialogues went to
// trainVid (the layout has no dev list), keys that are not numbers were replaced.
TEST(MultiEmoWriter, ReportsWhatItChangedToFitTheLayout) {
  Corpus c = sourceCorpus("meld");
  c.dialogues[3].split = Split::Dev;  // 1039 and 1040: MELD's dev keys
  c.dialogues[4].split = Split::Dev;
  TempDir a("report_a"), b("report_b");
  const MultiEmoWriteReport report = writeMultiEmoFolder(c, a.path.string(), {4, FeatureForm::Arrays, false});
  EXPECT_EQ(report.devMergedIntoTrain, 2u);
  EXPECT_EQ(report.keysReplaced, 0u);
  ASSERT_EQ(report.notes().size(), 1u);
  EXPECT_NE(report.notes()[0].find("2 dev dialogue(s) were written to trainVid"), std::string::npos) << report.notes()[0];
  // Read back, they are training dialogues, as in MultiEMO's own files.
  EXPECT_EQ(readMultiEmoFolder(a.path.string(), smallDims()).dialogues[3].split, Split::Train);
  c.dialogues[0].key = "first";
  for (auto& d : c.dialogues) d.split = d.split == Split::Dev ? Split::Train : d.split;
  const MultiEmoWriteReport other = writeMultiEmoFolder(c, b.path.string(), {4, FeatureForm::Arrays, false});
  EXPECT_EQ(other.devMergedIntoTrain, 0u);
  EXPECT_EQ(other.keysReplaced, 1u);
  EXPECT_EQ(other.notes().size(), 1u);
}

// Speakers.pkl's own feature dicts (videoText, videoAudio as DialogueRNN's IEMOCAP pickle holds
// them) are not what MultiEMO trains on; the reader says so instead of dropping them silently.
TEST(MultiEmoReader, ReportsTheSpeakersPklFeatureFieldsItDoesNotUse) {
  TempDir dir("unused_fields");
  writeMultiEmoFolder(sourceCorpus("iemocap"), dir.path.string(), {4, FeatureForm::Arrays, true});
  auto unusedNote = [&dir] {
    for (const auto& p : readMultiEmoFolder(dir.path.string(), smallDims()).problems)
      if (p.find("not used") != std::string::npos) return p;
    return std::string();
  };
  EXPECT_EQ(unusedNote(), "") << "empty feature fields are nothing to report";
  const std::string file = (dir.path / "Speakers.pkl").string();
  PyValue speakers = loadPickleFile(file);
  PyValue text = speakers.at(3), audio = speakers.at(4);  // share the dicts inside the tuple
  for (const auto& [key, labels] : speakers.at(2).dictItems()) {
    text.setItem(key, matrix(static_cast<std::int64_t>(labels.size()), 100, 0.5f));
    audio.setItem(key, matrix(static_cast<std::int64_t>(labels.size()), 100, 0.5f));
  }
  writePickleFile(file, speakers);
  const std::string note = unusedNote();
  EXPECT_NE(note.find(file + ": not used: videoText (5 dialogues of 100-d vectors), videoAudio (5 dialogues of 100-d vectors)"),
            std::string::npos)
      << note;
  EXPECT_NE(note.find("TextFeatures.pkl"), std::string::npos) << note;
}
