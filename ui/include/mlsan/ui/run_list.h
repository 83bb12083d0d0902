// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The Training panel's list of run folders under the runs folder (model::findRuns): variant,
// epochs done of asked, test weighted F1 and whether the run finished, with buttons to show a
// run in the studio's views, show its curves, or overlay them on the curves shown. GUI thread only.
#include <QString>
#include <QStringList>
#include <QWidget>

class QTableWidget;

namespace mlsan::ui {

class RunList : public QWidget {
  Q_OBJECT
 public:
  explicit RunList(QWidget* parent = nullptr);
  /// Lists the runs under `root` (absolute path).
  void setRoot(const QString& root);
  const QString& root() const { return root_; }
  /// Re-reads the runs folder, keeping the selection.
  void refresh();
  /// The selected run folder (absolute), "" when none.
  QString selectedRun() const;
  /// Every listed run folder (absolute), in the list's order.
  QStringList runs() const;
  QTableWidget* table() const { return table_; }

 signals:
  void showRunRequested(QString dir);
  void showCurvesRequested(QString dir);
  /// "Overlay curves": the selected run's curves, dashed over those shown.
  void overlayCurvesRequested(QString dir);

 private:
  QString root_;
  QTableWidget* table_ = nullptr;
};

}  // namespace mlsan::ui
