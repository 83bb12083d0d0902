// SPDX-License-Identifier: GPL-3.0-or-later
#include "terminal_progress.h"

#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace mlsan::app {
namespace {
std::atomic<int> gInterrupts{0};
void onSigint(int) {
  if (gInterrupts.fetch_add(1) >= 1) std::_Exit(130);  // a second Ctrl-C: stop at once
}
// SIGTERM asks for the same orderly stop, however often it comes: a cluster's scancel signals
// every process of the job, and the job's script passes the signal on as well.
void onSigterm(int) { gInterrupts.fetch_add(1); }
}  // namespace

std::string clockText(double s) {
  char buf[32];
  const int t = static_cast<int>(s + 0.5);
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%d:%02d", t / 60, t % 60);
  return buf;
}

TerminalProgress::TerminalProgress(std::string label, bool quiet)
    : label_(std::move(label)), quiet_(quiet), tty_(::isatty(2)), start_(std::chrono::steady_clock::now()) {}

void TerminalProgress::installInterruptHandler() {
  std::signal(SIGINT, onSigint);
  std::signal(SIGTERM, onSigterm);
}

bool TerminalProgress::cancelled() const { return gInterrupts.load() > 0; }
bool TerminalProgress::interrupted() { return gInterrupts.load() > 0; }

void TerminalProgress::batch(int epoch, int batch, int batches, double loss) {
  if (quiet_ || !tty_ || epochs_ <= 0 || epoch <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (batch != batches && now - lastDraw_ < std::chrono::milliseconds(100)) return;
  lastDraw_ = now;
  const double done = ((epoch - 1) + static_cast<double>(batch) / batches) / epochs_;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double eta = done > 0 ? elapsed * (1 - done) / done : 0;
  const int width = 30, filled = static_cast<int>(done * width);
  std::string bar(filled, '#');
  bar.resize(width, '.');
  std::fprintf(stderr, "\r%s [%s] %3.0f%% epoch %d/%d batch %d/%d loss %.4f  %s elapsed, ETA %s   ", label_.c_str(),
               bar.c_str(), done * 100, epoch, epochs_, batch, batches, loss, clockText(elapsed).c_str(), clockText(eta).c_str());
  std::fflush(stderr);
}

void TerminalProgress::epoch(const model::EpochRecord& r, int epochs) {
  if (quiet_) return;
  epochs_ = epochs;
  if (tty_) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr,
               "%s epoch %d/%d: train loss %.4f (CE %.3f, SWFC %.3f, HGR %.3f, aux %.3f), val loss %.4f, val W-F1 %.2f, "
               "test W-F1 %.2f, lr %.2g (%.1f s)\n",
               label_.c_str(), r.epoch, epochs, r.trainLoss, r.trainCE, r.trainSWFC, r.trainHGR, r.trainAux, r.valLoss,
               r.valWeightedF1, r.testWeightedF1, r.lr, r.seconds);
}

void TerminalProgress::message(const std::string& text) {
  if (quiet_) return;
  if (tty_) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "%s %s\n", label_.c_str(), text.c_str());
}

void EventsProgress::emit(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

bool EventsProgress::cancelled() const { return gInterrupts.load() > 0; }

void EventsProgress::batch(int epoch, int batch, int batches, double loss) {
  emit(nlohmann::json{{"event", "batch"}, {"epoch", epoch}, {"batch", batch}, {"batches", batches},
                      {"loss", std::isfinite(loss) ? nlohmann::json(loss) : nlohmann::json(nullptr)}}
           .dump());
}

void EventsProgress::epoch(const model::EpochRecord& r, int epochs) {
  emit(nlohmann::json{{"event", "epoch"}, {"epoch", r.epoch}, {"epochs", epochs}, {"train_loss", r.trainLoss},
                      {"val_loss", r.valLoss}, {"val_weighted_f1", r.valWeightedF1}, {"test_weighted_f1", r.testWeightedF1},
                      {"lr", r.lr}, {"seconds", r.seconds}, {"train_ce", r.trainCE}, {"train_swfc", r.trainSWFC},
                      {"train_hgr", r.trainHGR}, {"train_aux", r.trainAux}}
           .dump());
}

void EventsProgress::message(const std::string& text) {
  emit(nlohmann::json{{"event", "message"}, {"text", text}}.dump());
  std::fprintf(stderr, "%s\n", text.c_str());
}

}  // namespace mlsan::app
