// SPDX-License-Identifier: GPL-3.0-or-later
// The TorchScript plug-in extractors of `mlsan extract`: small modules defined here in
// TorchScript (no weights are downloaded), saved, loaded through the contract of
// model/torchscript_extractors.h, and one with the wrong output shape run through the pipeline.
#include <gtest/gtest.h>
#include <torch/script.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include "clip_fixtures.h"
#include "mlsan/extract/pipeline.h"
#include "mlsan/extract/wordpiece.h"
#include "mlsan/media/clip_writer.h"
#include "mlsan/model/torchscript_extractors.h"

namespace fs = std::filesystem;
using namespace mlsan;

namespace {

fs::path scratch(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("mlsan-ts-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::string saveModule(const fs::path& dir, const std::string& name, const std::string& source, int inputSize = 0) {
  torch::jit::Module m(name);
  if (inputSize > 0) m.register_attribute("input_size", c10::IntType::get(), inputSize);
  m.define(source);
  const std::string path = (dir / (name + ".pt")).string();
  m.save(path);
  return path;
}

}  // namespace

TEST(TorchScriptExtractors, EachModalityFollowsTheContract) {
  const fs::path dir = scratch("contract");
  // Audio: the first 8 samples, doubled; [1, 8].
  auto audio = model::loadAudioModule(saveModule(dir, "audio", "def forward(self, x):\n  return x[:, :8] * 2.0\n"));
  EXPECT_EQ(audio->dim(), 8);
  std::vector<float> samples(100);
  for (int i = 0; i < 100; ++i) samples[static_cast<std::size_t>(i)] = 0.01f * i;
  const auto a = audio->extract(samples);
  ASSERT_EQ(a.size(), 8u);
  EXPECT_FLOAT_EQ(a[3], 0.06f);
  // [1, T, D] is averaged over T.
  auto frames = model::loadAudioModule(saveModule(dir, "frames", "def forward(self, x):\n  return x[:, :6].reshape(1, 3, 2)\n"));
  EXPECT_EQ(frames->dim(), 2);
  EXPECT_FLOAT_EQ(frames->extract(samples)[1], (0.01f + 0.03f + 0.05f) / 3);

  // Visual: the crop side from input_size; the mean colour of each crop, averaged over crops.
  auto visual = model::loadVisualModule(saveModule(dir, "visual", "def forward(self, x):\n  return x.mean(dim=[2, 3])\n", 32));
  EXPECT_EQ(visual->faceSide(), 32);
  EXPECT_EQ(visual->dim(), 3);
  std::vector<float> crops(2 * 3 * 32 * 32, 0.0f);
  std::fill(crops.begin(), crops.begin() + 32 * 32, 1.0f);  // crop 0 red
  const auto v = visual->extract(crops, 2);
  EXPECT_NEAR(v[0], 0.5, 1e-6);
  EXPECT_NEAR(v[1], 0.0, 1e-6);

  // Text: WordPiece ids (and a mask) in, [1, L, D] out: the first token's vector ([CLS]).
  std::ofstream(dir / "vocab.txt") << "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\nthere\n##s\n,\n";
  const extract::WordPiece wp = extract::WordPiece::fromFile((dir / "vocab.txt").string());
  EXPECT_EQ(wp.encode("Hello, theres!"), (std::vector<std::int64_t>{2, 4, 7, 5, 6, 1, 3}));
  auto text = model::loadTextModule(
      saveModule(dir, "text", "def forward(self, ids, mask):\n  return (ids * mask).float().unsqueeze(2).repeat(1, 1, 3) + ids.size(1)\n"),
      (dir / "vocab.txt").string());
  EXPECT_EQ(text->dim(), 3);
  EXPECT_FLOAT_EQ(text->extract("hello there")[0], 2.0f + 4.0f);  // [CLS] = 2, four ids
  EXPECT_NE(text->identity(), audio->identity());

  // Not TorchScript, a module that fails the probe, a vocabulary without [CLS]: refused, naming the file.
  std::ofstream(dir / "junk.pt") << "not a zip";
  try {
    model::loadAudioModule((dir / "junk.pt").string());
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("junk.pt"), std::string::npos) << e.what();
  }
  EXPECT_THROW(model::loadVisualModule(saveModule(dir, "flat", "def forward(self, x):\n  return x.flatten()\n", 16)), std::runtime_error);
  std::ofstream(dir / "bad_vocab.txt") << "[PAD]\nhello\n";
  EXPECT_THROW(model::loadTextModule(dir.string() + "/text.pt", (dir / "bad_vocab.txt").string()), std::runtime_error);
  fs::remove_all(dir);
}

TEST(TorchScriptExtractors, AWrongOutputShapeIsAProblemForThatUtteranceOnly) {
  const fs::path dir = scratch("shape");
  // One second gives [1, 4] (the probe), anything else [1, 5].
  const std::string path = saveModule(dir, "audio",
                                      "def forward(self, x):\n  if x.size(1) == 16000:\n    return x[:, :4]\n  return x[:, :5]\n");
  std::string error;
  ASSERT_TRUE(clip_fixtures::writeToneClip((dir / "a.mp4").string(), 3.0, 16000, 0, 64, 48, &error)) << error;
  std::ofstream(dir / "t.csv") << "video,start,end,speaker,transcript\na.mp4,0,1,A,one second\na.mp4,1,2.5,B,longer\n";
  extract::Extractors ex = extract::builtinExtractors();
  ex.audio = model::loadAudioModule(path);
  extract::ExtractOptions opt;
  opt.outDir = (dir / "out").string();
  const auto r = extract::runExtraction(extract::planFromSource(extract::readUtteranceTable((dir / "t.csv").string())), ex, opt);
  EXPECT_EQ(r.failed, 1);
  bool found = false;
  for (const auto& p : r.problems)
    if (p.utterance == "line 3" && p.reason.find("shape [1, 5]") != std::string::npos) found = true;
  EXPECT_TRUE(found) << r.json();
  EXPECT_EQ(r.dimAudio, 4);

  // The same through the command line: its --json object, with the keys scripts rely on.
  const std::string cmd = std::string(MLSAN_BIN_PATH) + " extract --table " + (dir / "t.csv").string() + " --out " +
                          (dir / "cli").string() + " --audio-model " + path + " --threads 1 --json 2>/dev/null";
  FILE* f = ::popen(cmd.c_str(), "r");
  ASSERT_TRUE(f);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  EXPECT_EQ(WEXITSTATUS(::pclose(f)), 0) << out;
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j.at("utterances"), 2);
  EXPECT_EQ(j.at("extracted"), 1);
  EXPECT_EQ(j.at("failed"), 1);
  EXPECT_NEAR(j.at("seconds_of_media").get<double>(), 2.5, 0.01);
  EXPECT_GT(j.at("seconds").get<double>(), 0.0);
  bool listed = false;
  for (const auto& p : j.at("problems"))
    if (p.at("utterance") == "line 3" && p.at("video") == (dir / "a.mp4").string() &&
        p.at("reason").get<std::string>().find("shape [1, 5]") != std::string::npos)
      listed = true;
  EXPECT_TRUE(listed) << out;
  EXPECT_TRUE(fs::exists(dir / "cli" / "corpus.json"));
  // A second run into the same folder is refused without --resume, and nothing is lost.
  EXPECT_NE(WEXITSTATUS(::system((cmd + " >/dev/null").c_str())), 0);
  EXPECT_TRUE(fs::exists(dir / "cli" / "corpus.json"));
  fs::remove_all(dir);
}
