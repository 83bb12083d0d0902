// SPDX-License-Identifier: GPL-3.0-or-later
// mlsan extract's pipeline on real videos: the demo corpus's rendered clips (faces and voices that
// show known emotions), files that are broken in each way a user's recordings can be, and a
// resumed run. The end-to-end figure of the README ("From pixels") comes from the first test.
#include <gtest/gtest.h>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <numeric>

#include "clip_fixtures.h"
#include "mlsan/analysis/disentangle.h"
#include "mlsan/data/corpus_io.h"
#include "mlsan/data/demo_corpus.h"
#include "mlsan/extract/pipeline.h"
#include "mlsan/media/clip_writer.h"
#include "mlsan/model/config.h"
#include "mlsan/model/engine.h"
#include "mlsan/ui/demo_clips.h"

using namespace mlsan;
namespace fs = std::filesystem;

namespace {

/// clip_fixtures::writeToneClip, failing the test when the clip cannot be written.
void writeToneClip(const std::string& path, double seconds, int sampleRate, double stepHz = 0) {
  std::string error;
  ASSERT_TRUE(clip_fixtures::writeToneClip(path, seconds, sampleRate, stepHz, 96, 64, &error)) << error;
}

void writeText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

const extract::SourceProblem* problemOf(const extract::ExtractReport& r, const std::string& utterance) {
  for (const auto& p : r.problems)
    if (p.utterance == utterance) return &p;
  return nullptr;
}

}  // namespace

TEST(ExtractPipeline, BrokenInputsAreReportedPerUtteranceAndTheRestIsExtracted) {
  QTemporaryDir tmp;
  const std::string dir = tmp.path().toStdString();
  writeToneClip(dir + "/good.mp4", 2.0, 16000);
  writeToneClip(dir + "/silent.mp4", 2.0, 0);  // no audio stream
  writeText(dir + "/notes.mp4", std::string(5000, 'x'));  // not a video
  // A truncated file: the first 40% of a good one.
  writeToneClip(dir + "/whole.mp4", 3.0, 16000);
  {
    const std::string bytes = [&] { std::ifstream in(dir + "/whole.mp4", std::ios::binary); return std::string(std::istreambuf_iterator<char>(in), {}); }();
    writeText(dir + "/truncated.mp4", bytes.substr(0, bytes.size() * 2 / 5));
  }
  writeText(dir + "/table.csv",
            "video,start,end,speaker,transcript,emotion\n"
            "good.mp4,,,Ann,hello there,joy\n"            // line 2: fine
            "silent.mp4,,,Ann,no sound,neutral\n"         // 3: no audio stream
            "notes.mp4,,,Bob,not a video,anger\n"         // 4: not a video
            "truncated.mp4,,,Bob,cut short,sadness\n"     // 5: truncated
            "good.mp4,0:05,0:07,Ann,past the end,joy\n"   // 6: span past the end
            "good.mp4,1.0,1.0,Ann,empty span,joy\n"       // 7: zero-length span: left out by the reader
            "missing.mp4,,,Bob,gone,fear\n"               // 8: no such file
            "good.mp4,0.5,1.5,Bob,a part,surprise\n");    // 9: fine
  const extract::ExtractPlan plan = extract::planFromSource(extract::readUtteranceTable(dir + "/table.csv"));
  ASSERT_EQ(plan.items.size(), 7u);
  ASSERT_EQ(plan.problems.size(), 1u);
  EXPECT_EQ(plan.problems[0].utterance, "line 7");
  extract::ExtractOptions opt;
  opt.outDir = dir + "/out";
  opt.threads = 2;
  const extract::ExtractReport r = extract::runExtraction(plan, extract::builtinExtractors(), opt);
  EXPECT_EQ(r.utterances, 7);
  EXPECT_EQ(r.extracted + r.failed, 7);
  for (const auto& p : r.problems) std::printf("  %s %s: %s\n", p.video.c_str(), p.utterance.c_str(), p.reason.c_str());
  ASSERT_TRUE(problemOf(r, "line 3"));
  EXPECT_EQ(problemOf(r, "line 3")->reason, "audio: no audio stream");
  ASSERT_TRUE(problemOf(r, "line 4"));
  EXPECT_NE(problemOf(r, "line 4")->reason.find("cannot"), std::string::npos);
  ASSERT_TRUE(problemOf(r, "line 5"));
  ASSERT_TRUE(problemOf(r, "line 6"));
  EXPECT_NE(problemOf(r, "line 6")->reason.find("past the end"), std::string::npos);
  ASSERT_TRUE(problemOf(r, "line 8"));
  EXPECT_NE(problemOf(r, "line 8")->reason.find("cannot read"), std::string::npos);
  // The good ones: audio extracted, no face (a flat picture) flagged, not failed.
  const auto* good = problemOf(r, "line 2");
  ASSERT_TRUE(good);
  EXPECT_NE(good->reason.find("no face"), std::string::npos);
  EXPECT_EQ(r.failed, 5);
  EXPECT_EQ(r.noFace, 3);  // lines 2, 3 and 9: flat pictures

  // The corpus opens; failed modalities are zeros, the good audio is not.
  const data::Corpus c = data::readCorpus(opt.outDir);
  ASSERT_EQ(c.numUtterances(), 7u);
  EXPECT_EQ(c.dimAudio, 163);
  EXPECT_EQ(c.dimVisual, 560);
  auto audioNorm = [&](std::size_t row) {
    double s = 0;
    for (int k = 0; k < c.dimAudio; ++k) s += std::abs(c.audioRow(row)[k]);
    return s;
  };
  EXPECT_GT(audioNorm(0), 1.0);
  EXPECT_EQ(audioNorm(1), 0.0);  // silent.mp4
  EXPECT_EQ(c.dialogues.size(), 5u);  // one per video
  EXPECT_TRUE(fs::exists(opt.outDir + "/extract-report.json"));

  // Without --resume the folder is refused; with it, everything comes from the cache.
  EXPECT_THROW(extract::runExtraction(plan, extract::builtinExtractors(), opt), std::runtime_error);
  opt.resume = true;
  const extract::ExtractReport again = extract::runExtraction(plan, extract::builtinExtractors(), opt);
  EXPECT_EQ(again.fromCache, 6);  // every utterance whose file could be hashed, failures included
  EXPECT_EQ(again.failed, r.failed);
  EXPECT_EQ(again.problems.size(), r.problems.size());
}

