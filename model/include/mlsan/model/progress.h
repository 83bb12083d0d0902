// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// One progress interface for every long engine call. The terminal (a progress bar) and the
// studio (signals to the GUI thread) implement it. The engine calls it from the thread that
// runs the work; implementations must be safe to call from that thread. cancelled() is
// polled between batches: make it cheap (an atomic flag).
#include <string>

namespace mlsan::model {

/// One epoch of a training curve.
struct EpochRecord {
  int epoch = 0;              ///< 1-based
  double trainLoss = 0;
  double trainCE = 0, trainSWFC = 0, trainHGR = 0, trainAux = 0;  ///< the loss's parts (unweighted)
  double valLoss = 0;
  double valWeightedF1 = 0;   ///< percent
  double testWeightedF1 = 0;  ///< percent (reported, never used for selection)
  double lr = 0;
  double seconds = 0;
};

class Progress {
 public:
  virtual ~Progress() = default;
  /// After each training batch: batch is 1-based out of `batches`, `loss` is its total loss.
  virtual void batch(int /*epoch*/, int /*batch*/, int /*batches*/, double /*loss*/) {}
  /// After each epoch's evaluation.
  virtual void epoch(const EpochRecord& /*record*/, int /*epochs*/) {}
  /// Free-form status ("loading checkpoint", "resuming at epoch 4", ...).
  virtual void message(const std::string& /*text*/) {}
  /// Polled between batches; true stops the work at the next batch boundary.
  virtual bool cancelled() const { return false; }
};

/// Reports nothing and never cancels.
class NullProgress : public Progress {};

}  // namespace mlsan::model
