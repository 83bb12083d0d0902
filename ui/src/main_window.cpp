// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/main_window.h"
#include "mlsan/ui/training_panel.h"

#include <QAction>
#include <QCheckBox>
#include <QApplication>
#include <QCloseEvent>
#include <QDialog>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QFileDialog>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolButton>

#include "mlsan/ui/confusion_panel.h"
#include "mlsan/ui/corpus_loader.h"
#include "mlsan/ui/embedding_panel.h"
#include "mlsan/ui/demo_model_trainer.h"
#include "mlsan/ui/reliance_job.h"
#include "mlsan/ui/run_loader.h"
#include "mlsan/ui/browser_panel.h"
#include "mlsan/ui/demo_clips.h"
#include "mlsan/ui/gate_timeline.h"
#include "mlsan/ui/episode_renderer.h"
#include "mlsan/ui/new_corpus_dialog.h"
#include "mlsan/data/episodes.h"
#include "mlsan/ui/open_corpus_dialog.h"
#include "mlsan/ui/player_panel.h"
#include "mlsan/ui/speaker_summary.h"
#include "mlsan/ui/studio_state.h"
#include "mlsan/ui/utterance_panel.h"
#include "mlsan/model/run.h"

#ifndef MLSAN_VERSION
#define MLSAN_VERSION "dev"
#endif

namespace mlsan::ui {
namespace {

constexpr int kMaxRecent = 8;

/// The run folder itself, or its first sub-folder that is a run (a folder of seeds); "" if neither.
QString firstRunIn(const QString& path) {
  const auto runs = model::runFoldersIn(path.toStdString());
  return runs.empty() ? QString() : QFileInfo(QString::fromStdString(runs.front())).absoluteFilePath();
}
}  // namespace

bool applyOpenArguments(const QStringList& paths, StudioOptions& options, QString* error) {
  auto fail = [error](const QString& message) {
    if (error) *error = message;
    return false;
  };
  for (const QString& path : paths) {
    if (!QFileInfo::exists(path)) return fail(QStringLiteral("%1: no such file or folder").arg(path));
    if (!firstRunIn(path).isEmpty()) {
      options.runs << path;
    } else if (!options.corpus.isEmpty()) {
      return fail(QStringLiteral("%1: a second corpus (%2 is already the corpus; give one corpus and any number of runs)")
                      .arg(path, options.corpus));
    } else {
      options.corpus = path;
    }
  }
  if (options.runs.isEmpty() || !options.corpus.isEmpty()) return true;
  try {
    options.corpus = QString::fromStdString(model::runCorpusSource(firstRunIn(options.runs.first()).toStdString()));
  } catch (const std::exception& e) {
    return fail(QString::fromUtf8(e.what()) + QStringLiteral("; give the corpus too"));
  }
  return true;
}

MainWindow::MainWindow(const StudioOptions& options, QWidget* parent) : QMainWindow(parent), options_(options) {
  setObjectName("mlsanStudio");
  state_ = new StudioState(this);
  corpusLoader_ = new CorpusLoader(this);
  runLoader_ = new RunLoader(this);
  setStudioRelianceDraws(options_.relianceDraws);
  relianceJob_ = new RelianceJob(this);
  episodes_ = new EpisodeRenderer(this);
  trainer_ = new DemoModelTrainer(this, options_.cacheRoot.isEmpty() ? QString() : options_.cacheRoot + "/demo-runs");
  resize(1400, 900);
  setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);

  // The centre: the player, and the analysis views as tabs beside it.
  player_ = new PlayerPanel(*state_);
  confusion_ = new ConfusionPanel(*state_);
  confusion_->setObjectName("confusionPanel");
  centre_ = new QTabWidget;
  centre_->setObjectName("centreTabs");
  centre_->setDocumentMode(true);
  centre_->addTab(player_, tr("Player"));
  centre_->addTab(confusion_, tr("Confusion matrices"));
  embedding_ = new EmbeddingPanel(*state_);
  embedding_->setObjectName("embeddingPanel");
  centre_->addTab(embedding_, tr("Embeddings"));
  connect(embedding_, &EmbeddingPanel::openUtterance, this, &MainWindow::openUtterance);
  training_ = new TrainingPanel(*state_, nullptr, options_.runsRoot);
  centre_->addTab(training_, tr("Training"));
  connect(training_, &TrainingPanel::openRunRequested, this, &MainWindow::openRun);
  setCentralWidget(centre_);
  connect(confusion_, &ConfusionPanel::openUtterance, this, &MainWindow::openUtterance);
  buildDocks();
  buildMenus();

