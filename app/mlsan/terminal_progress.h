#pragma once
// The terminal back-end of mlsan::model::Progress: a one-line progress bar with ETA on
// stderr (plain lines when stderr is not a terminal), and Ctrl-C as cancel.
#include <atomic>
#include <chrono>
#include <string>

#include "mlsan/model/progress.h"

namespace mlsan::app {

class TerminalProgress : public model::Progress {
 public:
  explicit TerminalProgress(std::string label, bool quiet = false);
  void batch(int epoch, int batch, int batches, double loss) override;
  void epoch(const model::EpochRecord& record, int epochs) override;
  void message(const std::string& text) override;
  bool cancelled() const override;
  void setEpochs(int epochs) { epochs_ = epochs; }

  /// Installs a SIGINT handler that sets the shared cancel flag (first Ctrl-C), or exits (second).
  static void installInterruptHandler();

 private:
  std::string label_;
  bool quiet_;
  bool tty_;
  int epochs_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point lastDraw_{};
};

}  // namespace mlsan::app
