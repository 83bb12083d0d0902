// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// File > New corpus from videos: what to read (MELD.Raw, an utterance table, or a video with its
// subtitles), where to write the corpus, and optionally TorchScript extractors; then the
// extraction on a worker (ExtractJob) with progress, ETA, the problems as they come, and Cancel.
// When it is done the dialog offers to open the corpus, or to open it and train ML-SAN and
// MultiEMO on it. Non-modal: the studio stays usable meanwhile. GUI thread only.
#include <QDialog>

#include "mlsan/ui/extract_job.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QCheckBox;
class QGroupBox;
class QStackedWidget;

namespace mlsan::ui {

class NewCorpusDialog : public QDialog {
  Q_OBJECT
 public:
  enum class Input { Meld = 0, Table = 1, Subtitles = 2 };
  explicit NewCorpusDialog(QWidget* parent = nullptr);

  /// Fills the form (also for tests): paths of the input, the output folder.
  void setInput(Input kind, const QString& path, const QString& srt = {});
  void setOutput(const QString& dir);
  void setModels(const model::ExtractorFiles& files);
  void setThreads(int threads);
  /// The request the form describes; false with `error` when something is missing.
  bool request(ExtractJob::Request* out, QString* error) const;
  /// Starts the extraction (the Extract button). False with `error`.
  bool startExtraction(QString* error = nullptr);
  ExtractJob* job() const { return job_; }
  QPushButton* extractButton() const { return extract_; }
  QPushButton* cancelButton() const { return cancel_; }
  QPushButton* trainButton() const { return train_; }
  QPlainTextEdit* problems() const { return problems_; }
  QString statusText() const;

 signals:
  /// The user chose to open the finished corpus (and to train ML-SAN and MultiEMO on it).
  void openCorpusRequested(QString dir, bool train);

 private:
  void finished(bool ok, bool cancelled, const QString& out, const QString& summary, const QString& error);
  void setRunning(bool running);
  QLineEdit* pathRow(QWidget* page, const QString& label, const QString& tip, bool folder, const QString& filter);

  ExtractJob* job_ = nullptr;
  QComboBox* kind_ = nullptr;
  QStackedWidget* pages_ = nullptr;
  QLineEdit *meld_ = nullptr, *table_ = nullptr, *video_ = nullptr, *srt_ = nullptr, *out_ = nullptr;
  QLineEdit *audioModel_ = nullptr, *visualModel_ = nullptr, *textModel_ = nullptr, *textVocab_ = nullptr;
  QGroupBox* models_ = nullptr;
  QSpinBox* threads_ = nullptr;
  QCheckBox* resume_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QLabel* status_ = nullptr;
  QPlainTextEdit* problems_ = nullptr;
  QPushButton *extract_ = nullptr, *cancel_ = nullptr, *open_ = nullptr, *train_ = nullptr, *close_ = nullptr;
  QString finishedDir_;
};

}  // namespace mlsan::ui
