// SPDX-License-Identifier: GPL-3.0-or-later
// The demo's two controls (data/DEMO_CORPUS.md, "The controls"): demo-null, where no speaker effect
// exists for any model to use, and demo-fingerprint, the demo plus each speaker's ambient
// fingerprint. Each is checked against what it is meant to contain, from the generator's truth.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "mlsan/data/corpus_io.h"
#include "mlsan/data/corpus_source.h"
#include "mlsan/data/demo_corpus.h"

namespace fs = std::filesystem;
using namespace mlsan::data;

namespace {
/// Per nominal type (0 voice-led, 1 face-led, 2 balanced): the share of utterances (faces present)
/// whose audio, and whose visual, shows the gold emotion.
std::map<int, std::pair<double, double>> showingRateByType(const Corpus& c, const DemoTruth& t) {
  std::map<int, std::array<long, 3>> n;
  for (const auto& d : c.dialogues)
    for (std::size_t i = 0; i < d.size(); ++i) {
      const std::size_t row = d.firstRow + i;
      if (t.visualShows[row] < 0) continue;
      const int extra = t.extraOf[row];
      const int type = extra >= 0 ? t.extras[extra].type : t.named[d.utterances[i].speaker].type;
      auto& x = n[type];
      ++x[0];
      x[1] += t.audioShows[row] == d.utterances[i].label;
      x[2] += t.visualShows[row] == d.utterances[i].label;
    }
  std::map<int, std::pair<double, double>> out;
  for (const auto& [type, x] : n) out[type] = {double(x[1]) / x[0], double(x[2]) / x[0]};
  return out;
}

/// Mean over the audio dimensions of |speaker a's mean - speaker b's mean| in the training split.
double meanAudioGap(const Corpus& c, int a, int b) {
  std::vector<double> ma(c.dimAudio, 0), mb(c.dimAudio, 0);
  long na = 0, nb = 0;
  for (const auto& d : c.dialogues)
    for (std::size_t i = 0; i < d.size(); ++i) {
      const int s = d.utterances[i].speaker;
      if (s != a && s != b) continue;
      const float* row = c.audioRow(d.firstRow + i);
      auto& m = s == a ? ma : mb;
      (s == a ? na : nb)++;
      for (int k = 0; k < c.dimAudio; ++k) m[k] += row[k];
    }
  double gap = 0;
  for (int k = 0; k < c.dimAudio; ++k) gap += std::fabs(ma[k] / na - mb[k] / nb);
  return gap / c.dimAudio;
}
}  // namespace

TEST(DemoControls, NullCorpusKeepsTheNominalTypesButGivesThemNoEffect) {
  DemoTruth truth;
  const Corpus c = openCorpus(std::string("demo-null"));
  const Corpus again = makeDemoCorpus(demoNullConfig(), &truth);
  EXPECT_EQ(c.signature(), again.signature());
  EXPECT_EQ(c.name, "demo-null (seed 7)");
  EXPECT_EQ(c.dataset, "demo");
  EXPECT_NO_THROW(c.validate());
  // The cast keeps its types (named speakers cycle voice-led, face-led, balanced) ...
  ASSERT_EQ(truth.named.size(), 12u);
  for (std::size_t s = 0; s < truth.named.size(); ++s) {
    EXPECT_EQ(truth.named[s].type, static_cast<int>(s % 3));
    EXPECT_DOUBLE_EQ(truth.named[s].audioReliability, truth.named[s].visualReliability);
    EXPECT_DOUBLE_EQ(truth.named[s].audioReliability, 1.75 / 3.0);
    EXPECT_EQ(truth.named[s].restingClass, 0) << "no resting expression";
  }
  // ... but a type changes nothing: every type's audio and visual show the gold emotion at the
  // same rate (the rate drawn is 0.583 plus distractors that match).
  const auto rates = showingRateByType(c, truth);
  ASSERT_EQ(rates.size(), 3u);
  for (const auto& [type, r] : rates) {
    EXPECT_NEAR(r.first, rates.at(2).first, 0.04) << demoTypeName(type);
    EXPECT_NEAR(r.second, rates.at(2).second, 0.04) << demoTypeName(type);
    EXPECT_NEAR(r.first, r.second, 0.04) << demoTypeName(type);
  }
  // In the demo the same types differ by about 0.7 in what each modality shows.
  DemoTruth demoTruth;
  const Corpus demo = makeDemoCorpus(DemoConfig{}, &demoTruth);
  const auto demoRates = showingRateByType(demo, demoTruth);
  EXPECT_GT(demoRates.at(0).first - demoRates.at(1).first, 0.5);
  // No speaker style: two speakers' mean audio vectors lie as close as sampling allows, far
  // closer than in the demo (resting expression, expressiveness) or in demo-fingerprint.
  const double nullGap = meanAudioGap(c, 0, 1);
  EXPECT_LT(nullGap * 2, meanAudioGap(demo, 0, 1));
  EXPECT_LT(nullGap * 10, meanAudioGap(openCorpus(std::string("demo-fingerprint")), 0, 1));
}

