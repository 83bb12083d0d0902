// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/embedding_panel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QShowEvent>
#include <QStackedWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>

#include "mlsan/ui/embedding_view_3d.h"
#include "mlsan/ui/emotion_colors.h"
#include "mlsan/ui/speaker_colors.h"
#include "mlsan/ui/studio_state.h"

namespace mlsan::ui {
namespace {
/// The right-hand map of each item of the feature box (the left-hand map is the stage before it).
const model::FeatureKind kKinds[] = {model::FeatureKind::AudioFilm, model::FeatureKind::AudioGated, model::FeatureKind::VisualFilm,
                                     model::FeatureKind::VisualGated, model::FeatureKind::Fused};
constexpr int kKindCount = 5;
constexpr int kNumberRows = 9;
const int kPoints[] = {500, 1500, 3000, 0};
}  // namespace

EmbeddingPanel::EmbeddingPanel(StudioState& state, QWidget* parent) : QWidget(parent), state_(state) {
  job_ = new EmbeddingJob(this);
  runBox_ = new QComboBox;
  featureBox_ = new QComboBox;
  featureBox_->addItems({tr("Audio: raw vs after FiLM"), tr("Audio: after projection vs after the gate"), tr("Visual: raw vs after FiLM"),
                         tr("Visual: after projection vs after the gate"), tr("Fused representation")});
  featureBox_->setToolTip(tr("Which stage of the model the two maps show. The numbers below cover every stage of the modality."));
  colourBox_ = new QComboBox;
  colourBox_->addItems({tr("Colour by speaker"), tr("Colour by emotion")});
  pointsBox_ = new QComboBox;
  pointsBox_->addItems({tr("500 points"), tr("1,500 points"), tr("3,000 points"), tr("All points")});
  pointsBox_->setCurrentIndex(1);
  splitBox_ = new QComboBox;
  splitBox_->addItems({tr("test"), tr("dev"), tr("train")});
  dimsBox_ = new QComboBox;
  dimsBox_->addItems({tr("2-D"), tr("3-D")});
  compute_ = new QPushButton(tr("Compute"));
  compute_->setObjectName("embeddingCompute");
  cancel_ = new QPushButton(tr("Cancel"));
  cancel_->setEnabled(false);
  progress_ = new QProgressBar;
  progress_->setRange(0, 100);
  progress_->setMaximumWidth(160);
  progress_->setVisible(false);
  stage_ = new QLabel;
  auto* top = new QHBoxLayout;
  top->addWidget(runBox_, 1);
  top->addWidget(featureBox_, 2);
  top->addWidget(colourBox_);
  top->addWidget(pointsBox_);
  top->addWidget(splitBox_);
  top->addWidget(dimsBox_);
  top->addWidget(compute_);
  top->addWidget(cancel_);
  top->addWidget(progress_);

  auto* mapsRow = new QHBoxLayout;
  for (int s = 0; s < 2; ++s) {
    maps_[s] = new EmbeddingMapView;
    views3d_[s] = new EmbeddingView3D;
    sides_[s] = new QStackedWidget;
    sides_[s]->addWidget(maps_[s]);
    sides_[s]->addWidget(views3d_[s]);
    mapsRow->addWidget(sides_[s], 1);
    connect(maps_[s], &EmbeddingMapView::pointClicked, this, &EmbeddingPanel::openUtterance);
    connect(views3d_[s], &EmbeddingView3D::pointClicked, this, &EmbeddingPanel::openUtterance);
  }
  legend_ = new QLabel;
  legend_->setWordWrap(true);
  legend_->setTextFormat(Qt::RichText);
  numbers_ = new QTableWidget(kNumberRows, 4);
  numbers_->setObjectName("embeddingNumbers");
  numbers_->setVerticalHeaderLabels({tr("speaker silhouette"), tr("emotion silhouette"), tr("speaker probe accuracy"), tr("probe chance level"),
                                     tr("speaker probe within emotion"), tr("chance within emotion"),
                                     tr("emotion probe, unseen speakers"), tr("emotion probe, seen speakers"), tr("emotion chance")});
  numbers_->verticalHeaderItem(2)->setToolTip(tr("A linear probe of the speaker, 5-fold cross-validated with folds grouped by dialogue "
                                                 "(one dialogue's utterances never on both sides of a split)."));
  numbers_->verticalHeaderItem(4)->setToolTip(tr("The probe trained and tested among one emotion's utterances at a time "
                                                 "(row-weighted over the emotions): speaker identity beyond what the emotion gives away."));
  numbers_->verticalHeaderItem(5)->setToolTip(tr("Each emotion's most frequent speaker: how often the emotion alone names the speaker."));
  numbers_->verticalHeaderItem(6)->setToolTip(tr("Emotion transfer across speakers (the paper's Fig. 5 claim): a linear emotion probe "
                                                 "trained on some speakers and tested on speakers it never saw (folds grouped by speaker)."));
  numbers_->verticalHeaderItem(7)->setToolTip(tr("The same emotion probe tested on speakers it was trained on (folds grouped by dialogue). "
                                                 "Well above the unseen-speaker row: each speaker shows emotion in a way of their own."));
  numbers_->verticalHeaderItem(8)->setToolTip(tr("The most frequent emotion's share: what an emotion probe learns from nothing."));
  numbers_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  numbers_->setSelectionMode(QAbstractItemView::NoSelection);
  numbers_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  numbers_->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  numbers_->setMaximumHeight(numbers_->horizontalHeader()->sizeHint().height() + kNumberRows * (numbers_->fontMetrics().height() + 10) + 4);
  verdict_ = new QLabel;
  verdict_->setWordWrap(true);
  verdict_->setTextFormat(Qt::RichText);
  verdict_->setObjectName("embeddingVerdict");
  verdict_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
  auto* bottom = new QHBoxLayout;
  auto* left = new QVBoxLayout;
  left->addWidget(legend_);
  left->addWidget(stage_);
  left->addStretch();
  bottom->addLayout(left, 2);
  bottom->addWidget(numbers_, 3);
  // Maps above, numbers and words below, with a handle between them; the words scroll.
  auto* mapsArea = new QWidget;
  mapsArea->setLayout(mapsRow);
  mapsRow->setContentsMargins(0, 0, 0, 0);
  auto* words = new QScrollArea;
  words->setWidget(verdict_);
  words->setWidgetResizable(true);
  words->setFrameShape(QFrame::NoFrame);
  auto* details = new QWidget;
  auto* detailsLayout = new QVBoxLayout(details);
  detailsLayout->setContentsMargins(0, 0, 0, 0);
  detailsLayout->addLayout(bottom);
  detailsLayout->addWidget(words, 1);
  auto* split = new QSplitter(Qt::Vertical);
  split->addWidget(mapsArea);
  split->addWidget(details);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);
  split->setChildrenCollapsible(false);
  mapsArea->setMinimumHeight(220);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(top);
  layout->addWidget(split, 1);

