// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/run_list.h"

#include <QDir>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include "mlsan/model/run.h"
#include "table_widgets.h"

namespace mlsan::ui {

RunList::RunList(QWidget* parent) : QWidget(parent) {
  table_ = new QTableWidget(0, 5);
  table_->setObjectName("trainRunList");
  table_->setHorizontalHeaderLabels({tr("Run folder"), tr("Variant"), tr("Epochs"), tr("Test W-F1"), tr("State")});
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
  table_->verticalHeader()->hide();
  auto* showRun = new QPushButton(tr("Show in views"));
  auto* showCurves = new QPushButton(tr("Show curves"));
  auto* overlayCurves = new QPushButton(tr("Overlay curves"));
  overlayCurves->setObjectName("overlayCurves");
  overlayCurves->setToolTip(tr("Draw the selected run's curves dashed over the curves shown, with the gap epoch by epoch"));
  auto* refreshButton = new QPushButton(tr("Refresh"));
  layOutTablePage(this, table_, {showRun, showCurves, overlayCurves, refreshButton});

  connect(showRun, &QPushButton::clicked, this, [this] {
    if (const QString d = selectedRun(); !d.isEmpty()) emit showRunRequested(d);
  });
  auto curves = [this] {
    if (const QString d = selectedRun(); !d.isEmpty()) emit showCurvesRequested(d);
  };
  connect(showCurves, &QPushButton::clicked, this, curves);
  connect(overlayCurves, &QPushButton::clicked, this, [this] {
    if (const QString d = selectedRun(); !d.isEmpty()) emit overlayCurvesRequested(d);
  });
  connect(table_, &QTableWidget::cellDoubleClicked, this, curves);
  connect(refreshButton, &QPushButton::clicked, this, &RunList::refresh);
}

void RunList::setRoot(const QString& root) {
  root_ = root;
  refresh();
}

QString RunList::selectedRun() const {
  const int r = table_->currentRow();
  return r >= 0 && table_->item(r, 0) ? table_->item(r, 0)->data(Qt::UserRole).toString() : QString();
}

QStringList RunList::runs() const {
  QStringList out;
  for (int r = 0; r < table_->rowCount(); ++r) out << table_->item(r, 0)->data(Qt::UserRole).toString();
  return out;
}

void RunList::refresh() {
  const QString keep = selectedRun();
  table_->setSortingEnabled(false);
  table_->setRowCount(0);
  for (const std::string& dir : model::findRuns(root_.toStdString())) {
    const model::RunSummary s = model::summariseRun(dir);
    const QString d = QString::fromStdString(dir);
    const int row = table_->rowCount();
    table_->insertRow(row);
    auto* first = readOnlyCell(QDir(root_).relativeFilePath(d));
    first->setData(Qt::UserRole, d);
    table_->setItem(row, 0, first);
    table_->setItem(row, 1, readOnlyCell(QString::fromStdString(s.variant)));
    table_->setItem(row, 2, readOnlyCell(s.problem.empty() ? QString("%1/%2").arg(s.epochsDone).arg(s.epochs) : QString(), true));
    table_->setItem(row, 3, readOnlyCell(s.finished ? QString::number(s.testWeightedF1, 'f', 2) : QString(), true));
    table_->setItem(row, 4, readOnlyCell(!s.problem.empty() ? tr("unreadable: %1").arg(QString::fromStdString(s.problem).left(80))
                                 : s.finished   ? tr("finished")
                                                : tr("unfinished")));
    if (d == keep) table_->setCurrentCell(row, 0);
  }
}

}  // namespace mlsan::ui
