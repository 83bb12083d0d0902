// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The terminal back-end of mlsan::model::Progress: a one-line progress bar with ETA on
// stderr (plain lines when stderr is not a terminal), and Ctrl-C as cancel.
#include <atomic>
#include <chrono>
#include <string>

#include "mlsan/model/progress.h"

namespace mlsan::app {

/// "m:ss" or "h:mm:ss" of a duration in seconds (the progress bars' elapsed and ETA).
std::string clockText(double seconds);

class TerminalProgress : public model::Progress {
 public:
  explicit TerminalProgress(std::string label, bool quiet = false);
  void batch(int epoch, int batch, int batches, double loss) override;
  void epoch(const model::EpochRecord& record, int epochs) override;
  void message(const std::string& text) override;
  bool cancelled() const override;
  void setEpochs(int epochs) { epochs_ = epochs; }

  /// Installs SIGINT and SIGTERM handlers that set the shared cancel flag (the first signal),
  /// or exit (the second).
  static void installInterruptHandler();
  /// True once SIGINT or SIGTERM arrived.
  static bool interrupted();

 private:
  std::string label_;
  bool quiet_;
  bool tty_;
  int epochs_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point lastDraw_{};
};

/// `mlsan train --events`: one JSON object per line on stdout for a parent process (the
/// studio, `mlsan ablation`); the events are listed in mlsan/experiments/runner.h. Cancel is
/// the same flag as TerminalProgress's (SIGINT, SIGTERM).
class EventsProgress : public model::Progress {
 public:
  void batch(int epoch, int batch, int batches, double loss) override;
  void epoch(const model::EpochRecord& record, int epochs) override;
  void message(const std::string& text) override;
  bool cancelled() const override;
  /// Prints one event object (adds nothing; flushes).
  static void emit(const std::string& jsonLine);
};

}  // namespace mlsan::app