  connect(compute_, &QPushButton::clicked, this, &EmbeddingPanel::compute);
  connect(cancel_, &QPushButton::clicked, this, &EmbeddingPanel::cancel);
  connect(colourBox_, &QComboBox::currentIndexChanged, this, [this](int i) {
    if (!updating_) setColourBy(i == 0 ? EmbeddingMapView::ColourBy::Speaker : EmbeddingMapView::ColourBy::Emotion);
  });
  connect(dimsBox_, &QComboBox::currentIndexChanged, this, [this](int i) {
    if (!updating_) setDims(i + 2);
  });
  connect(job_, &EmbeddingJob::progress, this, [this](const QString& stage, int percent) {
    progress_->setValue(percent);
    stage_->setText(stage + QString::fromUtf8("\u2026"));
  });
  connect(job_, &EmbeddingJob::partial, this, [this](int side, std::shared_ptr<const EmbeddingMap> map) {
    ++partials_;
    showMap(side, map);
  });
  connect(job_, &EmbeddingJob::finished, this, [this](std::shared_ptr<const EmbeddingResult> r) {
    cache_.push_back(r);
    if (cache_.size() > 8) cache_.erase(cache_.begin());
    showResult(r);
    emit computed(true);
  });
  connect(job_, &EmbeddingJob::failed, this, [this](const QString& error) {
    progress_->setVisible(false);
    compute_->setEnabled(true);
    cancel_->setEnabled(false);
    stage_->setText(tr("<span style='color:#b2182b'>Failed: %1</span>").arg(error.toHtmlEscaped()));
    emit computed(false);
  });
  connect(job_, &EmbeddingJob::cancelled, this, [this] {
    progress_->setVisible(false);
    compute_->setEnabled(true);
    cancel_->setEnabled(false);
    stage_->setText(tr("Cancelled; the maps show the last partial layouts."));
  });
  connect(&state_, &StudioState::runsChanged, this, &EmbeddingPanel::runsChanged);
  connect(&state_, &StudioState::corpusChanged, this, &EmbeddingPanel::runsChanged);
  runsChanged();
}

