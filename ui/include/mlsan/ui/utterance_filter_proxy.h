// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The browser's filter over the corpus tree: keeps the utterances the studio's filter accepts
// and the groups above them (recursive filtering). GUI thread only.
#include <QSortFilterProxyModel>

namespace mlsan::ui {

class StudioState;

/// Keeps utterances the studio's filter accepts, and the groups above them.
class UtteranceFilterProxy : public QSortFilterProxyModel {
  Q_OBJECT
 public:
  UtteranceFilterProxy(const StudioState& state, QObject* parent = nullptr);
  void refresh() { invalidateFilter(); }

 protected:
  bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

 private:
  const StudioState& state_;
};

}  // namespace mlsan::ui
