// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The studio's main window: it composes the panels as docks around the player, owns the shared
// StudioState, the menus and shortcuts, the status line, and the background work (opening a
// corpus or a run, training the demo models). It holds no analysis logic. GUI thread only.
#include <QMainWindow>
#include <QStringList>
#include <memory>

#include "mlsan/data/corpus.h"
#include "mlsan/model/reliance.h"

class QAction;
class QDockWidget;
class QLabel;
class QMenu;
class QProgressBar;
class QTabWidget;
class QToolButton;

namespace mlsan::ui {

class BrowserPanel;
class ConfusionPanel;
class EmbeddingPanel;
class CorpusLoader;
class DemoModelTrainer;
class GateTimeline;
class EpisodeRenderer;
class NewCorpusDialog;
class PlayerPanel;
class RunLoader;
class RelianceJob;
class SpeakerSummary;
class StudioState;
class TrainingPanel;
class UtterancePanel;
struct OpenedCorpus;

struct StudioOptions {
  QString corpus;              ///< corpus source to open ("" = the demo corpus)
  QStringList runs;            ///< run folders to load once the corpus is open
  bool trainDemoModels = true; ///< on the demo corpus with no runs given: train (or reuse) ML-SAN and MultiEMO
  bool measureReliance = true; ///< measure each loaded run's modality reliance in the background (stored in the run)
  int demoEpochs = 0;          ///< 0 = the demo preset's
  /// Draws of the reliance measured in the background (model::RelianceOptions::draws; the default
  /// is mlsan explain's): studioRelianceOptions() while this window lives.
  int relianceDraws = model::RelianceOptions::kDefaultDraws;
  bool useSettings = true;     ///< restore and save layout and recent lists (QSettings)
  QString cacheRoot;           ///< "" = data::defaultCacheDir() ($MLSAN_CACHE_DIR, else ~/.cache/mlsan-studio)
  QString runsRoot;            ///< the Training panel's runs folder ("" = ./runs)
  /// Show problems (a corpus that cannot be opened, a run that cannot be loaded) in a modal
  /// dialog as well as in the status line. Off for tests and for --screenshot/--bench runs
  /// without a screen, where nobody could close the dialog.
  bool errorDialogs = true;
};

/// Sorts paths given on the command line (or dropped on the desktop entry) into `options`: a
/// folder with a config.json, or one whose sub-folders have one (seeds), is a run; anything
/// else is the corpus (at most one). With runs but no corpus, the corpus becomes the one the
/// first run was trained on (its config.json). False with `error` naming the path and the
/// problem (missing, a second corpus, an unreadable config.json).
bool applyOpenArguments(const QStringList& paths, StudioOptions& options, QString* error);

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(const StudioOptions& options = {}, QWidget* parent = nullptr);
  ~MainWindow() override;

  StudioState& state() { return *state_; }
  BrowserPanel* browser() const { return browser_; }
  UtterancePanel* utterancePanel() const { return utterance_; }
  PlayerPanel* player() const { return player_; }
  GateTimeline* gateTimeline() const { return timeline_; }
  SpeakerSummary* speakerSummary() const { return summary_; }
  ConfusionPanel* confusionPanel() const { return confusion_; }
  EmbeddingPanel* embeddingPanel() const { return embedding_; }
  TrainingPanel* trainingPanel() const { return training_; }
  QTabWidget* centreTabs() const { return centre_; }
  QString statusText() const;
  bool busy() const;
  /// Rendering a demo episode in the background.
  bool renderingEpisode() const;
  /// Measuring a run's modality reliance in the background.
  bool measuringReliance() const;
  /// Training the demo models in the background.
  bool training() const;
  /// True when this start trains or loads the demo models (the demo corpus, no runs given).
  bool expectsDemoModels() const;
  /// The last error shown in a dialog (kept for tests and the log).
  const QString& lastError() const { return lastError_; }

  QAction* openDemoAction() const { return openDemo_; }
  QAction* nextAction() const { return next_; }
  QAction* previousAction() const { return previous_; }
  QAction* playAction() const { return play_; }

 public slots:
  /// Opens a corpus source (text form) in the background.
  void openCorpus(const QString& source);
  /// Loads a run folder in the background.
  void openRun(const QString& dir);
  void openCorpusDialog();
  /// File > New corpus from videos: the non-modal extraction dialog (returned for tests).
  NewCorpusDialog* newCorpusDialog();
  /// Opens a corpus `mlsan extract` wrote; with `train`, then trains ML-SAN and MultiEMO on it
  /// in the Training panel.
  void openExtractedCorpus(const QString& dir, bool train);
  /// Playback > Play the episode: the current utterance's episode in the player's episode mode
  /// (the demo's rendered and joined on first use; MELD's from a video file the user picks).
  void playEpisode();
  void openRunDialog();
  /// Selects an utterance (browser, player and every view follow) and shows the player.
  void openUtterance(int dialogue, int utterance);
  void resetLayout();
  void about();

 signals:
  /// The corpus finished opening (ok or not).
  void corpusOpened(bool ok);
  /// A run finished loading (ok or not).
  void runOpened(bool ok);

 protected:
  void closeEvent(QCloseEvent*) override;

 private:
  void buildMenus();
  void buildDocks();
  void corpusDone(const std::shared_ptr<OpenedCorpus>& result);
  void showError(const QString& title, const QString& message);
  void setStatus(const QString& text);
  void addRecent(const QString& key, const QString& value);
  void refreshRecentMenus();
  void updateTitle();

  StudioOptions options_;
  StudioState* state_ = nullptr;
  BrowserPanel* browser_ = nullptr;
  UtterancePanel* utterance_ = nullptr;
  PlayerPanel* player_ = nullptr;
  GateTimeline* timeline_ = nullptr;
  SpeakerSummary* summary_ = nullptr;
  ConfusionPanel* confusion_ = nullptr;
  EmbeddingPanel* embedding_ = nullptr;
  TrainingPanel* training_ = nullptr;
  QTabWidget* centre_ = nullptr;
  QDockWidget *browserDock_ = nullptr, *utteranceDock_ = nullptr, *timelineDock_ = nullptr, *summaryDock_ = nullptr;
  CorpusLoader* corpusLoader_ = nullptr;
  RunLoader* runLoader_ = nullptr;
  RelianceJob* relianceJob_ = nullptr;
  DemoModelTrainer* trainer_ = nullptr;
  EpisodeRenderer* episodes_ = nullptr;
  QLabel* status_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QToolButton* cancel_ = nullptr;
  QMenu *recentCorpora_ = nullptr, *recentRuns_ = nullptr;
  QAction *openDemo_ = nullptr, *next_ = nullptr, *previous_ = nullptr, *play_ = nullptr;
  QByteArray defaultState_;
  QStringList pendingRuns_;
  int runsLoading_ = 0;
  QString lastError_;
  bool trainingFailed_ = false;
  std::shared_ptr<const data::Corpus> trainAfterCancel_;  ///< demo models to train once the cancelled run stops
};

}  // namespace mlsan::ui