TEST(ExtractPipeline, SubtitlesWithBrokenTimingsKeepTheGoodBlocks) {
  QTemporaryDir tmp;
  const std::string dir = tmp.path().toStdString();
  writeToneClip(dir + "/episode.mp4", 6.0, 16000);
  writeText(dir + "/episode.srt",
            "1\n00:00:00,500 --> 00:00:02,000\nMONICA: Hi.\n\n"
            "2\n00:00:02,x00 --> 00:00:03,000\nRoss: Broken.\n\n"
            "3\n00:00:03,000 --> 00:00:05,500\nJust words.\n");
  const extract::ExtractPlan plan = extract::planFromSource(extract::readSrt(dir + "/episode.mp4", dir + "/episode.srt"));
  ASSERT_EQ(plan.items.size(), 2u);
  extract::ExtractOptions opt;
  opt.outDir = dir + "/out";
  const extract::ExtractReport r = extract::runExtraction(plan, extract::builtinExtractors(), opt);
  ASSERT_TRUE(problemOf(r, "block 2"));
  EXPECT_EQ(r.extracted, 2);
  EXPECT_NEAR(r.secondsOfMedia, 1.5 + 2.5, 0.05);
  const data::Corpus c = data::readCorpus(opt.outDir);
  EXPECT_EQ(c.speakers, (std::vector<std::string>{"MONICA", "unknown"}));
  EXPECT_EQ(c.dialogues.at(0).utterances.at(1).startSeconds, 3.0);
  EXPECT_EQ(c.dialogues.at(0).utterances.at(1).clipPath, dir + "/episode.mp4");
}

TEST(ExtractPipeline, ACancelledRunWritesNoCorpusAndResumesFromItsCache) {
  QTemporaryDir tmp;
  const std::string dir = tmp.path().toStdString();
  std::string table = "video,start,end,speaker,transcript\n";
  writeToneClip(dir + "/long.mp4", 12.0, 16000, 10.0);
  for (int i = 0; i < 12; ++i) table += "long.mp4," + std::to_string(i) + "," + std::to_string(i + 1) + ",A,line " + std::to_string(i) + "\n";
  writeText(dir + "/t.csv", table);
  const extract::ExtractPlan plan = extract::planFromSource(extract::readUtteranceTable(dir + "/t.csv"));
  std::atomic<bool> cancel{false};
  extract::ExtractOptions opt;
  opt.outDir = dir + "/out";
  opt.threads = 1;
  opt.cancel = &cancel;
  opt.progress = [&](long done, long, double, double) {
    if (done == 5) cancel = true;
  };
  const extract::ExtractReport r = extract::runExtraction(plan, extract::builtinExtractors(), opt);
  EXPECT_TRUE(r.cancelled);
  EXPECT_EQ(r.extracted, 5);
  EXPECT_FALSE(fs::exists(opt.outDir + "/corpus.json"));
  EXPECT_TRUE(fs::exists(opt.outDir + "/extract-report.json"));
  cancel = false;
  opt.progress = nullptr;
  opt.resume = true;
  const extract::ExtractReport rest = extract::runExtraction(plan, extract::builtinExtractors(), opt);
  EXPECT_FALSE(rest.cancelled);
  EXPECT_EQ(rest.fromCache, 5);
  EXPECT_EQ(rest.extracted, 12);
  // Each one-second span's audio is that second of the file: its pitch is that second's tone
  // (220 Hz, 230 Hz, ...: within the pitch tracker's 80-400 Hz; the feature is the mean log2 F0 of the voiced frames, value 162 of 163).
  const data::Corpus c = data::readCorpus(opt.outDir);
  for (int i = 0; i < 12; ++i) EXPECT_NEAR(c.audioRow(static_cast<std::size_t>(i))[161], std::log2(220.0 + 10 * i), 0.01) << "span " << i;
  EXPECT_NEAR(r.secondsOfMedia, 5.0, 1e-6);
}

