// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Per-view timing for `mlsan-studio --bench`: a view's reaction to a change is wrapped in a
// ViewTimer; when timing is on (only the benchmark turns it on) each reaction's duration is
// recorded under the view's name. Off, it costs one branch. GUI thread only.
#include <QElapsedTimer>
#include <map>
#include <string>
#include <vector>

namespace mlsan::ui {

class ViewTimer {
 public:
  explicit ViewTimer(const char* name) : name_(name) {
    if (enabled()) timer_.start();
  }
  ~ViewTimer() {
    if (enabled() && timer_.isValid()) samples()[name_].push_back(timer_.nsecsElapsed() / 1e6);
  }
  ViewTimer(const ViewTimer&) = delete;
  ViewTimer& operator=(const ViewTimer&) = delete;

  static bool& enabled() {
    static bool on = false;
    return on;
  }
  /// Milliseconds per reaction, by view.
  static std::map<std::string, std::vector<double>>& samples() {
    static std::map<std::string, std::vector<double>> s;
    return s;
  }

 private:
  const char* name_;
  QElapsedTimer timer_;
};

}  // namespace mlsan::ui
