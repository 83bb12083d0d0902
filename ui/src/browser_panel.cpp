// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/browser_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QTimer>
#include <QTreeView>
#include <QVBoxLayout>

#include "mlsan/ui/corpus_tree_model.h"
#include "mlsan/ui/studio_state.h"
#include "mlsan/ui/view_timer.h"

namespace mlsan::ui {

BrowserPanel::BrowserPanel(StudioState& state, QWidget* parent) : QWidget(parent), state_(state) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  auto* form = new QFormLayout;
  form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  search_ = new QLineEdit;
  search_->setPlaceholderText(tr("Search transcripts and speakers"));
  search_->setClearButtonEnabled(true);
  search_->setObjectName("browserSearch");
  form->addRow(tr("Search"), search_);
  speaker_ = new QComboBox;
  speaker_->setObjectName("browserSpeaker");
  form->addRow(tr("Speaker"), speaker_);
  gold_ = new QComboBox;
  gold_->setObjectName("browserGold");
  form->addRow(tr("Gold"), gold_);
  predicted_ = new QComboBox;
  predicted_->setObjectName("browserPredicted");
  form->addRow(tr("Predicted"), predicted_);
  interaction_ = new QComboBox;
  interaction_->setObjectName("browserInteraction");
  interaction_->setToolTip(tr("How the measured modality reliance combines (model/README.md): one modality decides, they "
                              "decide together, or one pushes towards another class"));
  form->addRow(tr("Interaction"), interaction_);
  layout->addLayout(form);
  auto* checks = new QHBoxLayout;
  misclassified_ = new QCheckBox(tr("Misclassified"));
  misclassified_->setObjectName("browserMisclassified");
  disagree_ = new QCheckBox(tr("Models disagree"));
  disagree_->setObjectName("browserDisagree");
  checks->addWidget(misclassified_);
  checks->addWidget(disagree_);
  checks->addStretch();
  layout->addLayout(checks);

  proxy_ = new UtteranceFilterProxy(state_, this);
  tree_ = new QTreeView;
  tree_->setObjectName("browserTree");
  tree_->setModel(proxy_);
  tree_->setUniformRowHeights(true);
  tree_->setAlternatingRowColors(true);
  tree_->setSelectionMode(QAbstractItemView::SingleSelection);
  layout->addWidget(tree_, 1);
  connect(tree_->selectionModel(), &QItemSelectionModel::currentChanged, this, [this](const QModelIndex& current) {
    if (syncing_ || !current.isValid()) return;
    const auto kind = static_cast<CorpusTreeModel::NodeKind>(current.data(CorpusTreeModel::KindRole).toInt());
    const int d = current.data(CorpusTreeModel::DialogueRole).toInt();
    if (kind == CorpusTreeModel::NodeKind::Utterance) {
      state_.setCurrent(d, current.data(CorpusTreeModel::UtteranceRole).toInt());
    } else if (kind == CorpusTreeModel::NodeKind::Dialogue && d != state_.currentDialogue()) {
      // A dialogue: its first utterance that passes the filter (the tree stays on the dialogue).
      const int n = static_cast<int>(state_.corpus()->dialogues[static_cast<std::size_t>(d)].size());
      for (int u = 0; u < n; ++u)
        if (state_.accepts(d, u)) {
          syncing_ = true;
          state_.setCurrent(d, u);
          syncing_ = false;
          break;
        }
    }
  });
  count_ = new QLabel;
  count_->setObjectName("browserCount");
  layout->addWidget(count_);

  searchDelay_ = new QTimer(this);
  searchDelay_->setSingleShot(true);
  searchDelay_->setInterval(200);
  connect(searchDelay_, &QTimer::timeout, this, &BrowserPanel::applyFilter);
  connect(search_, &QLineEdit::textChanged, searchDelay_, qOverload<>(&QTimer::start));
  connect(search_, &QLineEdit::returnPressed, this, &BrowserPanel::applyFilter);
  for (QComboBox* box : {speaker_, gold_, predicted_, interaction_})
    connect(box, qOverload<int>(&QComboBox::currentIndexChanged), this, &BrowserPanel::applyFilter);
  for (QCheckBox* box : {misclassified_, disagree_}) connect(box, &QCheckBox::toggled, this, &BrowserPanel::applyFilter);

  connect(&state_, &StudioState::corpusChanged, this, &BrowserPanel::rebuild);
  connect(&state_, &StudioState::runsChanged, this, &BrowserPanel::refreshRunControls);
  connect(&state_, &StudioState::filterChanged, this, &BrowserPanel::refilter);
  connect(&state_, &StudioState::currentChanged, this, &BrowserPanel::selectCurrent);
  rebuild();
}

BrowserPanel::~BrowserPanel() {
  tree_->setModel(nullptr);
  proxy_->setSourceModel(nullptr);
}