  status_ = new QLabel;
  status_->setObjectName("statusText");
  progress_ = new QProgressBar;
  progress_->setMaximumWidth(220);
  progress_->setVisible(false);
  cancel_ = new QToolButton;
  cancel_->setText(tr("Cancel"));
  cancel_->setVisible(false);
  statusBar()->addWidget(status_, 1);
  statusBar()->addPermanentWidget(progress_);
  statusBar()->addPermanentWidget(cancel_);
  connect(cancel_, &QToolButton::clicked, this, [this] {
    if (episodes_->busy()) {
      episodes_->cancel();
      return;
    }
    trainer_->cancel();
    setStatus(tr("Cancelling training at the next batch\u2026"));
  });

  connect(corpusLoader_, &CorpusLoader::done, this, &MainWindow::corpusDone);
  connect(episodes_, &EpisodeRenderer::progress, this, [this](int done, int total) {
    progress_->setVisible(true);
    cancel_->setVisible(true);
    progress_->setRange(0, std::max(1, total));
    progress_->setValue(done);
  });
  connect(episodes_, &EpisodeRenderer::finished, this, [this](const data::Episode& e, const QString& video, const QString& error) {
    progress_->setVisible(false);
    cancel_->setVisible(trainer_->busy());
    if (video.isEmpty()) {
      if (error == QLatin1String("stopped")) setStatus(tr("Rendering the episode was cancelled."));
      else showError(tr("Cannot render the episode"), error);
      return;
    }
    QString why;
    if (!player_->openEpisode(e, video, &why)) showError(tr("Cannot play the episode"), why);
    else setStatus(tr("Playing episode %1 (%2)").arg(QString::fromStdString(e.title()), video));
  });
  connect(runLoader_, &RunLoader::done, this, [this](std::shared_ptr<const RunData> run, QString error, QString dir,
                                                     std::shared_ptr<const data::Corpus> corpus) {
    --runsLoading_;
    if (corpus != state_->corpus()) return;  // loaded for a corpus that is no longer open
    if (!run) {
      showError(tr("Cannot open the run"), error);
      emit runOpened(false);
    } else {
      state_->addRun(run);
      if (options_.measureReliance && !run->relianceComplete) relianceJob_->add(run, corpus);
      addRecent("recentRuns", dir);
      setStatus(tr("Loaded %1 from %2 (test weighted F1 %3)").arg(run->name, dir)
                    .arg(run->testWeightedF1 >= 0 ? QString::number(run->testWeightedF1, 'f', 2) : tr("unknown")));
      emit runOpened(true);
    }
  });
  connect(relianceJob_, &RelianceJob::progress, this, [this](QString name, QString split, int done, int total) {
    if (trainer_->busy()) return;  // the training's progress has the status line
    progress_->setVisible(true);
    progress_->setRange(0, std::max(1, total));
    progress_->setValue(done);
    setStatus(tr("Measuring %1's modality reliance on the %2 split (%3 draws x 7 passes per batch): batch %4 of %5")
                  .arg(name, split).arg(studioRelianceOptions().passes()).arg(done).arg(total));
  });
  connect(relianceJob_, &RelianceJob::finished, this, [this](std::shared_ptr<const RunData> run, QString error, QString name,
                                                             std::shared_ptr<const data::Corpus> corpus) {
    if (!trainer_->busy() && !relianceJob_->busy()) progress_->setVisible(false);
    if (corpus != state_->corpus()) return;
    if (!run) {
      if (error != QLatin1String("cancelled")) setStatus(tr("Modality reliance of %1 not measured: %2").arg(name, error));
      return;
    }
    // Replace the loaded run only if it is still loaded (the user may have closed or replaced it).
    for (const auto& r : state_->runs())
      if (r->dir == run->dir) {
        state_->addRun(run);
        setStatus(tr("Measured %1's modality reliance (%2 utterances): see Reliance (measured) in the speaker gate view")
                      .arg(name).arg(run->relianceRows));
        break;
      }
  });
  connect(state_, &StudioState::corpusChanged, relianceJob_, &RelianceJob::cancel);
  connect(trainer_, &DemoModelTrainer::progress, this, [this](QString what, int epoch, int epochs, int batch, int batches) {
    progress_->setVisible(true);
    cancel_->setVisible(true);
    progress_->setRange(0, std::max(1, epochs * 100));
    const int within = batches > 0 ? 100 * batch / batches : 100;
    progress_->setValue(std::max(0, (batches > 0 ? epoch - 1 : epoch - 1) * 100 + within));
    setStatus(tr("%1: epoch %2 of %3. The studio is usable meanwhile; predictions appear when it is done.").arg(what).arg(epoch).arg(epochs));
  });
  connect(trainer_, &DemoModelTrainer::runReady, this, [this](QString dir, std::shared_ptr<const data::Corpus> corpus) {
    if (corpus == state_->corpus()) openRun(dir);  // else the user has opened another corpus since
  });
  connect(trainer_, &DemoModelTrainer::failed, this, [this](QString error) {
    trainingFailed_ = true;
    showError(tr("Training the demo models failed"), error);
  });
  connect(trainer_, &DemoModelTrainer::finishedAll, this, [this](bool cancelled) {
    progress_->setVisible(false);
    cancel_->setVisible(false);
    if (trainAfterCancel_) {
      auto corpus = std::move(trainAfterCancel_);
      trainAfterCancel_.reset();
      if (state_->corpus() == corpus) trainer_->start(corpus, options_.demoEpochs);
      return;
    }
    const bool failed = trainingFailed_;
    trainingFailed_ = false;
    if (cancelled && !failed) setStatus(tr("Training the demo models stopped; they will be trained again on the next start."));
  });
  connect(state_, &StudioState::corpusChanged, this, &MainWindow::updateTitle);
  connect(state_, &StudioState::runsChanged, this, &MainWindow::updateTitle);

