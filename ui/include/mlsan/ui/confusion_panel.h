// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Confusion matrices of two runs side by side (the paper's Fig. 4, interrogable): A, B and
// B - A in counts or row-normalised, per-class precision / recall / F1 of both with deltas
// (mean +- std when the runs carry other seeds), weighted F1 with 95% bootstrap intervals and
// McNemar's p. Clicking a cell lists its utterances; activating one selects it in the browser
// and the player (openUtterance). Exports the matrices and tables as PNG, SVG or CSV.
// GUI thread only.
#include <QWidget>
#include <optional>
#include <utility>
#include <vector>

#include "mlsan/analysis/comparison.h"
#include "mlsan/data/corpus.h"

class QComboBox;
class QLabel;
class QListWidget;
class QTableWidget;
class QPushButton;

namespace mlsan::ui {

class ConfusionMatrixView;
class StudioState;

class ConfusionPanel : public QWidget {
  Q_OBJECT
 public:
  explicit ConfusionPanel(StudioState& state, QWidget* parent = nullptr);
  enum class Mode { Counts, RowNormalised };
  void setMode(Mode mode);
  Mode mode() const { return mode_; }
  /// Chooses the runs by their index in StudioState::runs().
  void setRuns(int a, int b);
  int runA() const { return runA_; }
  int runB() const { return runB_; }
  void setSplit(data::Split split);
  /// Writes PNG, SVG or CSV by the file's extension. False with `error` set on failure.
  bool exportTo(const QString& path, QString* error);

  ConfusionMatrixView* viewA() const { return views_[0]; }
  ConfusionMatrixView* viewB() const { return views_[1]; }
  ConfusionMatrixView* viewDifference() const { return views_[2]; }
  QListWidget* cellList() const { return list_; }
  QTableWidget* table() const { return table_; }
  QString summaryText() const;
  /// Utterances compared (labelled, predicted by both runs, in the split).
  std::size_t compared() const { return gold_.size(); }
  /// The numbers shown (analysis::compareWithSeeds, as `mlsan compare`), when two runs are compared.
  const std::optional<analysis::SeedComparison>& comparison() const { return comparison_; }
  QString message() const;

 signals:
  void openUtterance(int dialogue, int utterance);

 private:
  void runsChanged();
  void recompute();
  void showCell(int which, int row, int column);
  void exportDialog();
  QString csvText() const;

  StudioState& state_;
  Mode mode_ = Mode::RowNormalised;
  data::Split split_ = data::Split::Test;
  int runA_ = -1, runB_ = -1;
  QComboBox *boxA_ = nullptr, *boxB_ = nullptr, *modeBox_ = nullptr, *splitBox_ = nullptr;
  QPushButton* export_ = nullptr;
  ConfusionMatrixView* views_[3] = {nullptr, nullptr, nullptr};
  QWidget* exportArea_ = nullptr;
  QLabel* summary_ = nullptr;
  QTableWidget* table_ = nullptr;
  QListWidget* list_ = nullptr;
  QLabel* listTitle_ = nullptr;
  // What the matrices were computed from.
  std::vector<std::size_t> rows_;  ///< corpus rows compared
  std::vector<std::pair<int, int>> where_;  ///< their (dialogue, utterance)
  std::vector<int> gold_, predA_, predB_;
  std::optional<analysis::SeedComparison> comparison_;
  bool updating_ = false;
};

}  // namespace mlsan::ui