void BrowserPanel::rebuild() {
  syncing_ = true;
  proxy_->setSourceModel(nullptr);
  model_.reset();
  speaker_->clear();
  gold_->clear();
  if (state_.hasCorpus()) {
    model_ = std::make_unique<CorpusTreeModel>(state_.corpus());
    proxy_->setSourceModel(model_.get());
    const auto& c = *state_.corpus();
    speaker_->addItem(tr("any"), -1);
    for (std::size_t s = 0; s < c.speakers.size(); ++s) speaker_->addItem(QString::fromStdString(c.speakers[s]), static_cast<int>(s));
    gold_->addItem(tr("any"), -1);
    for (int l = 0; l < c.labels.size(); ++l) gold_->addItem(QString::fromStdString(c.labels.labels[static_cast<std::size_t>(l)]), l);
    // Fixed starting widths from the font (resizing to contents would measure every row);
    // the user can drag them, and the tree scrolls sideways when they do not fit.
    const QFontMetrics fm = tree_->fontMetrics();
    tree_->header()->setStretchLastSection(false);
    tree_->header()->setSectionResizeMode(QHeaderView::Interactive);
    tree_->setColumnWidth(CorpusTreeModel::Name, fm.horizontalAdvance(QStringLiteral("Dialogue 1234 (train, 24 utterances)")) + 64);
    tree_->setColumnWidth(CorpusTreeModel::Speaker, fm.horizontalAdvance(QStringLiteral("Rachel Green")) + 12);
    tree_->setColumnWidth(CorpusTreeModel::Emotion, fm.horizontalAdvance(QStringLiteral("frustration")) + 12);
    tree_->setColumnWidth(CorpusTreeModel::Time, fm.horizontalAdvance(QStringLiteral("0:00:00.0 - 0:00:00.0")) + 12);
  }
  search_->clear();
  misclassified_->setChecked(false);
  disagree_->setChecked(false);
  syncing_ = false;
  refreshRunControls();
  refilter();
}

void BrowserPanel::refreshRunControls() {
  syncing_ = true;
  const int keep = predicted_->currentData().isValid() ? predicted_->currentData().toInt() : -1;
  predicted_->clear();
  const RunData* primary = state_.primaryRun();
  const bool haveRun = state_.hasCorpus() && primary;
  predicted_->addItem(haveRun ? tr("any (%1)").arg(primary->name) : tr("any (no run loaded)"), -1);
  if (haveRun)
    for (int l = 0; l < state_.corpus()->labels.size(); ++l)
      predicted_->addItem(QString::fromStdString(state_.corpus()->labels.labels[static_cast<std::size_t>(l)]), l);
  predicted_->setCurrentIndex(std::max(0, predicted_->findData(keep)));
  predicted_->setEnabled(haveRun);
  misclassified_->setEnabled(haveRun);
  if (!haveRun) misclassified_->setChecked(false);
  const bool two = state_.runs().size() >= 2;
  const int keepInteraction = interaction_->currentData().isValid() ? interaction_->currentData().toInt() : -1;
  interaction_->clear();
  const RunData* rel = state_.hasCorpus() ? state_.relianceRun() : nullptr;
  interaction_->addItem(rel ? tr("any (%1's reliance)").arg(rel->name) : tr("any (reliance not measured)"), -1);
  if (rel) {
    interaction_->addItem(tr("text dominates"), UtteranceFilter::kDominanceText);
    interaction_->addItem(tr("audio dominates"), UtteranceFilter::kDominanceAudio);
    interaction_->addItem(tr("visual dominates"), UtteranceFilter::kDominanceVisual);
    interaction_->addItem(tr("complement"), UtteranceFilter::kComplement);
    interaction_->addItem(tr("conflict"), UtteranceFilter::kConflict);
    interaction_->addItem(tr("additive"), UtteranceFilter::kAdditive);
    interaction_->addItem(tr("weak (barely moved)"), UtteranceFilter::kWeak);
  }
  interaction_->setCurrentIndex(std::max(0, interaction_->findData(keepInteraction)));
  interaction_->setEnabled(rel != nullptr);
  disagree_->setEnabled(two);
  disagree_->setToolTip(two ? tr("Only utterances where %1 and %2 predict differently").arg(state_.runs()[0]->name, state_.runs()[1]->name)
                            : tr("Load two runs to compare their predictions"));
  if (!two) disagree_->setChecked(false);
  syncing_ = false;
  applyFilter();  // controls reset above must reach the state's filter
}

void BrowserPanel::applyFilter() {
  if (syncing_) return;
  UtteranceFilter f;
  f.speaker = speaker_->currentData().isValid() ? speaker_->currentData().toInt() : -1;
  f.gold = gold_->currentData().isValid() ? gold_->currentData().toInt() : -1;
  f.predicted = predicted_->currentData().isValid() ? predicted_->currentData().toInt() : -1;
  f.misclassified = misclassified_->isChecked();
  f.disagree = disagree_->isChecked();
  f.interaction = interaction_->currentData().isValid() ? interaction_->currentData().toInt() : -1;
  f.text = search_->text().trimmed();
  state_.setFilter(f);
}

void BrowserPanel::refilter() {
  // Hiding the current row makes the view move its current index; that is not the user
  // choosing another utterance.
  syncing_ = true;
  proxy_->refresh();
  syncing_ = false;
  if (!state_.filter().isEmpty()) tree_->expandToDepth(2);
  const std::size_t total = state_.hasCorpus() ? state_.corpus()->numUtterances() : 0;
  const std::size_t shown = state_.filter().isEmpty() ? total : state_.filteredRows().size();
  count_->setText(state_.hasCorpus() ? tr("%1 of %2 utterances").arg(shown).arg(total) : tr("No corpus open"));
  selectCurrent();
}

QString BrowserPanel::countText() const { return count_->text(); }

void BrowserPanel::selectCurrent() {
  ViewTimer timing("browser");
  if (syncing_ || !model_ || state_.currentDialogue() < 0) return;
  const QModelIndex src = model_->utteranceIndex(state_.currentDialogue(), state_.currentUtterance());
  const QModelIndex idx = proxy_->mapFromSource(src);
  if (!idx.isValid()) return;
  syncing_ = true;
  tree_->setCurrentIndex(idx);
  tree_->scrollTo(idx);
  syncing_ = false;
}

}  // namespace mlsan::ui
