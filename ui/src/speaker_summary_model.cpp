// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/speaker_summary_model.h"

#include "mlsan/ui/speaker_colors.h"

namespace mlsan::ui {

void SpeakerSummaryModel::setRows(std::vector<Row> rows) {
  beginResetModel();
  rows_ = std::move(rows);
  endResetModel();
}

QVariant SpeakerSummaryModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= static_cast<int>(rows_.size())) return {};
  const Row& r = rows_[static_cast<std::size_t>(index.row())];
  const int col = index.column();
  auto number = [&](double v) -> QVariant {
    if (role == Qt::DisplayRole) return QString::number(v, 'f', 3);
    if (role == Qt::UserRole) return v;
    if (role == Qt::TextAlignmentRole) return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
  };
  switch (col) {
    case Speaker:
      if (role == Qt::DisplayRole || role == Qt::UserRole) return r.name;
      if (role == Qt::DecorationRole) return speakerColor(r.speaker, r.numSpeakers);
      return {};
    case Utterances:
      if (role == Qt::DisplayRole || role == Qt::UserRole) return r.utterances;
      if (role == Qt::TextAlignmentRole) return int(Qt::AlignRight | Qt::AlignVCenter);
      return {};
    case AudioMean: return number(r.audioMean);
    case AudioSd: return number(r.audioSd);
    case VisualMean: return number(r.visualMean);
    case VisualSd: return number(r.visualSd);
    case GateAudio: return number(r.gateAudio);
    case GateVisual: return number(r.gateVisual);
    default: return {};
  }
}

QVariant SpeakerSummaryModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal) return {};
  if (role == Qt::ToolTipRole) {
    switch (section) {
      case Utterances: return tr("Utterances of the speaker with a gate value");
      case AudioMean: return tr("Mean audio weight w_a = mean(g_a) / (mean(g_a) + mean(g_v))");
      case VisualMean: return tr("Mean visual weight w_v = 1 - w_a");
      case AudioSd: case VisualSd: return tr("Standard deviation over the speaker's utterances");
      case GateAudio: return tr("Mean of the raw audio gate values (sigmoid outputs)");
      case GateVisual: return tr("Mean of the raw visual gate values (sigmoid outputs)");
      default: return {};
    }
  }
  if (role != Qt::DisplayRole) return {};
  switch (section) {
    case Speaker: return tr("Speaker");
    case Utterances: return tr("Utts");
    case AudioMean: return tr("Audio");
    case AudioSd: return tr("\u00B1 s.d.");
    case VisualMean: return tr("Visual");
    case VisualSd: return tr("\u00B1 s.d.");
    case GateAudio: return tr("Gate a");
    case GateVisual: return tr("Gate v");
    default: return {};
  }
}

}  // namespace mlsan::ui