  defaultState_ = saveState();
  if (options_.useSettings) {
    QSettings s;
    restoreGeometry(s.value("window/geometry").toByteArray());
    restoreState(s.value("window/state").toByteArray());
  }
  refreshRecentMenus();
  updateTitle();
  pendingRuns_ = options_.runs;
  openCorpus(options_.corpus.isEmpty() ? QStringLiteral("demo") : options_.corpus);
}

MainWindow::~MainWindow() = default;

void MainWindow::openUtterance(int dialogue, int utterance) {
  state_->setCurrent(dialogue, utterance);
  centre_->setCurrentWidget(player_);
}

void MainWindow::buildDocks() {
  auto dock = [this](const QString& title, const QString& name, QWidget* w, Qt::DockWidgetArea area) {
    auto* d = new QDockWidget(title, this);
    d->setObjectName(name);
    d->setWidget(w);
    addDockWidget(area, d);
    return d;
  };
  browser_ = new BrowserPanel(*state_);
  browserDock_ = dock(tr("Corpus"), "dockBrowser", browser_, Qt::LeftDockWidgetArea);
  utterance_ = new UtterancePanel(*state_);
  utteranceDock_ = dock(tr("Utterance"), "dockUtterance", utterance_, Qt::RightDockWidgetArea);
  timeline_ = new GateTimeline(*state_);
  timelineDock_ = dock(tr("Speaker gate"), "dockGate", timeline_, Qt::BottomDockWidgetArea);
  summary_ = new SpeakerSummary(*state_);
  summaryDock_ = dock(tr("Per-speaker gate summary"), "dockSummary", summary_, Qt::BottomDockWidgetArea);
  splitDockWidget(timelineDock_, summaryDock_, Qt::Horizontal);
  resizeDocks({browserDock_, utteranceDock_}, {470, 360}, Qt::Horizontal);
  resizeDocks({timelineDock_}, {300}, Qt::Vertical);
  resizeDocks({timelineDock_, summaryDock_}, {800, 560}, Qt::Horizontal);
}

NewCorpusDialog* MainWindow::newCorpusDialog() {
  auto* dialog = new NewCorpusDialog(this);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  connect(dialog, &NewCorpusDialog::openCorpusRequested, this, &MainWindow::openExtractedCorpus);
  dialog->show();
  return dialog;
}

