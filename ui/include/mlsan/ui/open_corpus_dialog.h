// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// File > Open corpus: a corpus path (a MultiEMO folder or pickle, a MELD CSV folder, the
// project's format) or "demo", and optionally the MELD CSVs and the MELD.Raw clips folder.
// source() gives the CorpusSource text form. GUI thread only.
#include <QDialog>
#include <QString>

class QLineEdit;

namespace mlsan::ui {

class OpenCorpusDialog : public QDialog {
  Q_OBJECT
 public:
  explicit OpenCorpusDialog(QWidget* parent = nullptr);
  /// "PATH[;csv=DIR][;clips=DIR]", or "" when no path was given.
  QString source() const;
  /// Fills the three fields (e.g. from a recent source).
  void setSource(const QString& path, const QString& csv = {}, const QString& clips = {});

 private:
  QLineEdit *path_ = nullptr, *csv_ = nullptr, *clips_ = nullptr;
};

}  // namespace mlsan::ui