EmbeddingPanel::~EmbeddingPanel() { job_->cancel(); }

bool EmbeddingPanel::busy() const { return job_->busy(); }

void EmbeddingPanel::runsChanged() {
  updating_ = true;
  runBox_->clear();
  int primary = -1;
  const auto& runs = state_.runs();
  for (std::size_t i = 0; i < runs.size(); ++i) {
    runBox_->addItem(runs[i]->name, runs[i]->dir);
    if (runs[i].get() == state_.primaryRun()) primary = static_cast<int>(i);
  }
  runBox_->setCurrentIndex(primary);
  updating_ = false;
  if (job_->busy()) job_->cancel();
  result_.reset();
  shown_[0].reset();
  shown_[1].reset();
  for (int s = 0; s < 2; ++s) {
    maps_[s]->clear(runs.empty() ? tr("No run loaded: open a run to map its features.") : tr("Press Compute to map the features."));
    views3d_[s]->clear(tr("Press Compute to map the features."));
  }
  numbers_->clearContents();
  verdict_->clear();
  legend_->clear();
  if (!runs.empty() && isVisible()) compute();
}

void EmbeddingPanel::showEvent(QShowEvent* e) {
  QWidget::showEvent(e);
  if (!shownOnce_ && !result_ && !job_->busy() && !state_.runs().empty()) compute();
  shownOnce_ = true;
}

void EmbeddingPanel::setFeatures(model::FeatureKind kind) {
  for (int i = 0; i < kKindCount; ++i)
    if (kKinds[i] == kind || model::previousStage(kKinds[i]) == kind) featureBox_->setCurrentIndex(i);
}

void EmbeddingPanel::setColourBy(EmbeddingMapView::ColourBy by) {
  updating_ = true;
  colourBox_->setCurrentIndex(by == EmbeddingMapView::ColourBy::Speaker ? 0 : 1);
  updating_ = false;
  for (int s = 0; s < 2; ++s)
    if (shown_[s]) showMap(s, shown_[s]);
  updateLegend();
}

void EmbeddingPanel::setDims(int dims) {
  updating_ = true;
  dimsBox_->setCurrentIndex(dims == 3 ? 1 : 0);
  updating_ = false;
  for (int s = 0; s < 2; ++s) sides_[s]->setCurrentIndex(dims == 3 ? 1 : 0);
  if (result_ && result_->request.dims != dims) compute();
}

void EmbeddingPanel::setMaxPoints(int points) {
  for (int i = 0; i < 4; ++i)
    if (kPoints[i] == points) pointsBox_->setCurrentIndex(i);
}

EmbeddingRequest EmbeddingPanel::request() const {
  EmbeddingRequest r;
  r.runDir = runBox_->currentData().toString();
  r.corpus = state_.corpus();
  r.kind = kKinds[std::max(0, featureBox_->currentIndex())];
  r.split = splitBox_->currentIndex() == 0 ? data::Split::Test : splitBox_->currentIndex() == 1 ? data::Split::Dev : data::Split::Train;
  r.maxPoints = kPoints[std::max(0, pointsBox_->currentIndex())];
  r.dims = dimsBox_->currentIndex() + 2;
  r.iterations = iterations_;
  return r;
}