// Issue 18, point 2: the demo corpus rendered to video, its features extracted from the pixels
// and the sound with the built-in extractors, and ML-SAN trained on them. Prints the figures the
// README quotes ("From pixels to a trained model").
TEST(ExtractPipeline, FromPixelsTheDemoVideosTrainMlsanAndTheFacesSeparateTheEmotions) {
  data::DemoConfig cfg;
  cfg.dialogues = 120;
  data::DemoTruth truth;
  auto corpus = std::make_shared<const data::Corpus>(data::makeDemoCorpus(cfg, &truth));
  QTemporaryDir tmp;
  // MLSAN_PIXELS_DIR keeps the clips, the table and the corpus there (for `mlsan bench extract`).
  const QString keep = qEnvironmentVariable("MLSAN_PIXELS_DIR");
  if (!keep.isEmpty()) QDir(keep).removeRecursively(), QDir().mkpath(keep);
  const QDir where(keep.isEmpty() ? tmp.path() : keep);
  const std::string dir = where.path().toStdString();
  ui::DemoClipCache clips(corpus, cfg, truth, where.filePath("clips"));
  QString error;
  ASSERT_TRUE(clips.writeUtteranceTable(where.filePath("table.csv"), &error)) << error.toStdString();

  const extract::ExtractPlan plan = extract::planFromSource(extract::readUtteranceTable(dir + "/table.csv"));
  ASSERT_EQ(plan.items.size(), corpus->numUtterances());
  extract::ExtractOptions opt;
  opt.outDir = dir + "/extracted";
  opt.threads = 2;
  const extract::ExtractReport r = extract::runExtraction(plan, extract::builtinExtractors(), opt);
  EXPECT_EQ(r.failed, 0);
  const long shownNoFace = std::count(truth.visualShows.begin(), truth.visualShows.end(), -1);
  std::printf("from pixels: %ld utterances, %.0f s of video extracted in %.1f s (%.1fx real time, 2 threads); no face found in %ld "
              "(the clips draw none in %ld)\n",
              r.utterances, r.secondsOfMedia, r.seconds, r.secondsOfMedia / r.seconds, r.noFace, shownNoFace);
  EXPECT_GE(r.noFace, shownNoFace);
  EXPECT_LE(r.noFace, shownNoFace + r.utterances / 10);

  const data::Corpus c = data::readCorpus(opt.outDir);
  ASSERT_EQ(c.numUtterances(), corpus->numUtterances());
  EXPECT_EQ(c.labels.name, "meld");
  // The same dialogues, splits and labels as the generated corpus.
  for (std::size_t d = 0; d < c.dialogues.size(); ++d) {
    ASSERT_EQ(c.dialogues[d].key, corpus->dialogues[d].key);
    EXPECT_EQ(c.dialogues[d].split, corpus->dialogues[d].split);
  }

  // The faces: a linear probe names the emotion each rendered face shows from its 560 HOG + LBP
  // values (utterances with a face found), far above the majority class.
  std::vector<float> faces;
  std::vector<int> shown;
  for (std::size_t row = 0; row < c.numUtterances(); ++row) {
    const float* v = c.visualRow(row);
    if (std::all_of(v, v + c.dimVisual, [](float x) { return x == 0.0f; })) continue;
    faces.insert(faces.end(), v, v + c.dimVisual);
    shown.push_back(truth.visualShows[row]);
  }
  const auto probe = analysis::linearProbe(faces.data(), shown.size(), static_cast<std::size_t>(c.dimVisual), shown);
  const double silhouette = analysis::silhouetteScore(faces.data(), shown.size(), static_cast<std::size_t>(c.dimVisual), shown);
  std::printf("from pixels: the emotion a face shows, from its visual features: probe %.1f%% against %.1f%% by chance; silhouette %.3f\n",
              100 * probe.accuracy, 100 * probe.chance, silhouette);
  EXPECT_GT(probe.accuracy, probe.chance + 0.3);

  // ML-SAN trained on the extracted features: test weighted F1 against the majority class.
  model::Preset p = model::preset("demo");
  model::fitConfigToCorpus(p.model, c);
  p.train.threads = 2;
  model::NullProgress quiet;
  const model::TrainResult t = model::train(c, p.model, p.train, dir + "/run", false, quiet);
  std::vector<int> counts(static_cast<std::size_t>(c.labels.size()), 0);
  long testN = 0;
  for (const auto& d : c.dialogues)
    if (d.split == data::Split::Train)
      for (const auto& u : d.utterances) ++counts[static_cast<std::size_t>(u.label)];
  const int majority = static_cast<int>(std::max_element(counts.begin(), counts.end()) - counts.begin());
  long testMajority = 0;
  for (const auto& d : c.dialogues)
    if (d.split == data::Split::Test)
      for (const auto& u : d.utterances) {
        ++testN;
        testMajority += u.label == majority;
      }
  // The weighted F1 of always answering the majority class: its F1 times its share.
  const double share = static_cast<double>(testMajority) / testN;
  const double majorityF1 = 100 * share * (2 * share / (share + 1));
  std::printf("from pixels: ML-SAN test weighted F1 %.2f (epoch %d of %d) against %.2f for the majority class ('%s'), %ld test "
              "utterances\n",
              t.testWeightedF1, t.bestEpoch, t.epochsDone, majorityF1, c.labels.labels[static_cast<std::size_t>(majority)].c_str(), testN);
  EXPECT_GT(t.testWeightedF1, majorityF1 + 15);
}

