// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/open_corpus_dialog.h"

#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>

namespace mlsan::ui {

OpenCorpusDialog::OpenCorpusDialog(QWidget* parent) : QDialog(parent) {
  setWindowTitle(tr("Open corpus"));
  auto* form = new QFormLayout(this);
  auto row = [&](QLineEdit*& edit, const QString& label, const QString& hint, bool file) {
    edit = new QLineEdit;
    edit->setPlaceholderText(hint);
    edit->setMinimumWidth(380);
    auto* browse = new QPushButton(tr("Browse\u2026"));
    auto* h = new QHBoxLayout;
    h->addWidget(edit, 1);
    h->addWidget(browse);
    if (file) {
      auto* pickFile = new QPushButton(tr("File\u2026"));
      h->addWidget(pickFile);
      connect(pickFile, &QPushButton::clicked, this, [this, edit] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Corpus file"), {}, tr("Pickles (*.pkl *.pickle);;All files (*)"));
        if (!f.isEmpty()) edit->setText(f);
      });
    }
    connect(browse, &QPushButton::clicked, this, [this, edit, label] {
      const QString d = QFileDialog::getExistingDirectory(this, label);
      if (!d.isEmpty()) edit->setText(d);
    });
    form->addRow(label, h);
  };
  row(path_, tr("Corpus"), tr("a MultiEMO data folder or pickle, a MELD CSV folder, or \u201Cdemo\u201D"), true);
  row(csv_, tr("MELD CSVs"), tr("optional: the folder with train_sent_emo.csv, \u2026"), false);
  row(clips_, tr("Clips"), tr("optional: MELD.Raw (train_splits/, dev_splits_complete/, \u2026)"), false);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Open | QDialogButtonBox::Cancel);
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  form->addRow(buttons);
}

QString OpenCorpusDialog::source() const {
  QString s = path_->text().trimmed();
  if (s.isEmpty()) return {};
  if (!csv_->text().trimmed().isEmpty()) s += ";csv=" + csv_->text().trimmed();
  if (!clips_->text().trimmed().isEmpty()) s += ";clips=" + clips_->text().trimmed();
  return s;
}

void OpenCorpusDialog::setSource(const QString& path, const QString& csv, const QString& clips) {
  path_->setText(path);
  csv_->setText(csv);
  clips_->setText(clips);
}

}  // namespace mlsan::ui
