// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/confusion_panel.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QPainter>
#include <QPushButton>
#include <QSaveFile>
#include <QSplitter>
#include <QSvgGenerator>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>

#include "mlsan/data/csv.h"
#include "mlsan/ui/confusion_matrix_view.h"
#include "mlsan/ui/studio_state.h"

namespace mlsan::ui {
namespace {

QString pct(double v, int decimals = 1) { return QString::number(100 * v, 'f', decimals); }
QString signedPct(double v, int decimals = 1) { return (v >= 0 ? "+" : "") + QString::number(100 * v, 'f', decimals); }

std::vector<std::vector<double>> toDouble(const std::vector<std::vector<long>>& m) {
  std::vector<std::vector<double>> out(m.size());
  for (std::size_t i = 0; i < m.size(); ++i) out[i].assign(m[i].begin(), m[i].end());
  return out;
}

}  // namespace

ConfusionPanel::ConfusionPanel(StudioState& state, QWidget* parent) : QWidget(parent), state_(state) {
  auto* top = new QHBoxLayout;
  boxA_ = new QComboBox;
  boxB_ = new QComboBox;
  boxA_->setObjectName("confusionRunA");
  boxB_->setObjectName("confusionRunB");
  modeBox_ = new QComboBox;
  modeBox_->addItems({tr("Counts"), tr("Row-normalised")});
  modeBox_->setCurrentIndex(1);
  splitBox_ = new QComboBox;
  splitBox_->addItems({tr("test"), tr("dev"), tr("train")});
  export_ = new QPushButton(tr("Export\u2026"));
  top->addWidget(new QLabel(tr("A:")));
  top->addWidget(boxA_, 1);
  top->addWidget(new QLabel(tr("B:")));
  top->addWidget(boxB_, 1);
  top->addSpacing(12);
  top->addWidget(new QLabel(tr("Show:")));
  top->addWidget(modeBox_);
  top->addWidget(new QLabel(tr("Split:")));
  top->addWidget(splitBox_);
  top->addStretch();
  top->addWidget(export_);

  exportArea_ = new QWidget;
  exportArea_->setAutoFillBackground(true);
  auto* area = new QVBoxLayout(exportArea_);
  area->setContentsMargins(4, 4, 4, 4);
  auto* mats = new QHBoxLayout;
  for (auto& v : views_) {
    v = new ConfusionMatrixView;
    mats->addWidget(v, 1);
  }
  area->addLayout(mats, 5);
  summary_ = new QLabel;
  summary_->setWordWrap(true);
  summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  area->addWidget(summary_);
  table_ = new QTableWidget;
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->verticalHeader()->setVisible(false);
  table_->setSelectionMode(QAbstractItemView::NoSelection);
  table_->setWordWrap(false);
  table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 6);
  area->addWidget(table_, 3);

  auto* side = new QWidget;
  auto* sideLayout = new QVBoxLayout(side);
  sideLayout->setContentsMargins(0, 0, 0, 0);
  listTitle_ = new QLabel(tr("Click a cell to list its utterances."));
  listTitle_->setWordWrap(true);
  list_ = new QListWidget;
  list_->setObjectName("confusionCellList");
  list_->setWordWrap(true);
  sideLayout->addWidget(listTitle_);
  sideLayout->addWidget(list_, 1);

  auto* split = new QSplitter(Qt::Horizontal);
  split->addWidget(exportArea_);
  split->addWidget(side);
  split->setStretchFactor(0, 4);
  split->setStretchFactor(1, 1);
  split->setSizes({900, 280});
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(top);
  layout->addWidget(split, 1);

  connect(modeBox_, &QComboBox::currentIndexChanged, this, [this](int i) { setMode(i == 0 ? Mode::Counts : Mode::RowNormalised); });
  connect(splitBox_, &QComboBox::currentIndexChanged, this,
          [this](int i) { setSplit(i == 0 ? data::Split::Test : i == 1 ? data::Split::Dev : data::Split::Train); });
  auto runPicked = [this] {
    if (updating_) return;
    runA_ = boxA_->currentIndex();
    runB_ = boxB_->currentIndex();
    recompute();
  };
  connect(boxA_, &QComboBox::currentIndexChanged, this, runPicked);
  connect(boxB_, &QComboBox::currentIndexChanged, this, runPicked);
  connect(export_, &QPushButton::clicked, this, &ConfusionPanel::exportDialog);
  for (int w = 0; w < 3; ++w)
    connect(views_[w], &ConfusionMatrixView::cellClicked, this, [this, w](int r, int c) { showCell(w, r, c); });
  auto open = [this](QListWidgetItem* item) {
    if (item) emit openUtterance(item->data(Qt::UserRole).toInt(), item->data(Qt::UserRole + 1).toInt());
  };
  connect(list_, &QListWidget::itemActivated, this, open);
  connect(list_, &QListWidget::itemClicked, this, open);
  connect(&state_, &StudioState::runsChanged, this, &ConfusionPanel::runsChanged);
  connect(&state_, &StudioState::corpusChanged, this, &ConfusionPanel::runsChanged);
  runsChanged();
}