void MainWindow::openExtractedCorpus(const QString& dir, bool train) {
  if (train) {
    // Once it is open: ML-SAN against MultiEMO in the Training panel.
    auto once = std::make_shared<QMetaObject::Connection>();
    *once = connect(this, &MainWindow::corpusOpened, this, [this, once, dir](bool ok) {
      disconnect(*once);
      if (!ok) return;
      training_->form()->setKind(TrainingForm::Kind::Comparison);
      training_->form()->setCorpus(dir);
      centre_->setCurrentWidget(training_);
      QString error;
      if (!training_->start(&error)) showError(tr("Cannot start training"), error);
    });
  }
  openCorpus(dir);
}

bool MainWindow::renderingEpisode() const { return episodes_->busy(); }

void MainWindow::playEpisode() {
  if (state_->currentRow() < 0) {
    setStatus(tr("Select an utterance first: its episode plays."));
    return;
  }
  const auto& episodes = state_->episodes();
  const int i = data::episodeOfUtterance(episodes, state_->currentDialogue(), state_->currentUtterance());
  if (i < 0) {
    showError(tr("No episode"), tr("This utterance has no time in an episode (MELD's CSVs give season, episode, start and end "
                                   "times; a corpus extracted from long videos gives spans)."));
    return;
  }
  const data::Episode e = episodes[static_cast<std::size_t>(i)];  // a copy: a file dialog may come first
  const QString title = QString::fromStdString(e.title());
  centre_->setCurrentWidget(player_);
  QString video = QString::fromStdString(e.video), error;
  if (video.isEmpty() && state_->demoClips()) {
    if (episodes_->start(state_->demoClips(), e)) setStatus(tr("Rendering episode %1 (once; then it is in the cache)\u2026").arg(title));
    return;
  }
  if (video.isEmpty())
    video = QFileDialog::getOpenFileName(this, tr("The video of episode %1").arg(title), QString(),
                                         tr("Videos (*.mp4 *.mkv *.avi *.mov *.webm);;All files (*)"));
  if (video.isEmpty()) return;
  if (!player_->openEpisode(e, video, &error)) showError(tr("Cannot play the episode"), error);
  else setStatus(tr("Playing episode %1 (%2)").arg(title, video));
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  QAction* open = file->addAction(tr("&Open corpus\u2026"), this, &MainWindow::openCorpusDialog);
  open->setShortcut(QKeySequence::Open);
  openDemo_ = file->addAction(tr("Open &demo corpus"), this, [this] { openCorpus("demo"); });
  openDemo_->setObjectName("actionOpenDemo");
  QAction* videos = file->addAction(tr("New corpus from &videos\u2026"), this, &MainWindow::newCorpusDialog);
  videos->setObjectName("actionNewCorpusFromVideos");
  QAction* run = file->addAction(tr("Open &run\u2026"), this, &MainWindow::openRunDialog);
  run->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
  file->addSeparator();
  recentCorpora_ = file->addMenu(tr("Recent &corpora"));
  recentRuns_ = file->addMenu(tr("Recent r&uns"));
  file->addSeparator();
  QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);

  QMenu* playback = menuBar()->addMenu(tr("&Playback"));
  play_ = playback->addAction(tr("&Play / pause"), player_, &PlayerPanel::togglePlay);
  play_->setShortcut(QKeySequence(Qt::Key_Space));
  play_->setShortcutContext(Qt::WindowShortcut);
  next_ = playback->addAction(tr("&Next utterance"), this, [this] { state_->step(+1); });
  next_->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_Right), QKeySequence(Qt::Key_N)});
  previous_ = playback->addAction(tr("P&revious utterance"), this, [this] { state_->step(-1); });
  previous_->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_Left), QKeySequence(Qt::Key_P)});
  QAction* nextD = playback->addAction(tr("Next &dialogue"), this, [this] { state_->stepDialogue(+1); });
  nextD->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Down));
  QAction* prevD = playback->addAction(tr("Previous d&ialogue"), this, [this] { state_->stepDialogue(-1); });
  prevD->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Up));
  QAction* episode = playback->addAction(tr("Play the &episode"), this, &MainWindow::playEpisode);
  episode->setObjectName("actionPlayEpisode");
  episode->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
  QAction* mode = playback->addAction(tr("Dialogue &mode"));
  mode->setCheckable(true);
  mode->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
  connect(mode, &QAction::toggled, player_, &PlayerPanel::setDialogueMode);
  connect(player_->dialogueModeBox(), &QCheckBox::toggled, mode, &QAction::setChecked);

  QMenu* view = menuBar()->addMenu(tr("&View"));
  for (QDockWidget* d : {browserDock_, utteranceDock_, timelineDock_, summaryDock_}) view->addAction(d->toggleViewAction());
  view->addSeparator();
  QAction* raw = view->addAction(tr("Raw mean gates in the timeline"));
  raw->setCheckable(true);
  connect(raw, &QAction::toggled, this, [this](bool on) { timeline_->setMode(on ? GateTimeline::Mode::RawGates : GateTimeline::Mode::Weights); });
  connect(timeline_, &GateTimeline::modeChanged, raw, [raw](GateTimeline::Mode m) { raw->setChecked(m == GateTimeline::Mode::RawGates); });
  view->addSeparator();
  QAction* showPlayer = view->addAction(tr("&Player"), this, [this] { centre_->setCurrentWidget(player_); });
  showPlayer->setShortcut(QKeySequence(Qt::ALT | Qt::Key_1));
  QAction* showConfusion = view->addAction(tr("&Confusion matrices"), this, [this] { centre_->setCurrentWidget(confusion_); });
  showConfusion->setShortcut(QKeySequence(Qt::ALT | Qt::Key_2));
  QAction* showEmbeddings = view->addAction(tr("&Embeddings (t-SNE)"), this, [this] { centre_->setCurrentWidget(embedding_); });
  showEmbeddings->setShortcut(QKeySequence(Qt::ALT | Qt::Key_3));
  QAction* showTraining = view->addAction(tr("&Training and experiments"), this, [this] { centre_->setCurrentWidget(training_); });
  showTraining->setShortcut(QKeySequence(Qt::ALT | Qt::Key_4));
  view->addSeparator();
  view->addAction(tr("&Reset layout"), this, &MainWindow::resetLayout);

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&About ML-SAN Studio"), this, &MainWindow::about);
  help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
}

