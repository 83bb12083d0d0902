// SPDX-License-Identifier: GPL-3.0-or-later
// mlsan extract: videos in, a corpus out (mlsan_extract; the TorchScript plug-ins from mlsan_model).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdlib.h>
#include <thread>

#include "commands.h"
#include "mlsan/extract/pipeline.h"
#include "mlsan/model/torchscript_extractors.h"
#include "terminal_progress.h"

namespace mlsan::app {

void ExtractInputs::check() const {
  const std::string why = source.problem();
  if (!why.empty()) throw CLI::ValidationError("extract", why + " (--meld DIR, --table FILE.csv, or --video FILE with --srt FILE)");
}

void ExtractInputs::addTo(CLI::App* cmd, bool withThreads) {
  cmd->add_option("--meld", source.meld, "MELD.Raw: the folder with the three *_sent_emo.csv files and the clip folders (train_splits/, ...)");
  cmd->add_option("--table", source.table,
                  "An utterance table (CSV: video, start, end, speaker, transcript; optional emotion, dialogue, split); paths "
                  "relative to the table's folder");
  cmd->add_option("--video", source.video, "A video (with --srt): its subtitles give the utterances");
  cmd->add_option("--srt", source.srt, "The video's subtitles (SRT); a 'NAME:' prefix gives the speaker");
  cmd->add_option("--audio-model", models.audio, "TorchScript audio extractor (default: the built-in; contract: model/README.md)");
  cmd->add_option("--visual-model", models.visual, "TorchScript visual extractor on face crops (default: the built-in)");
  cmd->add_option("--text-model", models.text, "TorchScript text extractor on WordPiece ids (with --text-vocab; default: the built-in)");
  cmd->add_option("--text-vocab", models.textVocab, "The text model's WordPiece vocabulary (vocab.txt: one token per line)");
  if (withThreads) cmd->add_option("--threads", threads, "Worker threads (0: one per core)")->capture_default_str();
}

extract::ExtractPlan ExtractInputs::plan() const {
  check();
  return extract::planFrom(source);
}

extract::Extractors ExtractInputs::extractors() const { return model::loadExtractors(models); }

extract::ExtractReport runExtractWithProgress(const extract::ExtractPlan& plan, const extract::Extractors& ex,
                                              extract::ExtractOptions options, bool quiet) {
  const bool tty = ::isatty(2);
  std::atomic<bool> cancel{false};
  std::atomic<bool> running{true};
  // Ctrl-C sets the shared flag; a watcher hands it to the workers.
  std::thread watcher([&] {
    while (running.load()) {
      if (TerminalProgress::interrupted()) cancel = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  options.cancel = &cancel;
  auto lastDraw = std::chrono::steady_clock::now() - std::chrono::seconds(10);
  options.progress = [&](long done, long total, double media, double elapsed) {
    if (quiet) return;
    const auto now = std::chrono::steady_clock::now();
    if (done != total && now - lastDraw < std::chrono::milliseconds(tty ? 100 : 5000)) return;
    lastDraw = now;
    const double eta = done > 0 ? elapsed * (total - done) / done : 0;
    const int width = 30, filled = static_cast<int>(width * done / std::max(1L, total));
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "%sextract [%s] %ld/%ld utterances, %s of media, %.1fx real time, %s elapsed, ETA %s%s", tty ? "\r" : "",
                 bar.c_str(), done, total, clockText(media).c_str(), elapsed > 0 ? media / elapsed : 0.0, clockText(elapsed).c_str(),
                 clockText(eta).c_str(), tty ? "   " : "\n");
    std::fflush(stderr);
  };
  options.problem = [&](const extract::SourceProblem& p) {
    if (quiet) return;
    std::fprintf(stderr, "%s%s %s: %s\n", tty ? "\r\033[K" : "", p.video.c_str(), p.utterance.c_str(), p.reason.c_str());
  };
  if (!quiet)
    for (const auto& p : plan.problems) std::fprintf(stderr, "%s %s: %s (left out)\n", p.video.c_str(), p.utterance.c_str(), p.reason.c_str());
  extract::ExtractReport report;
  try {
    report = extract::runExtraction(plan, ex, options);
  } catch (...) {
    running = false;
    watcher.join();
    throw;
  }
  running = false;
  watcher.join();
  if (!quiet && tty) std::fprintf(stderr, "\n");
  return report;
}

nlohmann::json benchExtract(ExtractInputs inputs, int threads, bool quiet) {
  const extract::ExtractPlan plan = inputs.plan();
  const extract::Extractors ex = inputs.extractors();
  char tmpl[] = "/tmp/mlsan-bench-extract-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("cannot create a temporary folder");
  const std::string dir = std::string(tmpl) + "/corpus";
  extract::ExtractOptions options;
  options.outDir = dir;
  options.threads = threads;
  nlohmann::json j;
  try {
    const extract::ExtractReport fresh = runExtractWithProgress(plan, ex, options, quiet);
    options.resume = true;
    const extract::ExtractReport cached = runExtractWithProgress(plan, ex, options, true);
    j = {{"source", plan.source}, {"threads", fresh.threads}, {"utterances", fresh.utterances}, {"failed", fresh.failed},
         {"no_face", fresh.noFace}, {"seconds_of_media", fresh.secondsOfMedia}, {"seconds", fresh.seconds},
         {"real_time_factor", fresh.seconds > 0 ? fresh.secondsOfMedia / fresh.seconds : 0.0},
         {"resumed_seconds", cached.seconds}, {"resumed_from_cache", cached.fromCache},
         {"extractors", {{"audio", fresh.audioExtractor}, {"visual", fresh.visualExtractor}, {"text", fresh.textExtractor}}}};
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove_all(tmpl, ec);
    throw;
  }
  std::error_code ec;
  std::filesystem::remove_all(tmpl, ec);
  return j;
}

void printExtractBench(const nlohmann::json& j) {
  std::printf("bench extract: %s, %d threads\n", j["source"].get<std::string>().c_str(), j["threads"].get<int>());
  std::printf("extractors: %s; %s; %s\n", j["extractors"]["audio"].get<std::string>().c_str(),
              j["extractors"]["visual"].get<std::string>().c_str(), j["extractors"]["text"].get<std::string>().c_str());
  std::printf("%ld utterances (%ld failed, %ld without a face): %.1f s of media in %.1f s: %.1fx real time\n", j["utterances"].get<long>(),
              j["failed"].get<long>(), j["no_face"].get<long>(), j["seconds_of_media"].get<double>(), j["seconds"].get<double>(),
              j["real_time_factor"].get<double>());
  std::printf("rerun with --resume: %.2f s (%ld utterances from the cache)\n", j["resumed_seconds"].get<double>(),
              j["resumed_from_cache"].get<long>());
}

void addExtractCommand(CLI::App& app) {
  struct Options : ExtractInputs {
    std::string out;
    bool json = false, resume = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("extract", "Extract features from videos (MELD.Raw, an utterance table, or a video with subtitles) "
                                            "into a corpus that train, eval, explain and the studio open");
  o->addTo(cmd);
  cmd->add_option("--out", o->out, "The corpus folder to write (empty or new; with --resume, a previous extraction's)")->required();
  cmd->add_flag("--resume", o->resume, "Continue an extraction into --out: what is in its cache is not extracted again");
  cmd->add_flag("--json", o->json,
                "Print one JSON object: utterances, extracted, failed, seconds_of_media, seconds, problems [{video, utterance, reason}]");
  setExamples(cmd, {{"MELD's own clips and CSVs", "mlsan extract --meld MELD.Raw --out corpora/meld-builtin"},
                    {"Your recordings, one row per utterance", "mlsan extract --table sessions/utterances.csv --out corpora/mine"},
                    {"A video and its subtitles", "mlsan extract --video episode.mp4 --srt episode.srt --out corpora/episode"},
                    {"Then train on it", "mlsan train --corpus corpora/mine --variant mlsan --preset demo --out runs/mine"}});
  cmd->callback([o] {
    const extract::ExtractPlan plan = o->plan();
    const extract::Extractors ex = o->extractors();
    extract::ExtractOptions options;
    options.outDir = o->out;
    options.threads = o->threads;
    options.resume = o->resume;
    const extract::ExtractReport r = runExtractWithProgress(plan, ex, options, o->json);
    if (o->json) std::printf("%s\n", r.json().c_str());
    else {
      std::printf("%ld utterances: %ld extracted, %ld failed, %ld without a face (%ld from the cache)\n", r.utterances, r.extracted, r.failed,
                  r.noFace, r.fromCache);
      std::printf("%.1f s of media in %.1f s (%.1fx real time, %d threads)\n", r.secondsOfMedia, r.seconds,
                  r.seconds > 0 ? r.secondsOfMedia / r.seconds : 0.0, r.threads);
      std::printf("%zu problems; report: %s/extract-report.json\n", r.problems.size(), o->out.c_str());
      if (!r.cancelled) std::printf("wrote %s (open it with: mlsan inspect %s)\n", o->out.c_str(), o->out.c_str());
    }
    if (r.cancelled) throw CancelledError("cancelled: nothing of the corpus was written; rerun with --resume to continue");
  });
}

}  // namespace mlsan::app