void ConfusionPanel::setMode(Mode mode) {
  mode_ = mode;
  updating_ = true;
  modeBox_->setCurrentIndex(mode == Mode::Counts ? 0 : 1);
  updating_ = false;
  recompute();
}

void ConfusionPanel::setSplit(data::Split split) {
  split_ = split;
  updating_ = true;
  splitBox_->setCurrentIndex(split == data::Split::Test ? 0 : split == data::Split::Dev ? 1 : 2);
  updating_ = false;
  recompute();
}

void ConfusionPanel::setRuns(int a, int b) {
  runA_ = a;
  runB_ = b;
  updating_ = true;
  boxA_->setCurrentIndex(a);
  boxB_->setCurrentIndex(b);
  updating_ = false;
  recompute();
}

void ConfusionPanel::runsChanged() {
  const auto& runs = state_.runs();
  updating_ = true;
  boxA_->clear();
  boxB_->clear();
  for (const auto& r : runs) {
    const QString label = r->seeds.empty() ? r->name : tr("%1 (%2 seeds)").arg(r->name).arg(r->seeds.size() + 1);
    boxA_->addItem(label);
    boxB_->addItem(label);
  }
  // A: the baseline (a run without a gate), B: the primary run (ML-SAN).
  runA_ = runB_ = -1;
  const RunData* primary = state_.primaryRun();
  for (int i = 0; i < static_cast<int>(runs.size()); ++i) {
    if (runs[static_cast<std::size_t>(i)].get() == primary) runB_ = i;
    else if (runA_ < 0) runA_ = i;
  }
  if (runA_ < 0) runA_ = runB_;
  boxA_->setCurrentIndex(runA_);
  boxB_->setCurrentIndex(runB_);
  updating_ = false;
  recompute();
}

QString ConfusionPanel::message() const { return compared() == 0 ? summary_->text() : QString(); }