QString MainWindow::statusText() const { return status_->text(); }
bool MainWindow::busy() const { return corpusLoader_->busy() || runsLoading_ > 0; }
bool MainWindow::training() const { return trainer_->busy(); }
bool MainWindow::measuringReliance() const { return relianceJob_->busy(); }
bool MainWindow::expectsDemoModels() const {
  return options_.trainDemoModels && options_.runs.isEmpty() && (options_.corpus.isEmpty() || options_.corpus == "demo" || options_.corpus.startsWith("demo:"));
}

void MainWindow::setStatus(const QString& text) { status_->setText(text); }

void MainWindow::showError(const QString& title, const QString& message) {
  lastError_ = message;
  setStatus(title + ": " + message);
  qWarning("%s: %s", qPrintable(title), qPrintable(message));
  if (!options_.errorDialogs) return;
  QMessageBox::critical(this, title, message);
}

void MainWindow::openCorpus(const QString& source) {
  if (!corpusLoader_->start(source)) {
    setStatus(tr("Still opening the previous corpus\u2026"));
    return;
  }
  progress_->setRange(0, 0);
  progress_->setVisible(true);
  setStatus(tr("Opening %1\u2026").arg(source));
}

void MainWindow::corpusDone(const std::shared_ptr<OpenedCorpus>& result) {
  if (!trainer_->busy()) progress_->setVisible(false);
  if (!result->error.isEmpty()) {
    showError(tr("Cannot open the corpus"), result->error);
    emit corpusOpened(false);
    return;
  }
  std::shared_ptr<const DemoClipCache> clips;
  if (result->report.demo)
    clips = std::make_shared<DemoClipCache>(result->corpus, result->report.demoConfig, result->report.demoTruth,
                                            options_.cacheRoot.isEmpty() ? QString() : options_.cacheRoot + "/demo-clips");
  trainer_->cancel();  // the models in training belong to the previous corpus
  trainAfterCancel_.reset();
  state_->setCorpus(result->corpus, result->source, clips);
  addRecent("recentCorpora", result->source);
  const auto& c = *result->corpus;
  QString note = tr("Opened %1: %2 dialogues, %3 utterances, %4 speakers in %5 s")
                     .arg(QString::fromStdString(c.name)).arg(c.dialogues.size()).arg(c.numUtterances()).arg(c.speakers.size())
                     .arg(result->report.seconds, 0, 'f', 1);
  if (result->report.clipsLinked)
    note += tr("; clips: %1 found, %2 missing").arg(result->report.clips.found).arg(result->report.clips.missing);
  if (!c.problems.empty()) note += tr("; %1 notes (see mlsan inspect)").arg(c.problems.size());
  setStatus(note);
  emit corpusOpened(true);
  const QStringList runs = pendingRuns_;
  pendingRuns_.clear();
  for (const QString& r : runs) openRun(r);
  if (runs.isEmpty() && result->report.demo && result->corpus->dataset == "demo" && options_.trainDemoModels) {
    // The first start: the demo models, trained once into the cache and reused afterwards. Not
    // for the IEMOCAP-shaped corpus (demo-iemocap): its preset trains for an hour a model.
    const QString a = trainer_->runDir(c, "mlsan"), b = trainer_->runDir(c, "multiemo");
    if (DemoModelTrainer::finished(a) && DemoModelTrainer::finished(b)) {
      openRun(a);
      openRun(b);
    } else if (trainer_->busy()) {
      trainAfterCancel_ = result->corpus;  // the cancelled training stops first
    } else {
      trainer_->start(result->corpus, options_.demoEpochs);
    }
  }
}