// Input (a): MELD.Raw as it unpacks: the real CSVs (tests/data/meld) and the clip folders. Two
// clips are present; every other utterance is in the plan without a video, as a failure to report.
TEST(ExtractPipeline, MeldRawThePlanFollowsTheRealCsvsAndFindsTheClips) {
  QTemporaryDir tmp;
  const std::string dir = tmp.path().toStdString();
  for (const char* f : {"train_sent_emo.csv", "dev_sent_emo.csv", "test_sent_emo.csv"})
    fs::copy_file(std::string(MLSAN_TEST_DATA_DIR) + "/meld/" + f, dir + "/" + f);
  fs::create_directories(dir + "/train_splits");
  fs::create_directories(dir + "/output_repeated_splits_test");
  writeToneClip(dir + "/train_splits/dia0_utt0.mp4", 1.0, 16000);
  writeToneClip(dir + "/output_repeated_splits_test/dia3_utt1.mp4", 1.0, 16000);
  EXPECT_THROW(extract::planFromMeld(dir + "/train_splits"), std::runtime_error);  // no CSVs there
  const extract::ExtractPlan plan = extract::planFromMeld(dir);
  const data::Corpus& c = plan.corpus;
  ASSERT_EQ(plan.items.size(), c.numUtterances());
  EXPECT_GT(c.numUtterances(), 13000u);
  EXPECT_EQ(c.labels.name, "meld");
  long found = 0;
  for (std::size_t i = 0; i < plan.items.size(); ++i)
    if (!plan.items[i].video.empty()) ++found;
  EXPECT_EQ(found, 2);
  // Train dialogue 0's first utterance: its clip; MELD's split and season/episode kept.
  EXPECT_EQ(plan.items[0].name, "train dia0_utt0");
  EXPECT_EQ(plan.items[0].video, dir + "/train_splits/dia0_utt0.mp4");
  EXPECT_EQ(c.dialogues[0].split, data::Split::Train);
  EXPECT_GT(c.dialogues[0].season, 0);
  EXPECT_EQ(plan.items[1].video, "");
  EXPECT_EQ(plan.items[1].missing, "no readable clip dia0_utt1.mp4");
  bool testClip = false;
  for (std::size_t d = 0, row = 0; d < c.dialogues.size(); ++d)
    for (std::size_t u = 0; u < c.dialogues[d].size(); ++u, ++row)
      if (plan.items[row].name == "test dia3_utt1") testClip = plan.items[row].video == dir + "/output_repeated_splits_test/dia3_utt1.mp4";
  EXPECT_TRUE(testClip);
}