void ConfusionPanel::recompute() {
  rows_.clear();
  where_.clear();
  gold_.clear();
  predA_.clear();
  predB_.clear();
  comparison_.reset();
  list_->clear();
  listTitle_->setText(tr("Click a cell to list its utterances."));
  table_->clear();
  table_->setRowCount(0);
  table_->setColumnCount(0);
  const auto& runs = state_.runs();
  auto fail = [this](const QString& why) {
    for (auto* v : views_) v->clear(why);
    summary_->setText(why);
    export_->setEnabled(false);
  };
  if (!state_.hasCorpus()) return fail(tr("No corpus open."));
  if (runs.empty()) return fail(tr("No run loaded: open a run (File > Open run) to see its confusion matrix."));
  if (runA_ < 0 || runB_ < 0 || runA_ >= static_cast<int>(runs.size()) || runB_ >= static_cast<int>(runs.size()))
    return fail(tr("Choose two runs."));
  const data::Corpus& corpus = *state_.corpus();
  const RunData& a = *runs[static_cast<std::size_t>(runA_)];
  const RunData& b = *runs[static_cast<std::size_t>(runB_)];
  for (std::size_t di = 0; di < corpus.dialogues.size(); ++di) {
    const auto& d = corpus.dialogues[di];
    if (d.split != split_) continue;
    for (std::size_t u = 0; u < d.size(); ++u) {
      const std::size_t row = d.firstRow + u;
      if (d.utterances[u].label < 0 || !a.has(row) || !b.has(row)) continue;
      rows_.push_back(row);
      where_.emplace_back(static_cast<int>(di), static_cast<int>(u));
      gold_.push_back(d.utterances[u].label);
      predA_.push_back(a.prediction[row]);
      predB_.push_back(b.prediction[row]);
    }
  }
  if (gold_.empty()) return fail(tr("The runs have no labelled predictions in the %1 split in common.").arg(splitBox_->currentText()));
  export_->setEnabled(true);
  const int k = static_cast<int>(corpus.labels.labels.size());
  // Each side's runs (a run folder of seeds gives several) on the same utterances.
  auto sideOf = [this](const RunData& r) {
    std::vector<const RunData*> members{&r};
    for (const auto& s : r.seeds) members.push_back(s.get());
    std::vector<std::vector<int>> preds;
    for (const RunData* m : members) {
      std::vector<int> p(rows_.size(), -1);
      for (std::size_t i = 0; i < rows_.size(); ++i)
        if (m->has(rows_[i])) p[i] = m->prediction[rows_[i]];
      preds.push_back(std::move(p));
    }
    return preds;
  };
  comparison_ = analysis::compareWithSeeds(gold_, sideOf(a), sideOf(b), k, 1000, 1);
  const auto& cmp = comparison_->first;
  QStringList labels;
  for (const auto& l : corpus.labels.labels) labels << QString::fromStdString(l);
  const auto rateA = analysis::rowNormalised(cmp.a.confusion), rateB = analysis::rowNormalised(cmp.b.confusion);
  const bool counts = mode_ == Mode::Counts;
  views_[0]->setMatrix(tr("A: %1").arg(a.name), labels, counts ? toDouble(cmp.a.confusion) : rateA, rateA,
                       ConfusionMatrixView::Scale::Sequential, !counts);
  views_[1]->setMatrix(tr("B: %1").arg(b.name), labels, counts ? toDouble(cmp.b.confusion) : rateB, rateB,
                       ConfusionMatrixView::Scale::Sequential, !counts);
  // The difference is shaded by the change in row share, scaled to the largest change, and by
  // what it means: more on the diagonal or less off it is B doing better (blue), the reverse
  // is B doing worse (red).
  double maxAbs = 1e-9;
  for (const auto& row : cmp.differenceRates)
    for (double v : row) maxAbs = std::max(maxAbs, std::abs(v));
  std::vector<std::vector<double>> shade = cmp.differenceRates;
  for (std::size_t r = 0; r < shade.size(); ++r)
    for (std::size_t c = 0; c < shade[r].size(); ++c) shade[r][c] *= (r == c ? 1.0 : -1.0) / maxAbs;
  views_[2]->setMatrix(tr("B \u2212 A (blue: B better, red: B worse)"), labels, counts ? toDouble(cmp.differenceCounts) : cmp.differenceRates, shade,
                       ConfusionMatrixView::Scale::Diverging, !counts);

  const auto& sa = comparison_->a;
  const auto& sb = comparison_->b;
  const bool seeds = sa.seeds > 1 || sb.seeds > 1;

  QStringList head{tr("label"), tr("support"), tr("P A"), tr("P B"), tr("\u0394P"), tr("R A"), tr("R B"), tr("\u0394R"), tr("F1 A"),
                   tr("F1 B"), tr("\u0394F1")};
  table_->setColumnCount(head.size());
  table_->setHorizontalHeaderLabels(head);
  table_->setRowCount(k);
  for (int i = 0; i < k; ++i) {
    const std::size_t c = static_cast<std::size_t>(i);
    auto f1Text = [&](const analysis::ClassReport& r, const analysis::SeedSummary& s) {
      if (s.seeds > 1) return QString("%1\u00b1%2").arg(pct(s.f1[c].mean)).arg(pct(s.f1[c].std));
      return pct(r.f1[c]);
    };
    const QStringList cells{labels[i],
                            QString::number(cmp.a.support[c]),
                            pct(cmp.a.precision[c]),
                            pct(cmp.b.precision[c]),
                            signedPct(cmp.b.precision[c] - cmp.a.precision[c]),
                            pct(cmp.a.recall[c]),
                            pct(cmp.b.recall[c]),
                            signedPct(cmp.b.recall[c] - cmp.a.recall[c]),
                            f1Text(cmp.a, sa),
                            f1Text(cmp.b, sb),
                            signedPct(seeds ? sb.f1[c].mean - sa.f1[c].mean : cmp.b.f1[c] - cmp.a.f1[c])};
    for (int col = 0; col < cells.size(); ++col) {
      auto* item = new QTableWidgetItem(cells[col]);
      item->setTextAlignment(col == 0 ? Qt::AlignLeft | Qt::AlignVCenter : Qt::AlignRight | Qt::AlignVCenter);
      if (col == 4 || col == 7 || col == 10) {
        const double d = cells[col].toDouble();
        if (d > 0.05) item->setForeground(QColor(33, 102, 172));
        if (d < -0.05) item->setForeground(QColor(178, 24, 43));
      }
      table_->setItem(i, col, item);
    }
  }
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  table_->setMinimumHeight(table_->horizontalHeader()->sizeHint().height() + (k + 1) * table_->verticalHeader()->defaultSectionSize());

  QString text = tr("<b>Weighted F1</b> on %1 %2 utterances: A %3 [%4, %5] · B %6 [%7, %8] · B \u2212 A %9 [%10, %11] "
                    "(95% bootstrap, %12 resamples, paired) · McNemar p = %13 (%14 discordant)")
                     .arg(gold_.size())
                     .arg(splitBox_->currentText())
                     .arg(pct(cmp.a.weightedF1, 2), pct(cmp.ciA.low, 2), pct(cmp.ciA.high, 2))
                     .arg(pct(cmp.b.weightedF1, 2), pct(cmp.ciB.low, 2), pct(cmp.ciB.high, 2))
                     .arg(signedPct(cmp.b.weightedF1 - cmp.a.weightedF1, 2), signedPct(cmp.ciDelta.low, 2),
                          signedPct(cmp.ciDelta.high, 2))
                     .arg(cmp.ciA.resamples)
                     .arg(QString::number(cmp.mcnemar.pValue, 'g', 3))
                     .arg(cmp.mcnemar.df);
  if (seeds)
    text += tr("<br><b>Over seeds</b>: A %1 \u00b1 %2 (%3 runs) · B %4 \u00b1 %5 (%6 runs); the table's F1 columns are mean \u00b1 s.d.")
                .arg(pct(sa.weightedF1.mean, 2), pct(sa.weightedF1.std, 2))
                .arg(sa.seeds)
                .arg(pct(sb.weightedF1.mean, 2), pct(sb.weightedF1.std, 2))
                .arg(sb.seeds);
  if (seeds && comparison_->paired) {
    text += tr(" · paired t-test over seeds (B \u2212 A): p = %1").arg(QString::number(comparison_->pairedT.pValue, 'g', 3));
    const auto& d = comparison_->pairedDifference;
    if (std::isfinite(d.low))
      text += tr(" · B \u2212 A %1, 95% t-interval over seeds [%2, %3]").arg(signedPct(d.mean, 2), signedPct(d.low, 2), signedPct(d.high, 2));
    else
      text += tr(" · B \u2212 A %1 (no interval below 3 seeds)").arg(signedPct(d.mean, 2));
  }
  summary_->setText(text);
}

