// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/new_corpus_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QStackedWidget>
#include <QThread>
#include <QToolButton>
#include <QVBoxLayout>

namespace mlsan::ui {
namespace {

QString clockText(double s) {
  const int t = static_cast<int>(s + 0.5);
  return t >= 3600 ? QStringLiteral("%1:%2:%3").arg(t / 3600).arg(t / 60 % 60, 2, 10, QChar('0')).arg(t % 60, 2, 10, QChar('0'))
                   : QStringLiteral("%1:%2").arg(t / 60).arg(t % 60, 2, 10, QChar('0'));
}

}  // namespace

QLineEdit* NewCorpusDialog::pathRow(QWidget* page, const QString& label, const QString& tip, bool folder, const QString& filter) {
  auto* form = qobject_cast<QFormLayout*>(page->layout());
  auto* edit = new QLineEdit;
  edit->setToolTip(tip);
  edit->setPlaceholderText(tip);
  auto* browse = new QToolButton;
  browse->setText(QStringLiteral("\u2026"));
  connect(browse, &QToolButton::clicked, this, [this, edit, folder, filter, label] {
    const QString path = folder ? QFileDialog::getExistingDirectory(this, label, edit->text())
                                : QFileDialog::getOpenFileName(this, label, edit->text(), filter);
    if (!path.isEmpty()) edit->setText(path);
  });
  auto* row = new QHBoxLayout;
  row->addWidget(edit, 1);
  row->addWidget(browse);
  form->addRow(label, row);
  return edit;
}

NewCorpusDialog::NewCorpusDialog(QWidget* parent) : QDialog(parent) {
  setWindowTitle(tr("New corpus from videos"));
  setObjectName("newCorpusDialog");
  job_ = new ExtractJob(this);
  kind_ = new QComboBox;
  kind_->addItem(tr("MELD.Raw: the clips and the three CSVs"));
  kind_->addItem(tr("Videos and an utterance table (CSV)"));
  kind_->addItem(tr("A video and its subtitles (SRT)"));
  pages_ = new QStackedWidget;
  for (int i = 0; i < 3; ++i) {
    auto* page = new QWidget;
    auto* form = new QFormLayout(page);
    form->setContentsMargins(0, 0, 0, 0);
    pages_->addWidget(page);
  }
  meld_ = pathRow(pages_->widget(0), tr("MELD.Raw folder"), tr("train_sent_emo.csv ... and train_splits/ ..."), true, {});
  table_ = pathRow(pages_->widget(1), tr("Utterance table"), tr("video, start, end, speaker, transcript [, emotion, dialogue, split]"),
                   false, tr("CSV (*.csv);;All files (*)"));
  video_ = pathRow(pages_->widget(2), tr("Video"), tr("the recording"), false, tr("Videos (*.mp4 *.mkv *.avi *.mov *.webm);;All files (*)"));
  srt_ = pathRow(pages_->widget(2), tr("Subtitles"), tr("SRT; 'NAME:' gives the speaker"), false, tr("Subtitles (*.srt);;All files (*)"));
  connect(kind_, qOverload<int>(&QComboBox::currentIndexChanged), pages_, &QStackedWidget::setCurrentIndex);

  auto* outPage = new QWidget;
  auto* outForm = new QFormLayout(outPage);
  outForm->setContentsMargins(0, 0, 0, 0);
  out_ = pathRow(outPage, tr("Write the corpus to"), tr("a new or empty folder"), true, {});
  threads_ = new QSpinBox;
  threads_->setRange(1, 256);
  threads_->setValue(std::max(1, QThread::idealThreadCount()));
  outForm->addRow(tr("Threads"), threads_);
  resume_ = new QCheckBox(tr("Continue an earlier extraction into this folder (only what changed is redone)"));
  outForm->addRow(QString(), resume_);

  models_ = new QGroupBox(tr("TorchScript extractors instead of the built-in ones"));
  models_->setCheckable(true);
  models_->setChecked(false);
  auto* modelForm = new QFormLayout(models_);
  (void)modelForm;
  const QString ts = tr("TorchScript (*.pt *.pth *.ts);;All files (*)");
  audioModel_ = pathRow(models_, tr("Audio"), tr("[1, samples] at 16 kHz -> [1, D]"), false, ts);
  visualModel_ = pathRow(models_, tr("Visual"), tr("[N, 3, S, S] face crops -> [N, D]"), false, ts);
  textModel_ = pathRow(models_, tr("Text"), tr("WordPiece ids [1, L] -> [1, D]"), false, ts);
  textVocab_ = pathRow(models_, tr("Vocabulary"), tr("vocab.txt of the text model"), false, tr("Text (*.txt);;All files (*)"));

  progress_ = new QProgressBar;
  progress_->setRange(0, 1);
  progress_->setValue(0);
  status_ = new QLabel(tr("Choose the input and the folder, then Extract."));
  status_->setObjectName("extractStatus");
  status_->setWordWrap(true);
  problems_ = new QPlainTextEdit;
  problems_->setReadOnly(true);
  problems_->setPlaceholderText(tr("Problems are listed here as they are found; the rest is extracted."));
  problems_->setMaximumBlockCount(5000);

  extract_ = new QPushButton(tr("Extract"));
  extract_->setDefault(true);
  cancel_ = new QPushButton(tr("Cancel"));
  cancel_->setEnabled(false);
  open_ = new QPushButton(tr("Open the corpus"));
  train_ = new QPushButton(tr("Open and train ML-SAN and MultiEMO"));
  close_ = new QPushButton(tr("Close"));
  open_->setVisible(false);
  train_->setVisible(false);
  auto* buttons = new QHBoxLayout;
  buttons->addStretch();
  for (auto* b : {extract_, cancel_, open_, train_, close_}) buttons->addWidget(b);

  auto* layout = new QVBoxLayout(this);
  auto* top = new QFormLayout;
  top->addRow(tr("Read"), kind_);
  layout->addLayout(top);
  layout->addWidget(pages_);
  layout->addWidget(outPage);
  layout->addWidget(models_);
  layout->addWidget(progress_);
  layout->addWidget(status_);
  layout->addWidget(problems_, 1);
  layout->addLayout(buttons);
  resize(760, 620);

  connect(extract_, &QPushButton::clicked, this, [this] {
    QString error;
    if (!startExtraction(&error)) status_->setText(error);
  });
  connect(cancel_, &QPushButton::clicked, this, [this] {
    job_->cancel();
    status_->setText(tr("Cancelling: the utterances being read are finished and kept in the cache\u2026"));
  });
  connect(close_, &QPushButton::clicked, this, [this] {
    job_->cancel();
    reject();
  });
  connect(open_, &QPushButton::clicked, this, [this] {
    emit openCorpusRequested(finishedDir_, false);
    accept();
  });
  connect(train_, &QPushButton::clicked, this, [this] {
    emit openCorpusRequested(finishedDir_, true);
    accept();
  });
  connect(job_, &ExtractJob::progress, this, [this](long done, long total, double media, double elapsed) {
    progress_->setRange(0, static_cast<int>(std::max(1L, total)));
    progress_->setValue(static_cast<int>(done));
    const double eta = done > 0 ? elapsed * (total - done) / done : 0;
    status_->setText(tr("%1 of %2 utterances, %3 of media, %4x real time; %5 elapsed, about %6 left")
                         .arg(done)
                         .arg(total)
                         .arg(clockText(media))
                         .arg(elapsed > 0 ? media / elapsed : 0.0, 0, 'f', 1)
                         .arg(clockText(elapsed), clockText(eta)));
  });
  connect(job_, &ExtractJob::problem, problems_, &QPlainTextEdit::appendPlainText);
  connect(job_, &ExtractJob::finished, this, &NewCorpusDialog::finished);
}

void NewCorpusDialog::setInput(Input kind, const QString& path, const QString& srt) {
  kind_->setCurrentIndex(static_cast<int>(kind));
  (kind == Input::Meld ? meld_ : kind == Input::Table ? table_ : video_)->setText(path);
  if (kind == Input::Subtitles) srt_->setText(srt);
}
void NewCorpusDialog::setOutput(const QString& dir) { out_->setText(dir); }
void NewCorpusDialog::setThreads(int threads) { threads_->setValue(threads); }
void NewCorpusDialog::setModels(const model::ExtractorFiles& f) {
  models_->setChecked(!f.audio.empty() || !f.visual.empty() || !f.text.empty());
  audioModel_->setText(QString::fromStdString(f.audio));
  visualModel_->setText(QString::fromStdString(f.visual));
  textModel_->setText(QString::fromStdString(f.text));
  textVocab_->setText(QString::fromStdString(f.textVocab));
}

bool NewCorpusDialog::request(ExtractJob::Request* r, QString* error) const {
  auto fail = [error](const QString& e) {
    if (error) *error = e;
    return false;
  };
  *r = {};
  const auto text = [](const QLineEdit* e) { return e->text().trimmed().toStdString(); };
  switch (static_cast<Input>(kind_->currentIndex())) {
    case Input::Meld:
      r->source.meld = text(meld_);
      if (r->source.meld.empty()) return fail(tr("Choose the MELD.Raw folder."));
      break;
    case Input::Table:
      r->source.table = text(table_);
      if (r->source.table.empty()) return fail(tr("Choose the utterance table."));
      break;
    case Input::Subtitles:
      r->source.video = text(video_);
      r->source.srt = text(srt_);
      if (r->source.video.empty() || r->source.srt.empty()) return fail(tr("Choose the video and its subtitles."));
      break;
  }
  if (models_->isChecked()) r->models = {text(audioModel_), text(visualModel_), text(textModel_), text(textVocab_)};
  r->outDir = out_->text().trimmed();
  if (r->outDir.isEmpty()) return fail(tr("Choose the folder the corpus is written to."));
  r->threads = threads_->value();
  r->resume = resume_->isChecked();
  return true;
}

bool NewCorpusDialog::startExtraction(QString* error) {
  ExtractJob::Request r;
  if (!request(&r, error)) return false;
  problems_->clear();
  if (!job_->start(r, error)) return false;
  setRunning(true);
  status_->setText(tr("Reading the input\u2026"));
  progress_->setRange(0, 0);
  return true;
}

void NewCorpusDialog::setRunning(bool running) {
  extract_->setEnabled(!running);
  cancel_->setEnabled(running);
  for (QWidget* w : std::initializer_list<QWidget*>{kind_, pages_, out_, threads_, resume_, models_}) w->setEnabled(!running);
}

void NewCorpusDialog::finished(bool ok, bool cancelled, const QString& out, const QString& summary, const QString& error) {
  setRunning(false);
  progress_->setRange(0, 1);
  progress_->setValue(ok ? 1 : 0);
  if (ok) {
    finishedDir_ = out;
    status_->setText(tr("Done: %1. The report is %2/extract-report.json.").arg(summary, out));
    open_->setVisible(true);
    train_->setVisible(true);
    extract_->setVisible(false);
  } else if (cancelled) {
    status_->setText(tr("Cancelled: no corpus was written; what was extracted is in the cache. %1 Tick 'Continue' and Extract to go on.")
                         .arg(summary));
  } else {
    status_->setText(tr("Could not extract: %1").arg(error));
  }
}

QString NewCorpusDialog::statusText() const { return status_->text(); }

}  // namespace mlsan::ui