void MainWindow::openRun(const QString& dir) {
  if (!state_->hasCorpus()) {
    pendingRuns_ << dir;
    return;
  }
  ++runsLoading_;
  runLoader_->start(dir, state_->corpus());
}

void MainWindow::openCorpusDialog() {
  OpenCorpusDialog dlg(this);
  if (dlg.exec() == QDialog::Accepted && !dlg.source().isEmpty()) openCorpus(dlg.source());
}

void MainWindow::openRunDialog() {
  const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a run folder (from mlsan train)"));
  if (!dir.isEmpty()) openRun(dir);
}

void MainWindow::resetLayout() { restoreState(defaultState_); }

void MainWindow::about() {
  QMessageBox::about(this, tr("About ML-SAN Studio"),
                     tr("<h3>ML-SAN Studio %1</h3>"
                        "<p>Browse a conversation corpus, play each utterance, and see how ML-SAN's speaker gate "
                        "weighs voice against face (ML-SAN, arXiv 2604.25383; baseline MultiEMO, ACL 2023).</p>"
                        "<p>Engine: LibTorch on CPU. Media: FFmpeg, OpenCV. Interface: Qt %2.</p>")
                         .arg(QStringLiteral(MLSAN_VERSION), QString::fromLatin1(qVersion())));
}

void MainWindow::addRecent(const QString& key, const QString& value) {
  if (!options_.useSettings || value.isEmpty()) return;
  QSettings s;
  QStringList list = s.value(key).toStringList();
  list.removeAll(value);
  list.prepend(value);
  while (list.size() > kMaxRecent) list.removeLast();
  s.setValue(key, list);
  refreshRecentMenus();
}

void MainWindow::refreshRecentMenus() {
  recentCorpora_->clear();
  recentRuns_->clear();
  if (!options_.useSettings) return;
  QSettings s;
  for (const QString& c : s.value("recentCorpora").toStringList())
    recentCorpora_->addAction(c, this, [this, c] { openCorpus(c); });
  for (const QString& r : s.value("recentRuns").toStringList())
    recentRuns_->addAction(r, this, [this, r] { openRun(r); });
  recentCorpora_->setEnabled(!recentCorpora_->isEmpty());
  recentRuns_->setEnabled(!recentRuns_->isEmpty());
}

void MainWindow::updateTitle() {
  QString t = QStringLiteral("ML-SAN Studio");
  if (state_->hasCorpus()) t += QStringLiteral(" \u2014 ") + QString::fromStdString(state_->corpus()->name);
  QStringList runs;
  for (const auto& r : state_->runs()) runs << r->name;
  if (!runs.isEmpty()) t += QStringLiteral(" \u2014 ") + runs.join(QStringLiteral(" vs "));
  setWindowTitle(t);
}

void MainWindow::closeEvent(QCloseEvent* e) {
  trainer_->cancel();
  training_->cancel();
  if (options_.useSettings) {
    QSettings s;
    s.setValue("window/geometry", saveGeometry());
    s.setValue("window/state", saveState());
  }
  QMainWindow::closeEvent(e);
}

}  // namespace mlsan::ui
