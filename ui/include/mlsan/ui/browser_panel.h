// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The corpus browser: the Season > Episode > Dialogue > Utterance tree and its filters
// (speaker, gold emotion, predicted emotion, only misclassified, only where the two loaded
// models disagree, text search). Selecting an utterance makes it current; a new current
// utterance (from any view) is selected and scrolled to. GUI thread only.
#include <QWidget>
#include <memory>

#include "mlsan/ui/utterance_filter_proxy.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QTreeView;
class QTimer;

namespace mlsan::ui {

class CorpusTreeModel;
class StudioState;

class BrowserPanel : public QWidget {
  Q_OBJECT
 public:
  explicit BrowserPanel(StudioState& state, QWidget* parent = nullptr);
  ~BrowserPanel() override;

  QTreeView* tree() const { return tree_; }
  QComboBox* speakerBox() const { return speaker_; }
  QComboBox* goldBox() const { return gold_; }
  QComboBox* predictedBox() const { return predicted_; }
  QComboBox* interactionBox() const { return interaction_; }
  QCheckBox* misclassifiedBox() const { return misclassified_; }
  QCheckBox* disagreeBox() const { return disagree_; }
  QLineEdit* searchEdit() const { return search_; }
  /// "N of M utterances" under the tree.
  QString countText() const;

 private:
  void rebuild();          // new corpus
  void refreshRunControls();
  void applyFilter();      // controls -> state
  void refilter();         // state's filter -> proxy
  void selectCurrent();

  StudioState& state_;
  std::unique_ptr<CorpusTreeModel> model_;
  UtteranceFilterProxy* proxy_ = nullptr;
  QTreeView* tree_ = nullptr;
  QComboBox *speaker_ = nullptr, *gold_ = nullptr, *predicted_ = nullptr, *interaction_ = nullptr;
  QCheckBox *misclassified_ = nullptr, *disagree_ = nullptr;
  QLineEdit* search_ = nullptr;
  QLabel* count_ = nullptr;
  QTimer* searchDelay_ = nullptr;
  bool syncing_ = false;
};

}  // namespace mlsan::ui
