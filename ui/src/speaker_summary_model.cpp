// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/speaker_summary_model.h"

#include "mlsan/ui/speaker_colors.h"

namespace mlsan::ui {

void SpeakerSummaryModel::setRelianceRuns(const QStringList& names) {
  relianceRuns_ = names;
  emit headerDataChanged(Qt::Horizontal, RelianceAudio0, RelianceVisual1);
}

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
    if (role == Qt::DisplayRole) return std::isfinite(v) ? QString::number(v, 'f', 3) : QStringLiteral("\u2013");
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
    case RelianceAudio0: case RelianceVisual0: case RelianceAudio1: case RelianceVisual1: {
      const int run = col >= RelianceAudio1 ? 1 : 0;
      const int m = (col - RelianceAudio0) % 2 == 0 ? 1 : 2;  // audio, visual
      const Share& s = r.reliance[run][m];
      if (role == Qt::UserRole) return s.n > 0 ? s.mean : -1.0;
      if (role == Qt::TextAlignmentRole) return int(Qt::AlignRight | Qt::AlignVCenter);
      if (role == Qt::DisplayRole)
        return s.n > 0 ? QStringLiteral("%1\u00B1%2").arg(s.mean, 0, 'f', 2).arg(s.se, 0, 'f', 2) : QStringLiteral("\u2013");
      if (role == Qt::ToolTipRole && s.n > 0) {
        const Share& t = r.reliance[run][0];
        return tr("%1, %2: reliance %3 \u00B1 %4 (s.e.), 95% CI [%5, %6] over %7 utterances; pushing against the prediction %8; "
                  "text %9 [%10, %11]")
            .arg(relianceRuns_.value(run), m == 1 ? tr("audio") : tr("visual"))
            .arg(s.mean, 0, 'f', 3).arg(s.se, 0, 'f', 3).arg(s.low, 0, 'f', 3).arg(s.high, 0, 'f', 3).arg(s.n)
            .arg(s.against, 0, 'f', 3).arg(t.mean, 0, 'f', 3).arg(t.low, 0, 'f', 3).arg(t.high, 0, 'f', 3);
      }
      return {};
    }
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
      case RelianceAudio0: case RelianceVisual0: case RelianceAudio1: case RelianceVisual1:
        return tr("Measured reliance of %1 on %2 (interventional baseline: a random training utterance of the same speaker): "
                  "the sum of the modality's positive Shapley values over the sum of |Shapley values| of the speaker's "
                  "utterances, \u00B1 its standard error (the 95% CI, the negative part and the text share in each cell's tooltip)")
            .arg(relianceRuns_.value(section >= RelianceAudio1 ? 1 : 0, tr("a run")),
                 (section - RelianceAudio0) % 2 == 0 ? tr("audio") : tr("visual"));
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
    case RelianceAudio0: case RelianceVisual0: case RelianceAudio1: case RelianceVisual1: {
      const QString run = relianceRuns_.value(section >= RelianceAudio1 ? 1 : 0);
      const QString m = (section - RelianceAudio0) % 2 == 0 ? tr("rel. audio") : tr("rel. visual");
      return run.isEmpty() ? m : QStringLiteral("%1\n%2").arg(run, m);
    }
    default: return {};
  }
}

}  // namespace mlsan::ui
