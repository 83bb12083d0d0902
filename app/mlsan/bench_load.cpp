// SPDX-License-Identifier: GPL-3.0-or-later
// `mlsan bench load`: how fast MultiEMO-layout pickles open, first from the pickles, then from
// the binary cache. Torch-free.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <unistd.h>

#include "commands.h"
#include "mlsan/data/corpus_cache.h"
#include "mlsan/data/demo_corpus.h"
#include "mlsan/data/multiemo_corpus.h"

namespace mlsan::app {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
double secondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

/// Best of `repeats` wall times of `f`.
template <class F>
double bestOf(int repeats, F&& f) {
  double best = 1e300;
  for (int i = 0; i < repeats; ++i) {
    const auto t = std::chrono::steady_clock::now();
    f();
    best = std::min(best, secondsSince(t));
  }
  return best;
}

std::uintmax_t folderBytes(const fs::path& dir) {
  std::uintmax_t n = 0;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) n += e.file_size();
  return n;
}
}  // namespace

json benchLoad(int repeats, const std::string& workDir, bool quiet) {
  data::DemoConfig dc = data::meldSizedConfig();
  dc.dialogues = 1432;  // MELD: 1,152 train + dev, 280 test dialogues
  const data::Corpus corpus = data::makeDemoCorpus(dc);
  const fs::path root = workDir.empty() ? fs::temp_directory_path() / ("mlsan-bench-load-" + std::to_string(::getpid())) : fs::path(workDir);
  fs::create_directories(root);
  json j{{"utterances", corpus.numUtterances()}, {"dialogues", corpus.dialogues.size()},
         {"floats_per_utterance", corpus.dimText + corpus.dimAudio + corpus.dimVisual}, {"repeats", repeats}};
  json forms = json::array();
  struct Form { const char* name; data::FeatureForm form; int protocol; };
  const Form list[] = {{"numpy arrays, protocol 4", data::FeatureForm::Arrays, 4},
                       {"numpy arrays, protocol 2 (_codecs.encode)", data::FeatureForm::Arrays, 2},
                       {"lists of floats, protocol 4", data::FeatureForm::Lists, 4}};
  for (const auto& f : list) {
    const fs::path dir = root / (std::string("form-") + std::to_string(static_cast<int>(f.form)) + "-p" + std::to_string(f.protocol));
    if (!quiet) std::fprintf(stderr, "writing %s to %s ...\n", f.name, dir.c_str());
    data::MultiEmoWriteOptions wo;
    wo.form = f.form;
    wo.protocol = f.protocol;
    const data::MultiEmoWriteReport written = data::writeMultiEmoFolder(corpus, dir.string(), wo);
    if (!quiet)
      for (const auto& note : written.notes()) std::fprintf(stderr, "  (%s)\n", note.c_str());
    std::size_t rows = 0;
    const double first = bestOf(repeats, [&] { rows = data::readMultiEmoFolder(dir.string()).numUtterances(); });
    if (rows != corpus.numUtterances()) throw std::runtime_error("bench load: read back " + std::to_string(rows) + " utterances");
    // The cache: one open that parses and writes it, then opens that read it.
    const fs::path cacheDir = dir / "cache";
    fs::remove_all(cacheDir);
    data::CacheReport rep;
    const auto t = std::chrono::steady_clock::now();
    data::openPickleCorpusCached(dir.string(), {}, cacheDir.string(), &rep);
    const double build = secondsSince(t);
    bool hit = true;
    const double cached = bestOf(repeats, [&] {
      data::CacheReport r;
      data::openPickleCorpusCached(dir.string(), {}, cacheDir.string(), &r);
      hit = hit && r.hit;
    });
    forms.push_back({{"form", f.name}, {"bytes", folderBytes(dir)}, {"first_open_seconds", first},
                     {"open_and_write_cache_seconds", build}, {"cached_open_seconds", cached}, {"cache_hit", hit}});
  }
  if (workDir.empty()) fs::remove_all(root);
  j["forms"] = forms;
  j["reference"] = "Python's pickle.load (C) reads the numpy-array form of such files in about 0.5 s on a machine like this";
  return j;
}

void printLoad(const json& j) {
  std::printf("bench load: MELD-sized MultiEMO folder, %ld dialogues, %ld utterances x %d floats (best of %d)\n",
              j["dialogues"].get<long>(), j["utterances"].get<long>(), j["floats_per_utterance"].get<int>(), j["repeats"].get<int>());
  std::printf("%-44s %9s %12s %14s %12s\n", "form", "MiB", "first open", "open+cache", "cached open");
  for (const auto& f : j["forms"])
    std::printf("%-44s %9.0f %10.3f s %12.3f s %10.3f s%s\n", f["form"].get<std::string>().c_str(),
                f["bytes"].get<double>() / (1024.0 * 1024.0), f["first_open_seconds"].get<double>(),
                f["open_and_write_cache_seconds"].get<double>(), f["cached_open_seconds"].get<double>(),
                f["cache_hit"].get<bool>() ? "" : " (cache missed!)");
  std::printf("reference: %s\n", j["reference"].get<std::string>().c_str());
}

}  // namespace mlsan::app