void EmbeddingPanel::compute() {
  const EmbeddingRequest r = request();
  if (r.runDir.isEmpty() || !r.corpus) return;
  for (int s = 0; s < 2; ++s) sides_[s]->setCurrentIndex(r.dims == 3 ? 1 : 0);
  for (const auto& c : cache_)
    if (c->request == r) {
      showResult(c);
      emit computed(true);
      return;
    }
  partials_ = 0;
  result_.reset();
  shown_[0].reset();
  shown_[1].reset();
  numbers_->clearContents();
  verdict_->clear();
  if (model::previousStage(r.kind) == r.kind) {
    maps_[0]->clear(tr("The fused representation has no uncalibrated form: its map is on the right."));
    views3d_[0]->clear(tr("The fused representation has no uncalibrated form: its map is on the right."));
  }
  compute_->setEnabled(false);
  cancel_->setEnabled(true);
  progress_->setValue(0);
  progress_->setVisible(true);
  job_->start(r);
}

void EmbeddingPanel::cancel() { job_->cancel(); }

QString EmbeddingPanel::title(int side, const EmbeddingMap& map) const {
  QString t = QString::fromUtf8(model::featureKindLabel(map.kind, !result_ || result_->gate));
  if (!map.final) t += tr(" \u2014 t-SNE %1/%2").arg(map.iteration).arg(map.iterations);
  else t += tr(" \u2014 %1 points, KL %2").arg(map.rows()).arg(map.klDivergence, 0, 'f', 3);
  (void)side;
  return t;
}

void EmbeddingPanel::showMap(int side, const std::shared_ptr<const EmbeddingMap>& map) {
  shown_[side] = map;
  const auto by = colourBox_->currentIndex() == 0 ? EmbeddingMapView::ColourBy::Speaker : EmbeddingMapView::ColourBy::Emotion;
  if (map->dims == 3) views3d_[side]->setMap(map, state_.corpus(), by, title(side, *map));
  else maps_[side]->setMap(map, state_.corpus(), by, title(side, *map));
  if (legend_->text().isEmpty() || side == 1) updateLegend();
}

void EmbeddingPanel::showResult(const std::shared_ptr<const EmbeddingResult>& r) {
  result_ = r;
  progress_->setVisible(false);
  compute_->setEnabled(true);
  cancel_->setEnabled(false);
  if (r->maps.size() == 1) {
    maps_[0]->clear(tr("The fused representation has no uncalibrated form: its map is on the right."));
    views3d_[0]->clear(tr("The fused representation has no uncalibrated form: its map is on the right."));
    showMap(1, r->maps[0]);
  } else {
    showMap(0, r->maps[0]);
    showMap(1, r->maps[1]);
  }
  stage_->setText(tr("Computed in %1 s (inference, t-SNE and the numbers).").arg(r->seconds, 0, 'f', 1));
  updateNumbers();
}

void EmbeddingPanel::updateLegend() {
  const auto corpus = state_.corpus();
  const auto& map = shown_[1] ? shown_[1] : shown_[0];
  if (!corpus || !map) {
    legend_->clear();
    return;
  }
  const bool bySpeaker = colourBox_->currentIndex() == 0;
  std::vector<int> count(bySpeaker ? corpus->speakers.size() : corpus->labels.labels.size(), 0);
  for (std::size_t i = 0; i < map->rows(); ++i) ++count[static_cast<std::size_t>(bySpeaker ? map->speaker[i] : map->emotion[i])];
  QString html = bySpeaker ? tr("<b>Speakers</b> (both maps): ") : tr("<b>Emotions</b> (both maps): ");
  for (std::size_t g = 0; g < count.size(); ++g) {
    if (count[g] == 0) continue;
    const QString name = QString::fromStdString(bySpeaker ? corpus->speakers[g] : corpus->labels.labels[g]);
    const QColor c = bySpeaker ? speakerColor(static_cast<int>(g), static_cast<int>(corpus->speakers.size())) : emotionColor(name, static_cast<int>(g));
    html += QString("<span style='color:%1'>\u25cf</span>&nbsp;%2&nbsp;(%3) &nbsp; ").arg(c.name(), name.toHtmlEscaped()).arg(count[g]);
  }
  legend_->setText(html);
}

QString EmbeddingPanel::legendText() const { return legend_->text(); }
QString EmbeddingPanel::verdict() const { return verdict_->text(); }

