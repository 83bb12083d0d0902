// SPDX-License-Identifier: GPL-3.0-or-later
// Corpora in MultiEMO's and DialogueRNN's pickle layouts: generated folders in every value form
// and protocol, the committed real-Python folders, the real COSMIC pickles, bad input naming file
// and dialogue, and what the writer and the reader report. The binary cache: test_corpus_cache.cpp.
#include "multiemo_support.h"

using namespace multiemo_test;

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
