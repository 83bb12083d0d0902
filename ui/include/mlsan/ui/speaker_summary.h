#pragma once
// Per speaker, over the whole corpus or the browser's filtered set: how many utterances, and
// the primary (gated) run's mean audio and visual weight with their standard deviation, and
// the raw mean gates. Sortable by any column.
#include <QAbstractTableModel>
#include <QWidget>
#include <vector>

class QComboBox;
class QLabel;
class QSortFilterProxyModel;
class QTableView;

namespace mlsan::ui {

class StudioState;

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

class SpeakerSummary : public QWidget {
  Q_OBJECT
 public:
  explicit SpeakerSummary(StudioState& state, QWidget* parent = nullptr);
  const SpeakerSummaryModel& model() const { return *model_; }
  QTableView* table() const { return table_; }
  QString message() const;
  /// Whole corpus (false) or the browser's filtered set (true).
  void setFilteredOnly(bool on);

 private:
  void recompute();

  StudioState& state_;
  SpeakerSummaryModel* model_ = nullptr;
  QSortFilterProxyModel* proxy_ = nullptr;
  QTableView* table_ = nullptr;
  QComboBox* scope_ = nullptr;
  QLabel* note_ = nullptr;
};

}  // namespace mlsan::ui
