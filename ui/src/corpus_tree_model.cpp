// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/corpus_tree_model.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace mlsan::ui {
namespace {
QString clock(double s) {
  if (s < 0) return {};
  const int ms = static_cast<int>(s * 1000 + 0.5);
  return QString("%1:%2.%3").arg(ms / 60000).arg(ms / 1000 % 60, 2, 10, QChar('0')).arg(ms % 1000 / 100);
}

/// IEMOCAP's session number from a key like "Ses03F_impro01" (-1 if none).
int sessionOf(const std::string& key) {
  if (key.size() >= 5 && key.compare(0, 3, "Ses") == 0 && std::isdigit(static_cast<unsigned char>(key[3])) &&
      std::isdigit(static_cast<unsigned char>(key[4])))
    return (key[3] - '0') * 10 + (key[4] - '0');
  return -1;
}
}  // namespace

CorpusTreeModel::CorpusTreeModel(std::shared_ptr<const data::Corpus> corpus, QObject* parent)
    : QAbstractItemModel(parent), corpus_(std::move(corpus)) {
  build();
}

void CorpusTreeModel::build() {
  const auto& c = *corpus_;
  const bool iemocap = c.dataset == "iemocap";
  const bool seasons = !iemocap && std::any_of(c.dialogues.begin(), c.dialogues.end(), [](const auto& d) { return d.season >= 0; });
  topName_ = iemocap ? "Session" : seasons ? "Season" : "";
  subName_ = seasons ? "Episode" : "";
  // Group key per dialogue: (group number, subgroup number); order dialogues by it, stably.
  std::vector<std::tuple<int, int, int>> order;
  for (int i = 0; i < static_cast<int>(c.dialogues.size()); ++i) {
    const auto& d = c.dialogues[i];
    const int g = iemocap ? sessionOf(d.key) : seasons ? d.season : 0;
    const int s = seasons ? d.episode : 0;
    order.emplace_back(g, s, i);
  }
  std::stable_sort(order.begin(), order.end());
  dialogueNode_.assign(c.dialogues.size(), -1);
  utteranceNodeStart_.assign(c.dialogues.size(), -1);
  int group = -1, sub = -1;
  int lastG = -2, lastS = -2;
  auto add = [this](NodeKind kind, int parent) {
    Node n{kind, parent, 0, -1, -1, -1, {}};
    if (parent < 0) {
      n.row = static_cast<int>(top_.size());
      top_.push_back(static_cast<int>(nodes_.size()));
    } else {
      n.row = static_cast<int>(nodes_[parent].children.size());
      nodes_[parent].children.push_back(static_cast<int>(nodes_.size()));
    }
    nodes_.push_back(std::move(n));
    return static_cast<int>(nodes_.size()) - 1;
  };
  for (const auto& [g, s, i] : order) {
    if (g != lastG || group < 0) {
      group = add(NodeKind::Group, -1);
      nodes_[group].number = g;
      lastG = g;
      lastS = -2;
    }
    int parent = group;
    if (seasons) {
      if (s != lastS) {
        sub = add(NodeKind::Subgroup, group);
        nodes_[sub].number = s;
        lastS = s;
      }
      parent = sub;
    }
    const int dn = add(NodeKind::Dialogue, parent);
    nodes_[dn].dialogue = i;
    dialogueNode_[i] = dn;
    const auto& d = c.dialogues[i];
    for (int u = 0; u < static_cast<int>(d.size()); ++u) {
      const int un = add(NodeKind::Utterance, dn);
      nodes_[un].dialogue = i;
      nodes_[un].utterance = u;
      if (u == 0) utteranceNodeStart_[i] = un;
    }
  }
}

QModelIndex CorpusTreeModel::utteranceIndex(int dialogue, int utterance) const {
  if (dialogue < 0 || dialogue >= static_cast<int>(dialogueNode_.size())) return {};
  if (utterance < 0 || utterance >= static_cast<int>(corpus_->dialogues[dialogue].size())) return {};
  const int n = utteranceNodeStart_[dialogue] + utterance;
  return createIndex(nodes_[n].row, 0, static_cast<quintptr>(n));
}

