// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/extract/pipeline.h"

#include <xxhash.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "extract_cache.h"
#include "media_input.h"
#include "mlsan/data/atomic_file.h"
#include "mlsan/data/corpus_io.h"

namespace mlsan::extract {
namespace fs = std::filesystem;
using detail::CacheEntry;

namespace {

/// One extractor call, its failures turned into a failed entry.
template <typename Fn>
CacheEntry run(const char* what, int dim, double seconds, Fn&& fn) {
  CacheEntry e;
  e.seconds = seconds;
  try {
    e.values = fn();
    if (static_cast<int>(e.values.size()) != dim)
      throw std::runtime_error(std::string("the ") + what + " extractor returned " + std::to_string(e.values.size()) + " values, not " +
                               std::to_string(dim));
    for (float v : e.values)
      if (!std::isfinite(v)) throw std::runtime_error(std::string("the ") + what + " extractor returned a NaN or infinite value");
  } catch (const std::exception& ex) {
    e.status = CacheEntry::Failed;
    e.reason = ex.what();
    e.values.clear();
  }
  return e;
}

CacheEntry failed(const std::string& reason, double seconds = 0) {
  CacheEntry e;
  e.status = CacheEntry::Failed;
  e.reason = reason;
  e.seconds = seconds;
  return e;
}

/// Runs fn(i) for i in [0, n) on `threads` workers (each with its own state from makeState)
/// until done or cancelled.
template <typename State, typename Fn>
void parallelFor(std::size_t n, int threads, const std::atomic<bool>* cancel, Fn&& fn) {
  std::atomic<std::size_t> next{0};
  auto work = [&]() {
    State state;
    for (;;) {
      if (cancel && cancel->load()) return;
      const std::size_t i = next.fetch_add(1);
      if (i >= n) return;
      fn(state, i);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
}

struct NoState {};

}  // namespace

std::string ExtractReport::json() const {
  nlohmann::json problemsJson = nlohmann::json::array();
  for (const auto& p : problems) problemsJson.push_back({{"video", p.video}, {"utterance", p.utterance}, {"reason", p.reason}});
  nlohmann::json j{{"utterances", utterances},
                   {"extracted", extracted},
                   {"failed", failed},
                   {"seconds_of_media", secondsOfMedia},
                   {"seconds", seconds},
                   {"problems", problemsJson},
                   {"no_face", noFace},
                   {"from_cache", fromCache},
                   {"cancelled", cancelled},
                   {"threads", threads},
                   {"source", source},
                   {"out", outDir},
                   {"real_time_factor", seconds > 0 ? secondsOfMedia / seconds : 0.0},
                   {"extractors",
                    {{"audio", {{"identity", audioExtractor}, {"dim", dimAudio}}},
                     {"visual", {{"identity", visualExtractor}, {"dim", dimVisual}}},
                     {"text", {{"identity", textExtractor}, {"dim", dimText}}}}}};
  return j.dump(2);
}

ExtractReport runExtraction(ExtractPlan plan, const Extractors& ex, const ExtractOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  if (!ex.audio || !ex.visual || !ex.text) throw std::invalid_argument("runExtraction: an extractor is missing");
  if (opt.outDir.empty()) throw std::runtime_error("no output folder given");
  const fs::path out(opt.outDir);
  const fs::path reportPath = out / "extract-report.json";
  std::error_code ec;
  if (!opt.resume && (fs::exists(reportPath, ec) || fs::exists(out / "cache", ec) || fs::exists(out / "corpus.json", ec)))
    throw std::runtime_error(opt.outDir + ": already holds an extraction; resume it (--resume: only what changed is extracted again) "
                             "or choose an empty folder");
  fs::create_directories(out, ec);
  if (ec) throw std::runtime_error(opt.outDir + ": cannot create the folder (" + ec.message() + ")");
  {
    detail::MediaReader probe;
    if (!probe.faceDetectorOk())
      throw std::runtime_error("OpenCV's frontal-face cascade (haarcascade_frontalface_default.xml, Debian package opencv-data) "
                               "was not found: the visual features need it");
  }
  detail::ExtractCache cache((out / "cache").string(), opt.resume);

  ExtractReport rep;
  rep.source = plan.source;
  rep.outDir = opt.outDir;
  rep.problems = plan.problems;
  rep.audioExtractor = ex.audio->identity();
  rep.visualExtractor = ex.visual->identity();
  rep.textExtractor = ex.text->identity();
  rep.dimAudio = ex.audio->dim();
  rep.dimVisual = ex.visual->dim();
  rep.dimText = ex.text->dim();
  rep.threads = opt.threads > 0 ? opt.threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  data::Corpus& corpus = plan.corpus;
  const std::size_t n = plan.items.size();
  rep.utterances = static_cast<long>(n);
  if (n != corpus.numUtterances()) throw std::logic_error("runExtraction: the plan's items do not match its corpus");

  const int side = ex.visual->faceSide();
  const std::string visualId = ex.visual->identity() + " | faces " + std::to_string(kMaxFaceFrames) + " x " + std::to_string(side);
  std::vector<CacheEntry> audio(n), visual(n);
  std::vector<char> done(n, 0), cached(n, 0);
  std::mutex mutex;  // the report, the progress and problem callbacks
  long finished = 0;
  double media = 0;
  auto report = [&](const ExtractItem& item, const std::string& reason) {
    SourceProblem p{item.video, item.name, reason};
    rep.problems.push_back(p);
    if (opt.problem) opt.problem(p);
  };

  parallelFor<detail::MediaReader>(n, rep.threads, opt.cancel, [&](detail::MediaReader& reader, std::size_t i) {
    const ExtractItem& item = plan.items[i];
    CacheEntry a, v;
    std::vector<std::string> warnings;
    bool fromCache = false;
    std::string error;
    const std::string hash = item.video.empty() ? std::string() : cache.fileHash(item.video, &error);
    if (item.video.empty()) {
      a = v = failed(item.missing.empty() ? "no video file" : item.missing);
    } else if (hash.empty()) {
      a = v = failed(error);
    } else {
      const std::string aKey = detail::ExtractCache::key(hash, item.start, item.end, ex.audio->identity());
      const std::string vKey = detail::ExtractCache::key(hash, item.start, item.end, visualId);
      const bool haveA = cache.load(aKey, &a), haveV = cache.load(vKey, &v);
      fromCache = haveA && haveV;
      if (!fromCache) {
        const detail::MediaInput in = reader.read(item, !haveA, !haveV, side);
        warnings = in.warnings;
        if (!haveA) {
          a = in.audioOk ? run("audio", ex.audio->dim(), in.seconds, [&] { return ex.audio->extract(in.samples); })
                         : failed(in.audioProblem, in.seconds);
          // Warnings travel with the entry, so a resumed run reports them again.
          if (a.status == CacheEntry::Ok && !warnings.empty()) a.reason = "warning: " + warnings.front();
          cache.store(aKey, a);
        }
        if (!haveV) {
          if (!in.videoOk) v = failed(in.videoProblem, in.seconds);
          else if (in.faces == 0) {
            v.status = CacheEntry::NoFace;
            v.seconds = in.seconds;
            v.reason = "no face in any of the " + std::to_string(in.framesSampled) + " sampled frames: zero visual vector";
          } else {
            v = run("visual", ex.visual->dim(), in.seconds, [&] { return ex.visual->extract(in.crops, in.faces); });
          }
          cache.store(vKey, v);
        }
      }
    }
    std::lock_guard<std::mutex> lock(mutex);
    audio[i] = std::move(a);
    visual[i] = std::move(v);
    done[i] = 1;
    cached[i] = fromCache ? 1 : 0;
    const CacheEntry& ae = audio[i];
    const CacheEntry& ve = visual[i];
    if (ae.status == CacheEntry::Failed && ve.status == CacheEntry::Failed && ae.reason == ve.reason) {
      report(item, ae.reason);
    } else {
      if (ae.status == CacheEntry::Failed) report(item, "audio: " + ae.reason);
      if (ve.status == CacheEntry::Failed) report(item, "visual: " + ve.reason);
      if (ve.status == CacheEntry::NoFace) report(item, ve.reason);
      if (ae.status == CacheEntry::Ok && !ae.reason.empty()) report(item, ae.reason);
      else
        for (const auto& w : warnings) report(item, "warning: " + w);
    }
    media += std::max(ae.seconds, ve.seconds);
    ++finished;
    if (opt.progress)
      opt.progress(finished, static_cast<long>(n), media,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  });
  cache.saveIndex();

  rep.secondsOfMedia = media;
  const bool cancelled = opt.cancel && opt.cancel->load() && finished < static_cast<long>(n);
  auto finish = [&]() {
    rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    data::atomicWriteFile(reportPath.string(), rep.json() + "\n");
    return rep;
  };
  for (std::size_t i = 0; i < n; ++i) {
    if (!done[i]) continue;
    if (cached[i]) ++rep.fromCache;
    if (visual[i].status == CacheEntry::NoFace) ++rep.noFace;
  }
  if (cancelled) {
    rep.cancelled = true;
    rep.extracted = 0;
    for (std::size_t i = 0; i < n; ++i)
      if (done[i]) (audio[i].status == CacheEntry::Failed || visual[i].status == CacheEntry::Failed ? rep.failed : rep.extracted)++;
    return finish();
  }

  // Text: the extractor is fitted on the training transcripts first.
  std::vector<std::string> training;
  std::vector<const data::Utterance*> rows;
  for (const auto& d : corpus.dialogues)
    for (const auto& u : d.utterances) {
      rows.push_back(&u);
      if (d.split == data::Split::Train) training.push_back(u.transcript);
    }
  ex.text->fit(training);
  std::vector<CacheEntry> text(n);
  parallelFor<NoState>(n, ex.text->cacheable() ? rep.threads : 1, nullptr, [&](NoState&, std::size_t i) {
    const std::string& transcript = rows[i]->transcript;
    std::string key;
    if (ex.text->cacheable()) {
      const auto h = XXH3_64bits(transcript.data(), transcript.size());
      key = detail::ExtractCache::key(std::to_string(h), 0, 0, ex.text->identity());
      if (cache.load(key, &text[i])) return;
    }
    text[i] = run("text", ex.text->dim(), 0, [&] { return ex.text->extract(transcript); });
    if (!key.empty()) cache.store(key, text[i]);
  });

  // The corpus: failed modalities stay zero.
  corpus.dimAudio = ex.audio->dim();
  corpus.dimVisual = ex.visual->dim();
  corpus.dimText = ex.text->dim();
  corpus.audio.assign(n * static_cast<std::size_t>(corpus.dimAudio), 0.0f);
  corpus.visual.assign(n * static_cast<std::size_t>(corpus.dimVisual), 0.0f);
  corpus.text.assign(n * static_cast<std::size_t>(corpus.dimText), 0.0f);
  long textFailed = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const bool bad = audio[i].status == CacheEntry::Failed || visual[i].status == CacheEntry::Failed || text[i].status == CacheEntry::Failed;
    (bad ? rep.failed : rep.extracted)++;
    if (audio[i].status == CacheEntry::Ok) std::copy(audio[i].values.begin(), audio[i].values.end(), corpus.audio.begin() + i * corpus.dimAudio);
    if (visual[i].status == CacheEntry::Ok)
      std::copy(visual[i].values.begin(), visual[i].values.end(), corpus.visual.begin() + i * corpus.dimVisual);
    if (text[i].status == CacheEntry::Ok) std::copy(text[i].values.begin(), text[i].values.end(), corpus.text.begin() + i * corpus.dimText);
    else {
      ++textFailed;
      report(plan.items[i], "text: " + text[i].reason);
    }
  }
  corpus.problems.push_back("extracted from " + plan.source + " (" + rep.audioExtractor + "; " + rep.visualExtractor + "; " +
                            rep.textExtractor + ")");
  if (rep.failed > 0)
    corpus.problems.push_back(std::to_string(rep.failed) + " of " + std::to_string(n) +
                              " utterances have a modality that could not be extracted (stored as zeros): see extract-report.json");
  if (rep.noFace > 0)
    corpus.problems.push_back(std::to_string(rep.noFace) + " utterances show no face: zero visual vectors, as MultiEMO stores them");
  for (const auto& p : plan.problems) corpus.problems.push_back(p.video + " " + p.utterance + ": " + p.reason + " (left out)");
  corpus.validate();
  data::writeCorpus(corpus, opt.outDir);
  return finish();
}

}  // namespace mlsan::extract
