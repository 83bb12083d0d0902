// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The per-speaker gate summary as a table model: one row per speaker (utterances, mean and
// s.d. of the audio and visual weights, mean raw gates); Qt::UserRole holds the numbers for
// sorting. GUI thread only.
#include <QAbstractTableModel>
#include <QString>
#include <vector>

namespace mlsan::ui {

class SpeakerSummaryModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { Speaker = 0, Utterances, AudioMean, AudioSd, VisualMean, VisualSd, GateAudio, GateVisual, ColumnCount };
  struct Row {
    int speaker = -1;
    int numSpeakers = 0;  ///< in the corpus (the last is "other", drawn grey)
    QString name;
    int utterances = 0;
    double audioMean = 0, audioSd = 0, visualMean = 0, visualSd = 0, gateAudio = 0, gateVisual = 0;
  };
  using QAbstractTableModel::QAbstractTableModel;
  void setRows(std::vector<Row> rows);
  const std::vector<Row>& rows() const { return rows_; }
  int rowCount(const QModelIndex& parent = {}) const override { return parent.isValid() ? 0 : static_cast<int>(rows_.size()); }
  int columnCount(const QModelIndex& parent = {}) const override { return parent.isValid() ? 0 : ColumnCount; }
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

 private:
  std::vector<Row> rows_;
};

}  // namespace mlsan::ui
