// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Per speaker, over the whole corpus or the browser's filtered set: how many utterances, and
// the primary (gated) run's mean audio and visual weight with their standard deviation, and
// the raw mean gates. Sortable by any column. GUI thread only.
#include <QWidget>
#include <vector>

#include "mlsan/ui/speaker_summary_model.h"

class QComboBox;
class QLabel;
class QSortFilterProxyModel;
class QTableView;

namespace mlsan::ui {

class StudioState;

class SpeakerSummary : public QWidget {
  Q_OBJECT
 public:
  explicit SpeakerSummary(StudioState& state, QWidget* parent = nullptr);
  const SpeakerSummaryModel& model() const { return *model_; }
  QTableView* table() const { return table_; }
  QString message() const;
  /// Whole corpus (false) or the browser's filtered set (true).
  void setFilteredOnly(bool on);

 private:
  void recompute();

  StudioState& state_;
  SpeakerSummaryModel* model_ = nullptr;
  QSortFilterProxyModel* proxy_ = nullptr;
  QTableView* table_ = nullptr;
  QComboBox* scope_ = nullptr;
  QLabel* note_ = nullptr;
};

}  // namespace mlsan::ui
