// SPDX-License-Identifier: GPL-3.0-or-later
// The binary corpus cache: a second open comes from it and equals the first, every corpus field
// survives, corruption and truncation are rebuilt and never trusted, a changed source
// invalidates it, and the timing check run by hand.
#include "multiemo_support.h"

using namespace multiemo_test;

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
