// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The per-speaker gate summary as a table model: one row per speaker (utterances, mean and
// s.d. of the audio and visual weights, mean raw gates); Qt::UserRole holds the numbers for
// sorting. GUI thread only.
#include <QAbstractTableModel>
#include <QString>
#include <QStringList>
#include <cmath>
#include <vector>

namespace mlsan::ui {

class SpeakerSummaryModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  /// The measured reliance of up to two runs (setRelianceRuns), audio and visual, share +- s.e.
  /// (the 95% CI and the text share in the cell's tooltip), then the gate columns (NaN, shown as
  /// a dash, for a run without a gate).
  enum Column { Speaker = 0, Utterances, RelianceAudio0, RelianceVisual0, RelianceAudio1, RelianceVisual1,
                AudioMean, AudioSd, VisualMean, VisualSd, GateAudio, GateVisual, ColumnCount };
  /// A speaker's measured reliance on one modality in one run (model::relianceGroup): the positive
  /// share as a ratio of sums, its standard error and 95% interval, and the negative share.
  struct Share {
    int n = 0;
    double mean = NAN, se = NAN, low = NAN, high = NAN, against = NAN;
  };
  struct Row {
    int speaker = -1;
    int numSpeakers = 0;  ///< in the corpus (the last is "other", drawn grey)
    QString name;
    int utterances = 0;
    double audioMean = NAN, audioSd = NAN, visualMean = NAN, visualSd = NAN, gateAudio = NAN, gateVisual = NAN;
    Share reliance[2][3];  ///< [run][text, audio, visual]
  };
  /// The names of the runs whose reliance the last four columns show (0 to 2).
  void setRelianceRuns(const QStringList& names);
  using QAbstractTableModel::QAbstractTableModel;
  void setRows(std::vector<Row> rows);
  const std::vector<Row>& rows() const { return rows_; }
  int rowCount(const QModelIndex& parent = {}) const override { return parent.isValid() ? 0 : static_cast<int>(rows_.size()); }
  int columnCount(const QModelIndex& parent = {}) const override { return parent.isValid() ? 0 : ColumnCount; }
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

 private:
  std::vector<Row> rows_;
  QStringList relianceRuns_;
};

}  // namespace mlsan::ui