void ConfusionPanel::showCell(int which, int row, int column) {
  for (int w = 0; w < 3; ++w)
    if (w != which) views_[w]->setSelectedCell(row, column);
  list_->clear();
  if (gold_.empty() || !state_.hasCorpus()) return;
  const data::Corpus& corpus = *state_.corpus();
  const auto& runs = state_.runs();
  const QString nameA = runs[static_cast<std::size_t>(runA_)]->name, nameB = runs[static_cast<std::size_t>(runB_)]->name;
  const QString gold = QString::fromStdString(corpus.labels.labels[static_cast<std::size_t>(row)]);
  const QString pred = QString::fromStdString(corpus.labels.labels[static_cast<std::size_t>(column)]);
  int shown = 0;
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    if (gold_[i] != row) continue;
    const bool inA = predA_[i] == column, inB = predB_[i] == column;
    if ((which == 0 && !inA) || (which == 1 && !inB) || (which == 2 && inA == inB)) continue;
    const auto [d, u] = where_[i];
    const auto& dlg = corpus.dialogues[static_cast<std::size_t>(d)];
    const auto& utt = dlg.utterances[static_cast<std::size_t>(u)];
    QString where = dlg.season >= 0 ? QString("S%1E%2 ").arg(dlg.season, 2, 10, QChar('0')).arg(dlg.episode, 2, 10, QChar('0')) : QString();
    where += tr("dialogue %1, #%2").arg(QString::fromStdString(dlg.key)).arg(u + 1);
    QString text = QString::fromStdString(utt.transcript);
    if (text.size() > 90) text = text.left(87) + "\u2026";
    const QString speaker = QString::fromStdString(corpus.speakers[static_cast<std::size_t>(utt.speaker)]);
    const QString pa = QString::fromStdString(corpus.labels.labels[static_cast<std::size_t>(predA_[i])]);
    const QString pb = QString::fromStdString(corpus.labels.labels[static_cast<std::size_t>(predB_[i])]);
    auto* item = new QListWidgetItem(QString("%1 \u00b7 %2%3\n%4: %5, %6: %7")
                                         .arg(where, speaker, text.isEmpty() ? QString() : ": \u201c" + text + "\u201d", nameA, pa, nameB, pb));
    item->setData(Qt::UserRole, d);
    item->setData(Qt::UserRole + 1, u);
    list_->addItem(item);
    ++shown;
  }
  const QString what = which == 0   ? tr("%1 predicts %2").arg(nameA, pred)
                       : which == 1 ? tr("%1 predicts %2").arg(nameB, pred)
                                    : tr("one run predicts %1, the other does not").arg(pred);
  listTitle_->setText(tr("<b>%1</b> utterances with gold <b>%2</b> where %3. Click one to open it.").arg(shown).arg(gold, what));
}