TEST(DemoControls, FingerprintCorpusIsTheDemoWithEachSpeakersAmbientStyle) {
  // The ambient style draws the same random numbers whether it is on or off, so demo-fingerprint
  // has the demo's dialogues, speakers, labels and text; only audio and visual change, by a fixed
  // per-speaker affine map of every dimension.
  DemoTruth ft, dt;
  const Corpus f = makeDemoCorpus(demoFingerprintConfig(), &ft);
  const Corpus d = makeDemoCorpus(DemoConfig{}, &dt);
  EXPECT_EQ(f.name, "demo-fingerprint (seed 7)");
  EXPECT_EQ(openCorpus(std::string("demo-fingerprint")).signature(), f.signature());
  EXPECT_NE(f.signature(), d.signature());
  ASSERT_EQ(f.dialogues.size(), d.dialogues.size());
  for (std::size_t i = 0; i < f.dialogues.size(); ++i) {
    ASSERT_EQ(f.dialogues[i].size(), d.dialogues[i].size());
    for (std::size_t t = 0; t < f.dialogues[i].size(); ++t) {
      EXPECT_EQ(f.dialogues[i].utterances[t].label, d.dialogues[i].utterances[t].label);
      EXPECT_EQ(f.dialogues[i].utterances[t].speaker, d.dialogues[i].utterances[t].speaker);
    }
  }
  EXPECT_EQ(f.text, d.text);
  EXPECT_EQ(ft.audioShows, dt.audioShows);
  EXPECT_EQ(ft.visualShows, dt.visualShows);
  EXPECT_NE(f.audio, d.audio);
  // Speaker 0's rows: the fingerprint's audio is a * demo + b per dimension, the same a and b on
  // every row (checked on dimension 0 from two rows, then on all rows).
  std::vector<std::size_t> rows;
  for (const auto& dl : d.dialogues)
    for (std::size_t t = 0; t < dl.size(); ++t)
      if (dl.utterances[t].speaker == 0) rows.push_back(dl.firstRow + t);
  ASSERT_GT(rows.size(), 50u);
  const double x0 = d.audioRow(rows[0])[0], x1 = d.audioRow(rows[1])[0];
  const double y0 = f.audioRow(rows[0])[0], y1 = f.audioRow(rows[1])[0];
  const double a = (y1 - y0) / (x1 - x0), b = y0 - a * x0;
  EXPECT_GT(a, 0);
  for (std::size_t r : rows) EXPECT_NEAR(f.audioRow(r)[0], a * d.audioRow(r)[0] + b, 1e-3);
}

TEST(DemoControls, EveryFamilyOpensByNameWithASeedAndTravelsWithItsRecipe) {
  for (const std::string& name : demoFamilies()) {
    DemoConfig cfg;
    ASSERT_TRUE(demoFamilyConfig(name, cfg)) << name;
    if (name == "demo-iemocap") continue;  // tested in IemocapFormHasIemocapsShape (large)
    cfg.dialogues = 40;
    const Corpus c = makeDemoCorpus(cfg);
    EXPECT_EQ(demoCorpusArgument(c.name), name) << c.name;
    DemoConfig other = cfg;
    other.seed = 3;
    EXPECT_EQ(demoCorpusArgument(makeDemoCorpus(other).name), name + ":3");
    EXPECT_NE(openCorpus(name + ":3").signature(), openCorpus(name).signature()) << name;
    EXPECT_THROW(openCorpus(name + ":x"), std::runtime_error) << name;
    // A folder written from it keeps the recipe: opened again, the truth (with the nominal types) is known.
    const fs::path dir = fs::temp_directory_path() / ("mlsan-test-family-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    writeCorpus(c, dir.string());
    writeDemoRecipe(dir.string(), cfg);
    OpenReport rep;
    const Corpus back = openCorpus(CorpusSource::parse(dir.string()), &rep);
    EXPECT_TRUE(rep.demoTruthKnown) << name;
    EXPECT_EQ(rep.demoConfig.family, name == "demo" ? "" : name);  // the demo's own config names no family
    EXPECT_EQ(rep.demoTruth.named.size(), 12u);
    fs::remove_all(dir);
  }
  DemoConfig none;
  EXPECT_FALSE(demoFamilyConfig("demo-nothing", none));
  EXPECT_EQ(demoCorpusArgument("MELD"), "");
  EXPECT_EQ(demoCorpusArgument("demo-nothing (seed 7)"), "");
  EXPECT_THROW(openCorpus(std::string("demo-nothing")), std::runtime_error);
}
