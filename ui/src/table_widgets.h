// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Small pieces of the studio's table pages: a read-only cell (numbers right-aligned) and a
// page that is a table above a row of buttons. GUI thread only.
#include <QHBoxLayout>
#include <QPushButton>
#include <QString>
#include <QTableWidgetItem>
#include <QVBoxLayout>
#include <QWidget>
#include <initializer_list>

namespace mlsan::ui {

inline QTableWidgetItem* readOnlyCell(const QString& text, bool number = false) {
  auto* i = new QTableWidgetItem(text);
  i->setFlags(i->flags() & ~Qt::ItemIsEditable);
  if (number) i->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  return i;
}

/// Lays `page` out as `table` above a row of `buttons`.
inline void layOutTablePage(QWidget* page, QWidget* table, std::initializer_list<QPushButton*> buttons) {
  auto* layout = new QVBoxLayout(page);
  layout->addWidget(table);
  auto* row = new QHBoxLayout;
  for (auto* b : buttons) row->addWidget(b);
  row->addStretch();
  layout->addLayout(row);
}

}  // namespace mlsan::ui