QString ConfusionPanel::summaryText() const { return summary_->text(); }

QString ConfusionPanel::csvText() const {
  data::CsvWriter out;
  auto text = [&out](const QString& t) { out.text(t.toStdString()); };
  auto matrix = [&](const ConfusionMatrixView* v) {
    text(v->title() + " (" + (mode_ == Mode::Counts ? tr("counts") : tr("row shares")) + ")");
    out.endRow();
    text("true \\ predicted");
    for (int c = 0; c < v->size(); ++c) text(table_->item(c, 0)->text());
    out.endRow();
    for (int r = 0; r < v->size(); ++r) {
      text(table_->item(r, 0)->text());
      for (int c = 0; c < v->size(); ++c) out.number(v->value(r, c), 8);
      out.endRow();
    }
    out.endRow();
  };
  for (const ConfusionMatrixView* v : views_) matrix(v);
  for (int c = 0; c < table_->columnCount(); ++c) text(table_->horizontalHeaderItem(c)->text());
  out.endRow();
  for (int r = 0; r < table_->rowCount(); ++r) {
    for (int c = 0; c < table_->columnCount(); ++c) text(table_->item(r, c)->text());
    out.endRow();
  }
  QString summary = summary_->text();
  summary.replace("<br>", "\n").remove("<b>").remove("</b>");
  out.endRow();
  text(summary);
  out.endRow();
  return QString::fromStdString(out.str());
}

bool ConfusionPanel::exportTo(const QString& path, QString* error) {
  if (gold_.empty()) {
    if (error) *error = tr("Nothing to export: %1").arg(summary_->text());
    return false;
  }
  const QString ext = QFileInfo(path).suffix().toLower();
  QSaveFile file(path);  // atomic: written to a temporary, renamed on commit
  if (!file.open(QIODevice::WriteOnly)) {
    if (error) *error = tr("Cannot write %1: %2").arg(path, file.errorString());
    return false;
  }
  if (ext == "csv") {
    file.write(csvText().toUtf8());
  } else if (ext == "svg") {
    QSvgGenerator svg;
    svg.setOutputDevice(&file);
    svg.setSize(exportArea_->size());
    svg.setViewBox(QRect(QPoint(0, 0), exportArea_->size()));
    svg.setTitle(tr("Confusion matrices"));
    QPainter p(&svg);
    exportArea_->render(&p);
  } else if (ext == "png") {
    if (!exportArea_->grab().save(&file, "PNG")) {
      file.cancelWriting();
      if (error) *error = tr("Cannot encode %1 as PNG").arg(path);
      return false;
    }
  } else {
    file.cancelWriting();
    if (error) *error = tr("%1: export as .png, .svg or .csv").arg(path);
    return false;
  }
  if (!file.commit()) {
    if (error) *error = tr("Cannot write %1: %2").arg(path, file.errorString());
    return false;
  }
  return true;
}

void ConfusionPanel::exportDialog() {
  const QString path = QFileDialog::getSaveFileName(this, tr("Export confusion matrices"), "confusion.png",
                                                    tr("PNG image (*.png);;SVG drawing (*.svg);;CSV tables (*.csv)"));
  if (path.isEmpty()) return;
  QString error;
  if (!exportTo(path, &error)) QMessageBox::warning(this, tr("Export failed"), error);
}

}  // namespace mlsan::ui