QModelIndex CorpusTreeModel::dialogueIndex(int dialogue) const {
  if (dialogue < 0 || dialogue >= static_cast<int>(dialogueNode_.size())) return {};
  const int n = dialogueNode_[dialogue];
  return createIndex(nodes_[n].row, 0, static_cast<quintptr>(n));
}

QModelIndex CorpusTreeModel::index(int row, int column, const QModelIndex& parent) const {
  if (column < 0 || column >= ColumnCount || row < 0) return {};
  const std::vector<int>& kids = parent.isValid() ? nodes_[parent.internalId()].children : top_;
  if (row >= static_cast<int>(kids.size())) return {};
  return createIndex(row, column, static_cast<quintptr>(kids[row]));
}

QModelIndex CorpusTreeModel::parent(const QModelIndex& child) const {
  if (!child.isValid()) return {};
  const int p = nodes_[child.internalId()].parent;
  if (p < 0) return {};
  return createIndex(nodes_[p].row, 0, static_cast<quintptr>(p));
}

int CorpusTreeModel::rowCount(const QModelIndex& parent) const {
  if (!parent.isValid()) return static_cast<int>(top_.size());
  if (parent.column() != 0) return 0;
  return static_cast<int>(nodes_[parent.internalId()].children.size());
}

int CorpusTreeModel::columnCount(const QModelIndex&) const { return ColumnCount; }

QString CorpusTreeModel::nodeName(const Node& n) const {
  const auto& c = *corpus_;
  switch (n.kind) {
    case NodeKind::Group:
      if (topName_.isEmpty()) return tr("Dialogues");
      return n.number >= 0 ? QString("%1 %2").arg(topName_).arg(n.number) : tr("%1 unknown").arg(topName_);
    case NodeKind::Subgroup:
      return n.number >= 0 ? QString("%1 %2").arg(subName_).arg(n.number) : tr("%1 unknown").arg(subName_);
    case NodeKind::Dialogue: {
      const auto& d = c.dialogues[n.dialogue];
      const QString count = d.size() == 1 ? tr("1 utterance") : tr("%1 utterances").arg(d.size());
      return tr("Dialogue %1 (%2, %3)").arg(QString::fromStdString(d.key), data::splitName(d.split), count);
    }
    case NodeKind::Utterance: {
      const auto& u = c.dialogues[n.dialogue].utterances[n.utterance];
      const QString text = u.transcript.empty() ? tr("(no transcript)") : QString::fromStdString(u.transcript);
      return QString("%1. %2").arg(n.utterance + 1).arg(text);
    }
  }
  return {};
}

QVariant CorpusTreeModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid()) return {};
  const Node& n = nodes_[index.internalId()];
  const auto& c = *corpus_;
  switch (role) {
    case KindRole: return static_cast<int>(n.kind);
    case DialogueRole: return n.dialogue;
    case UtteranceRole: return n.utterance;
    case CorpusRowRole:
      return n.kind == NodeKind::Utterance ? static_cast<qlonglong>(c.dialogues[n.dialogue].firstRow + n.utterance) : -1;
    case Qt::DisplayRole:
    case Qt::ToolTipRole: break;
    default: return {};
  }
  if (index.column() == Name) return nodeName(n);
  if (n.kind != NodeKind::Utterance) return {};
  const auto& u = c.dialogues[n.dialogue].utterances[n.utterance];
  switch (index.column()) {
    case Speaker:
      return u.speaker >= 0 && u.speaker < static_cast<int>(c.speakers.size()) ? QString::fromStdString(c.speakers[u.speaker]) : QString();
    case Emotion: return u.label >= 0 ? QString::fromStdString(c.labels.labels[u.label]) : tr("unlabelled");
    case Time: return u.startSeconds >= 0 ? QString("%1 - %2").arg(clock(u.startSeconds), clock(u.endSeconds)) : QString();
    default: return {};
  }
}

QVariant CorpusTreeModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  switch (section) {
    case Name: return tr("Dialogue / utterance");
    case Speaker: return tr("Speaker");
    case Emotion: return tr("Gold emotion");
    case Time: return tr("Time");
    default: return {};
  }
}

}  // namespace mlsan::ui
