// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The corpus browser's item model: Season > Episode > Dialogue > Utterance for MELD and the demo
// corpus, Session > Dialogue > Utterance for IEMOCAP (session from the dialogue key), one flat
// "Dialogues" group otherwise. Built once from an immutable corpus snapshot; read-only.
// GUI thread only (like every Qt item model).
#include <QAbstractItemModel>
#include <memory>
#include <vector>

#include "mlsan/data/corpus.h"

namespace mlsan::ui {

class CorpusTreeModel : public QAbstractItemModel {
  Q_OBJECT
 public:
  enum class NodeKind { Group, Subgroup, Dialogue, Utterance };
  enum Column { Name = 0, Speaker, Emotion, Time, ColumnCount };
  enum Role {
    KindRole = Qt::UserRole + 1,  ///< NodeKind as int
    DialogueRole,                 ///< index into Corpus::dialogues (-1 for groups)
    UtteranceRole,                ///< position within the dialogue (-1 above utterances)
    CorpusRowRole,                ///< row in the feature matrices (-1 above utterances)
  };

  explicit CorpusTreeModel(std::shared_ptr<const data::Corpus> corpus, QObject* parent = nullptr);

  const data::Corpus& corpus() const { return *corpus_; }
  /// The index of an utterance (column Name), or an invalid index.
  QModelIndex utteranceIndex(int dialogue, int utterance) const;
  /// The index of a dialogue (column Name), or an invalid index.
  QModelIndex dialogueIndex(int dialogue) const;

  QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
  QModelIndex parent(const QModelIndex& child) const override;
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

 private:
  struct Node {
    NodeKind kind;
    int parent;             ///< node index, -1 for top-level groups
    int row;                ///< position among the parent's children
    int dialogue = -1, utterance = -1;
    int number = -1;        ///< season / episode / session number (-1 unknown)
    std::vector<int> children;
  };
  QString nodeName(const Node& n) const;
  void build();

  std::shared_ptr<const data::Corpus> corpus_;
  std::vector<Node> nodes_;
  std::vector<int> top_;                  ///< top-level node indices
  std::vector<int> dialogueNode_;         ///< node of each dialogue
  std::vector<int> utteranceNodeStart_;   ///< node of each dialogue's first utterance
  QString topName_, subName_;             ///< "Season" / "Episode", "Session" / ""
};

}  // namespace mlsan::ui