void EmbeddingPanel::updateNumbers() {
  numbers_->clearContents();
  verdict_->clear();
  if (!result_ || result_->stages.empty()) return;
  const auto& stages = result_->stages;
  numbers_->setColumnCount(static_cast<int>(stages.size()));
  for (int c = 0; c < static_cast<int>(stages.size()); ++c) {
    const auto& st = stages[static_cast<std::size_t>(c)];
    // Short names (the modality is in the box; the sentences below use the full ones).
    using K = model::FeatureKind;
    const QString name = st.kind == K::AudioRaw || st.kind == K::VisualRaw       ? tr("raw")
                         : st.kind == K::AudioFilm || st.kind == K::VisualFilm   ? tr("FiLM")
                         : st.kind == K::AudioProj || st.kind == K::VisualProj   ? tr("projected")
                         : st.kind == K::AudioGated || st.kind == K::VisualGated ? (result_->gate ? tr("gated") : tr("context"))
                                                                                 : tr("fused");
    auto* header = new QTableWidgetItem(st.mapped ? QString::fromUtf8("\u25cf ") + name : name);
    header->setToolTip(QString::fromUtf8(model::featureKindLabel(st.kind, result_->gate)) + "\n" +
                       (st.mapped ? tr("Shown on a map (\u25cf)") : tr("Measured on the same utterances; not mapped")));
    numbers_->setHorizontalHeaderItem(c, header);
  }
  auto set = [this](int r, int c, const QString& text) {
    auto* item = new QTableWidgetItem(text);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    numbers_->setItem(r, c, item);
  };
  for (int c = 0; c < static_cast<int>(stages.size()); ++c) {
    const auto& n = stages[static_cast<std::size_t>(c)].numbers;
    const auto& t = n.emotionAcrossSpeakers;
    const double v[kNumberRows] = {n.silhouetteSpeaker,        n.silhouetteEmotion,          n.speakerProbe.accuracy,
                                   n.speakerProbe.chance,      n.speakerWithinEmotion.accuracy, n.speakerWithinEmotion.chance,
                                   t.acrossSpeakers,           t.withinSpeakers,             t.chance};
    for (int r = 0; r < kNumberRows; ++r) {
      const bool percent = r >= 2;
      set(r, c, !n.error.empty() || std::isnan(v[r]) ? QString("\u2014")
                : percent                           ? QString::number(100 * v[r], 'f', 1) + "%"
                                                    : QString::number(v[r], 'f', 3));
    }
  }
  numbers_->resizeRowsToContents();
  const int tableHeight = numbers_->horizontalHeader()->sizeHint().height() + numbers_->verticalHeader()->length() + 2 * numbers_->frameWidth();
  numbers_->setMaximumHeight(tableHeight);
  numbers_->setMinimumHeight(tableHeight);
  // A sentence per representation (the same as `mlsan disentangle`'s), each against the stage
  // before it in the model.
  QString html;
  for (std::size_t c = 0; c < stages.size(); ++c) {
    const auto& st = stages[c];
    const analysis::DisentangleNumbers* previous = c > 0 ? &stages[c - 1].numbers : nullptr;
    const std::string words = analysis::describeDisentanglement(model::featureKindLabel(st.kind, result_->gate), st.numbers,
                                                                c > 0 ? model::featureKindLabel(stages[c - 1].kind, result_->gate) : "", previous);
    const QString w = QString::fromStdString(words);
    const int colon = w.indexOf(": ");
    html += "<p style='margin:2px 0'>" + (colon > 0 ? "<b>" + w.left(colon).toHtmlEscaped() + "</b>" + w.mid(colon).toHtmlEscaped() : w.toHtmlEscaped()) + "</p>";
  }
  QStringList notes;
  if (stages.size() > 1 && !result_->film) notes << tr("This run has no FiLM: \u201cafter FiLM\u201d is the raw input again.");
  if (stages.size() > 1 && !result_->gate) notes << tr("This run has no gate: the last column is the context features the fusion reads.");
  notes << tr("Measured on the features themselves (%1 utterances), not on the maps; probes cross-validated over 5 folds grouped by "
              "dialogue (by speaker for unseen speakers); \u201cdecodable\u201d means at least %2 points above chance.")
               .arg(stages.back().numbers.samples)
               .arg(analysis::kSpeakerLiftPoints, 0, 'f', 0);
  html += "<p style='margin:2px 0; color:#555'>" + notes.join(' ').toHtmlEscaped() + "</p>";
  verdict_->setText(html);
}

}  // namespace mlsan::ui
