// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/utterance_filter_proxy.h"

#include "mlsan/ui/corpus_tree_model.h"
#include "mlsan/ui/studio_state.h"

namespace mlsan::ui {

UtteranceFilterProxy::UtteranceFilterProxy(const StudioState& state, QObject* parent)
    : QSortFilterProxyModel(parent), state_(state) {
  setRecursiveFilteringEnabled(true);  // a group stays while any utterance under it passes
}

bool UtteranceFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
  const QModelIndex idx = sourceModel()->index(sourceRow, 0, sourceParent);
  const auto kind = static_cast<CorpusTreeModel::NodeKind>(idx.data(CorpusTreeModel::KindRole).toInt());
  if (kind != CorpusTreeModel::NodeKind::Utterance) return state_.filter().isEmpty();
  return state_.accepts(idx.data(CorpusTreeModel::DialogueRole).toInt(), idx.data(CorpusTreeModel::UtteranceRole).toInt());
}

}  // namespace mlsan::ui
