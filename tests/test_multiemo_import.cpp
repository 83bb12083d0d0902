// SPDX-License-Identifier: GPL-3.0-or-later
// `mlsan import-multiemo` (model/import.h) and the torch.save reader under it (data/torch_file.h),
// on the state_dicts the authors' code wrote (tests/golden/multiemo/).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "mlsan/data/corpus_io.h"
#include "mlsan/model/import.h"
#include "mlsan/model/run.h"
#include "multiemo_golden.h"

namespace fs = std::filesystem;
using namespace multiemo_golden;

namespace {

struct Scratch {
  fs::path dir;
  Scratch() {
    static int n = 0;
    dir = fs::temp_directory_path() / ("mlsan_import_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

/// The golden batch as a corpus on disk (so that the run can be reopened), test split.
std::string goldenCorpusOnDisk(const std::string& form, const fs::path& dir) {
  const auto corpus = corpusOf(form, goldenJson()["forms"][form]["batch"]["dialogues"],
                               {data::Split::Test, data::Split::Test, data::Split::Test});
  const std::string path = (dir / (form + "-corpus")).string();
  data::writeCorpus(corpus, path);
  return path;
}

std::string messageOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(TorchFile, NestedCheckpointDictsAndNonContiguousTensorsReadAsCOrderedArrays) {
  const auto sd = data::readTorchStateDict(golden("reader_nested.pt"));
  ASSERT_NE(sd.find("model.a"), nullptr);
  ASSERT_NE(sd.find("extra.i"), nullptr);
  const data::PyArray& a = *sd.find("model.a");  // arange(12).reshape(3, 4).t()
  EXPECT_EQ(a.shape, (std::vector<int64_t>{4, 3}));
  std::vector<float> v(a.size());
  a.toFloat(v.data());
  EXPECT_EQ(v, (std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  const data::PyArray& b = *sd.find("model.b");  // [1:, 2:]: offset 6, strides (4, 1)
  std::vector<float> w(b.size());
  b.toFloat(w.data());
  EXPECT_EQ(w, (std::vector<float>{6, 7, 10, 11}));
  EXPECT_EQ(sd.find("extra.d")->dtype, data::PyDType::Float64);
  EXPECT_EQ(sd.find("extra.i")->at(1), -2);
  EXPECT_EQ(sd.find("epoch"), nullptr) << "values that are not tensors are skipped";
}

TEST(TorchFile, AnythingButAStateDictOrADamagedFileIsRefusedNamingTheFile) {
  const std::string whole = golden("reader_whole_module.pt");
  EXPECT_NE(messageOf([&] { data::readTorchStateDict(whole); }).find("'torch.nn.modules.linear.Linear' is not allowed"), std::string::npos);
  EXPECT_NE(messageOf([&] { data::readTorchStateDict(whole); }).find("save model.state_dict()"), std::string::npos);
  Scratch s;
  const std::string bytes = data::readFile(golden("meld_state.pt"));
  auto write = [&](const std::string& name, const std::string& content) {
    const std::string p = (s.dir / name).string();
    std::ofstream(p, std::ios::binary) << content;
    return p;
  };
  const std::string truncated = write("truncated.pt", bytes.substr(0, bytes.size() / 2));
  EXPECT_EQ(messageOf([&] { data::readTorchStateDict(truncated); }).rfind(truncated + ": truncated", 0), 0u);
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x40;  // inside some storage: the CRC catches it
  const std::string damaged = write("damaged.pt", flipped);
  EXPECT_NE(messageOf([&] { data::readTorchStateDict(damaged); }).find("CRC-32"), std::string::npos);
  const std::string text = write("notes.pt", "just some text\n");
  EXPECT_NE(messageOf([&] { data::readTorchStateDict(text); }).find("not a torch.save file"), std::string::npos);
  const std::string legacy = data::readFile(golden("meld_state_legacy.pt"));
  const std::string cut = write("cut_legacy.pt", legacy.substr(0, legacy.size() - 100));
  EXPECT_EQ(messageOf([&] { data::readTorchStateDict(cut); }).rfind(cut + ": truncated", 0), 0u) << messageOf([&] { data::readTorchStateDict(cut); });
}

TEST(ImportMultiEmo, TheGoldenStateDictGivesThePythonLogitsInARunEveryViewOpens) {
  for (const auto& form : kForms) {
    SCOPED_TRACE(form);
    Scratch s;
    const std::string corpusDir = goldenCorpusOnDisk(form, s.dir);
    const auto corpus = data::readCorpus(corpusDir);
    for (const char* file : {"_state.pt", "_state_legacy.pt"}) {
      if (form != "meld" && std::string(file) == "_state_legacy.pt") continue;
      const std::string run = (s.dir / (form + file + "-run")).string();
      ImportOptions o;
      o.corpusSource = corpusDir;
      o.threads = 1;
      const ImportResult r = importMultiEmo(golden(form + file), corpus, run, o);
      EXPECT_EQ(r.config.variantName(), "multiemo");
      EXPECT_FALSE(r.config.maskPadding);
      EXPECT_EQ(r.config.bidirectional, form == "iemocap");
      EXPECT_EQ(r.config.d, goldenJson()["forms"][form]["config"]["d"].get<int>());
      EXPECT_EQ(r.unused.empty(), form == "iemocap") << "MELD's form leaves the text and backward DialogueRNNs unused";
      // predictions.csv: our engine's probabilities are the softmax of the Python logits.
      const json& m = goldenJson()["forms"][form]["model"];
      const int64_t classes = r.config.numClasses;
      const auto theirs = torch::softmax(tensorOf(m["logits"], {-1, classes}), 1);
      const auto rows = readPredictions(RunPaths(run).predictions());
      int k = 0;
      double worst = 0;
      for (const auto& row : rows) {
        if (row.label < 0) continue;
        const auto& want = m["rows"][k];
        EXPECT_EQ(row.dialogue, std::to_string(want[0].get<int>()));
        EXPECT_EQ(row.index, want[1].get<int>());
        for (int c = 0; c < classes; ++c) worst = std::max(worst, std::abs(row.probabilities[c] - theirs[k][c].item<double>()));
        ++k;
      }
      EXPECT_EQ(k, static_cast<int>(m["rows"].size()));
      EXPECT_LE(worst, 2e-6) << "predictions.csv holds 6 decimals";
      // A run folder like any other: config, model, metrics; reopened from its corpus source.
      EXPECT_TRUE(isRunFolder(run));
      EXPECT_EQ(readRunConfig(run).corpusSource, corpusDir);
      EXPECT_EQ(runFoldersIn(run), std::vector<std::string>{run});
      Model reopened = Model::load(RunPaths(run).bestCheckpoint());
      EXPECT_EQ(reopened.config().variantName(), "multiemo");
      EXPECT_TRUE(fs::exists(RunPaths(run).metrics()));
      EXPECT_NEAR(summariseRun(run).testWeightedF1, r.testWeightedF1, 1e-9);
    }
  }
}

TEST(ImportMultiEmo, ProblemsAreNamedAndLeaveNothingBehind) {
  Scratch s;
  const std::string corpusDir = goldenCorpusOnDisk("meld", s.dir);
  const auto corpus = data::readCorpus(corpusDir);
  ImportOptions o;
  o.threads = 1;
  const std::string run = (s.dir / "run").string();
  const std::string bad = golden("reader_bad_shape.pt");
  const std::string why = messageOf([&] { importMultiEmo(bad, corpus, run, o); });
  EXPECT_NE(why.find(bad + ": 'audio_dialoguernn.dialog_rnn_f.dialogue_cell.g_cell.weight_hh' has shape (24, 9)"), std::string::npos) << why;
  EXPECT_NE(why.find("ctx_audio.forward_rnn.global_cell.weight_hh needs (24, 8)"), std::string::npos) << why;
  EXPECT_NE(messageOf([&] { importMultiEmo(golden("reader_whole_module.pt"), corpus, run, o); }).find("not allowed"), std::string::npos);
  // A corpus of other dims: the demo corpus.
  const auto demo = data::openCorpus("demo");
  EXPECT_NE(messageOf([&] { importMultiEmo(golden("meld_state.pt"), demo, run, o); }).find("reads features of 6/5/4 dims"), std::string::npos);
  EXPECT_FALSE(fs::exists(run));
  for (const auto& e : fs::directory_iterator(s.dir)) EXPECT_EQ(e.path().string().find(".importing"), std::string::npos) << e.path();
  // An existing run is never overwritten.
  fs::create_directories(run);
  std::ofstream(run + "/config.json") << "{}";
  EXPECT_NE(messageOf([&] { importMultiEmo(golden("meld_state.pt"), corpus, run, o); }).find("already exists"), std::string::npos);
}

namespace {
/// Runs the mlsan command line; returns its exit status and its stdout.
int runMlsan(const std::string& args, std::string* out) {
  FILE* f = ::popen((std::string(MLSAN_BIN_PATH) + " " + args + " 2>&1").c_str(), "r");
  if (!f) return -1;
  char buf[4096];
  std::size_t n;
  out->clear();
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out->append(buf, n);
  const int st = ::pclose(f);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
}  // namespace

TEST(ImportMultiEmo, TheCommandLineImportsEvaluatesAndComparesIt) {
  Scratch s;
  const std::string corpusDir = goldenCorpusOnDisk("iemocap", s.dir);
  const std::string run = (s.dir / "python-multiemo").string(), masked = (s.dir / "masked").string();
  std::string out;
  ASSERT_EQ(runMlsan("import-multiemo " + golden("iemocap_state.pt") + " --corpus " + corpusDir + " --out " + run + " --json", &out), 0) << out;
  const json imported = json::parse(out);
  EXPECT_EQ(imported["form"], "iemocap");
  EXPECT_EQ(imported["format"], "zip");
  ASSERT_EQ(runMlsan("eval " + run + " --json", &out), 0) << out;
  EXPECT_NEAR(json::parse(out)["weighted_f1"].get<double>(), imported["test_weighted_f1"].get<double>(), 1e-9);
  ASSERT_EQ(runMlsan("import-multiemo " + golden("iemocap_state.pt") + " --corpus " + corpusDir + " --out " + masked + " --mask-padding", &out), 0) << out;
  EXPECT_NE(out.find("padding masked"), std::string::npos) << out;
  ASSERT_EQ(runMlsan("compare " + run + " " + masked + " --json", &out), 0) << out;
  EXPECT_EQ(json::parse(out)["utterances"].get<long>(), imported["test_utterances"].get<long>());
  // Refusals: the message names the file; nothing is written.
  const std::string refused = (s.dir / "refused").string();
  EXPECT_NE(runMlsan("import-multiemo " + golden("reader_whole_module.pt") + " --corpus " + corpusDir + " --out " + refused, &out), 0);
  EXPECT_NE(out.find("reader_whole_module.pt"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(refused));
}
