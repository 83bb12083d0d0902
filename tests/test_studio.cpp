// SPDX-License-Identifier: GPL-3.0-or-later
// The studio, driven through its real controls, headless (QT_QPA_PLATFORM=offscreen): open the
// demo corpus from the File menu (which trains the two demo models, here for one epoch, into a
// temporary cache), select utterances in the tree, step with the keyboard, play, filter, and
// the messages for bad input. Screenshots of the main views go to the test output folder.
#include <gtest/gtest.h>

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QListWidget>
#include <QTabWidget>
#include <QTableWidget>
#include <QLineEdit>
#include <QMediaDevices>
#include <QAudioDevice>
#include <QSet>
#include <QSlider>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QTreeView>
#include <QSignalSpy>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <algorithm>
#include <iostream>
#include <memory>

#include "mlsan/ui/browser_panel.h"
#include "studio_support.h"
#include "mlsan/ui/confusion_matrix_view.h"
#include "mlsan/ui/confusion_panel.h"
#include "mlsan/ui/embedding_panel.h"
#include "mlsan/ui/embedding_view_3d.h"
#include "mlsan/ui/corpus_tree_model.h"
#include "mlsan/ui/gate_timeline.h"
#include "mlsan/ui/main_window.h"
#include "mlsan/ui/player_panel.h"
#include "mlsan/ui/speaker_summary.h"
#include "mlsan/ui/studio_state.h"
#include "mlsan/ui/utterance_panel.h"
#include "mlsan/ui/training_panel.h"
#include "mlsan/ui/experiment_job.h"
#include <QProcess>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace mlsan;

namespace {

using studio_test::distinctColours;
using studio_test::waitFor;

void saveShot(QWidget* w, const QString& name) { studio_test::saveShotTo(w, MLSAN_TEST_OUTPUT_DIR, name); }

class Studio : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cache = new QTemporaryDir;
    ui::StudioOptions o;
    o.corpus = "demo";
    o.trainDemoModels = true;
    o.demoEpochs = 1;
    o.useSettings = false;
    o.errorDialogs = false;
    o.cacheRoot = cache->path();
    o.runsRoot = cache->path() + "/runs";
    window = new ui::MainWindow(o);
    window->resize(1400, 900);
    window->show();
  }
  static void TearDownTestSuite() {
    delete window;
    window = nullptr;
    delete cache;
  }
  /// Waits for the demo corpus and both demo models.
  static void ready() {
    ASSERT_TRUE(waitFor([] { return window->state().hasCorpus() && window->state().runs().size() >= 2 && !window->busy(); }, 600000))
        << window->lastError().toStdString();
  }
  static ui::StudioState& state() { return window->state(); }
  static QTreeView* tree() { return window->browser()->tree(); }

  /// Clicks the row of an utterance in the tree (expanding its parents).
  static void clickUtterance(int dialogue, int utterance) { studio_test::clickUtterance(tree(), dialogue, utterance); }

  static QTemporaryDir* cache;
  static ui::MainWindow* window;
};
QTemporaryDir* Studio::cache = nullptr;
ui::MainWindow* Studio::window = nullptr;

}  // namespace

TEST_F(Studio, OpensTheDemoFromTheFileMenuWithBothModels) {
  ready();
  // Open it again through the menu action, as a user would.
  QSignalSpy opened(window, &ui::MainWindow::corpusOpened);
  window->openDemoAction()->trigger();
  ASSERT_TRUE(opened.wait(60000));
  EXPECT_TRUE(opened.front().front().toBool());
  ready();
  EXPECT_EQ(state().corpus()->dataset, "demo");
  EXPECT_EQ(state().runs()[0]->name, "ML-SAN");
  EXPECT_EQ(state().runs()[1]->name, "MultiEMO");
  EXPECT_TRUE(state().runs()[0]->hasGate);
  EXPECT_FALSE(state().runs()[1]->hasGate);
  EXPECT_TRUE(window->windowTitle().contains("ML-SAN vs MultiEMO")) << window->windowTitle().toStdString();
  EXPECT_GT(tree()->model()->rowCount(), 0);
  EXPECT_EQ(state().currentDialogue(), 0);
  EXPECT_EQ(window->browser()->countText(), QString("%1 of %1 utterances").arg(state().corpus()->numUtterances()));
}

TEST_F(Studio, SelectingAnUtteranceInTheTreeUpdatesEveryView) {
  ready();
  clickUtterance(3, 2);
  EXPECT_EQ(state().currentDialogue(), 3);
  EXPECT_EQ(state().currentUtterance(), 2);
  const auto& u = state().corpus()->dialogues[3].utterances[2];
  EXPECT_TRUE(window->utterancePanel()->transcriptText().contains(QString::fromStdString(u.transcript)));
  EXPECT_EQ(window->gateTimeline()->cursorX(), 3.0);
  EXPECT_EQ(window->gateTimeline()->plottedPoints(), static_cast<int>(state().corpus()->dialogues[3].size()));
  EXPECT_TRUE(window->player()->hasClip()) << window->player()->placeholderText().toStdString();
  EXPECT_FALSE(window->player()->currentFrame().isNull());
  EXPECT_NEAR(window->player()->duration(), u.endSeconds - u.startSeconds, 0.15);
  saveShot(window, "studio_main.png");
}

TEST_F(Studio, SteppingWithTheKeyboardMovesEveryView) {
  ready();
  clickUtterance(5, 0);
  window->activateWindow();
  QTest::keyClick(window, Qt::Key_Right, Qt::ControlModifier);
  EXPECT_EQ(state().currentDialogue(), 5);
  EXPECT_EQ(state().currentUtterance(), 1);
  EXPECT_EQ(window->gateTimeline()->cursorX(), 2.0);
  QTest::keyClick(window, Qt::Key_Left, Qt::ControlModifier);
  EXPECT_EQ(state().currentUtterance(), 0);
  QTest::keyClick(window, Qt::Key_Down, Qt::ControlModifier);
  EXPECT_EQ(state().currentDialogue(), 6);
  EXPECT_EQ(state().currentUtterance(), 0);
  // The tree follows.
  const QModelIndex cur = tree()->currentIndex();
  EXPECT_EQ(cur.data(ui::CorpusTreeModel::DialogueRole).toInt(), 6);
  EXPECT_EQ(cur.data(ui::CorpusTreeModel::UtteranceRole).toInt(), 0);
  // Stepping across the end of a dialogue enters the next one.
  const int last = static_cast<int>(state().corpus()->dialogues[6].size()) - 1;
  state().setCurrent(6, last);
  window->nextAction()->trigger();
  EXPECT_EQ(state().currentDialogue(), 7);
  EXPECT_EQ(state().currentUtterance(), 0);
  // Clicking the gate timeline at utterance 4 jumps there.
  auto* view = window->gateTimeline()->chartView();
  QApplication::processEvents();
  QChart* chart = view->chart();
  ASSERT_FALSE(chart->series().isEmpty());
  const QPointF scenePos = chart->mapToPosition(QPointF(4, 0.5), chart->series().front());
  QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->mapFromScene(scenePos));
  EXPECT_EQ(state().currentDialogue(), 7);
  EXPECT_EQ(state().currentUtterance(), 3);
  EXPECT_EQ(window->gateTimeline()->cursorX(), 4.0);
  saveShot(window->gateTimeline(), "gate_timeline.png");
}

TEST_F(Studio, PlayShowsFramesAndDialogueModeStepsAlong) {
  ready();
  clickUtterance(2, 0);
  auto* player = window->player();
  ASSERT_TRUE(player->hasClip());
  const int before = player->framesShown();
  QTest::mouseClick(player->playButton(), Qt::LeftButton);
  EXPECT_TRUE(player->isPlaying());
  QTest::qWait(700);
  EXPECT_GT(player->position(), 0.3);
  EXPECT_GT(player->framesShown(), before + 4);
  if (QMediaDevices::defaultAudioOutput().isNull()) {
    EXPECT_TRUE(player->audioStatus().contains("No audio device")) << player->audioStatus().toStdString();
  }
  QTest::mouseClick(player->playButton(), Qt::LeftButton);
  EXPECT_FALSE(player->isPlaying());
  const double paused = player->position();
  QTest::qWait(200);
  EXPECT_NEAR(player->position(), paused, 1e-9);
  // Seek by clicking the waveform strip: three quarters in.
  auto* wave = player->waveformView();
  QTest::mouseClick(wave, Qt::LeftButton, {}, QPoint(wave->width() * 3 / 4, wave->height() / 2));
  EXPECT_NEAR(player->position(), player->duration() * 0.75, 0.15);
  saveShot(player, "player.png");

  // Dialogue mode: at the end of a clip the next utterance plays and every view steps along.
  QTest::mouseClick(player->dialogueModeBox(), Qt::LeftButton);
  ASSERT_TRUE(player->dialogueMode());
  player->seek(player->duration() - 0.1);
  player->play();
  ASSERT_TRUE(waitFor([] { return state().currentUtterance() == 1; }, 5000));
  EXPECT_EQ(state().currentDialogue(), 2);
  EXPECT_EQ(window->gateTimeline()->cursorX(), 2.0);
  EXPECT_TRUE(player->isPlaying());
  player->pause();
  QTest::mouseClick(player->dialogueModeBox(), Qt::LeftButton);
  EXPECT_FALSE(player->dialogueMode());
}

TEST_F(Studio, FiltersNarrowTheTreeAndTheSummary) {
  ready();
  auto* browser = window->browser();
  const auto& c = *state().corpus();
  // A filter that hides the current utterance leaves it current (the view must not pick
  // another one on its own).
  state().setCurrent(0, 0);
  const int hiddenSpeaker = c.dialogues[0].utterances[0].speaker;
  const int other = browser->speakerBox()->findData(hiddenSpeaker == 1 ? 2 : 1);
  browser->speakerBox()->setCurrentIndex(other);
  EXPECT_EQ(state().currentDialogue(), 0);
  EXPECT_EQ(state().currentUtterance(), 0);
  // Speaker: the third named speaker.
  browser->speakerBox()->setCurrentIndex(3);
  const int speaker = browser->speakerBox()->currentData().toInt();
  ASSERT_EQ(state().filter().speaker, speaker);
  std::size_t expected = 0;
  for (const auto& d : c.dialogues)
    for (const auto& u : d.utterances) expected += u.speaker == speaker;
  EXPECT_EQ(browser->countText(), QString("%1 of %2 utterances").arg(expected).arg(c.numUtterances()));
  window->speakerSummary()->setFilteredOnly(true);
  ASSERT_EQ(window->speakerSummary()->model().rows().size(), 1u);
  EXPECT_EQ(window->speakerSummary()->model().rows()[0].speaker, speaker);
  EXPECT_EQ(window->speakerSummary()->model().rows()[0].utterances, static_cast<int>(expected));
  // Stepping stays within the filter.
  state().step(+1);
  const auto& cur = c.dialogues[state().currentDialogue()].utterances[state().currentUtterance()];
  EXPECT_EQ(cur.speaker, speaker);
  browser->speakerBox()->setCurrentIndex(0);

  // Only misclassified (by ML-SAN).
  QTest::mouseClick(browser->misclassifiedBox(), Qt::LeftButton);
  ASSERT_TRUE(state().filter().misclassified);
  const ui::RunData* primary = state().primaryRun();
  const auto rows = state().filteredRows();
  ASSERT_FALSE(rows.empty());
  for (const auto& d : c.dialogues)
    for (std::size_t u = 0; u < d.size(); ++u) {
      const std::size_t row = d.firstRow + u;
      const bool wrong = primary->prediction[row] != d.utterances[u].label;
      EXPECT_EQ(std::binary_search(rows.begin(), rows.end(), row), wrong);
    }
  QTest::mouseClick(browser->misclassifiedBox(), Qt::LeftButton);

  // Only where the two models disagree.
  ASSERT_TRUE(browser->disagreeBox()->isEnabled());
  QTest::mouseClick(browser->disagreeBox(), Qt::LeftButton);
  for (std::size_t row : state().filteredRows())
    EXPECT_NE(state().runs()[0]->prediction[row], state().runs()[1]->prediction[row]);
  QTest::mouseClick(browser->disagreeBox(), Qt::LeftButton);

  // Gold emotion and text search together: typed into the search box.
  browser->goldBox()->setCurrentIndex(browser->goldBox()->findText("joy"));
  QTest::keyClicks(browser->searchEdit(), "hilarious");
  ASSERT_TRUE(waitFor([] { return !state().filter().text.isEmpty(); }, 3000));
  const auto hits = state().filteredRows();
  ASSERT_FALSE(hits.empty());
  for (const auto& d : c.dialogues)
    for (std::size_t u = 0; u < d.size(); ++u)
      if (std::binary_search(hits.begin(), hits.end(), d.firstRow + u)) {
        EXPECT_EQ(d.utterances[u].label, c.labels.indexOf("joy"));
        EXPECT_NE(d.utterances[u].transcript.find("hilarious"), std::string::npos);
      }
  tree()->expandAll();
  saveShot(browser, "browser_filtered.png");
  browser->searchEdit()->clear();
  browser->goldBox()->setCurrentIndex(0);
  ASSERT_TRUE(waitFor([] { return state().filter().isEmpty(); }, 3000));
  window->speakerSummary()->setFilteredOnly(false);
  EXPECT_EQ(window->speakerSummary()->model().rows().size(), c.speakers.size());
  saveShot(window->speakerSummary(), "speaker_summary.png");
}

TEST_F(Studio, AMultiEmoRunAloneSaysThereIsNoGate) {
  ready();
  const auto runs = state().runs();
  state().clearRuns();
  state().addRun(runs[1]);  // MultiEMO
  EXPECT_TRUE(window->gateTimeline()->message().contains("no speaker gate")) << window->gateTimeline()->message().toStdString();
  EXPECT_TRUE(window->speakerSummary()->message().contains("no speaker gate"));
  saveShot(window->gateTimeline(), "gate_timeline_multiemo.png");
  state().addRun(runs[0]);
  EXPECT_TRUE(window->gateTimeline()->message().isEmpty());
  EXPECT_EQ(state().runs().size(), 2u);
  // A third run replaces the older of the two, whatever their order on screen.
  auto copy = std::make_shared<ui::RunData>(*runs[0]);
  copy->dir += "-copy";
  copy->name = "ML-SAN (copy)";
  state().addRun(copy);
  ASSERT_EQ(state().runs().size(), 2u);
  EXPECT_EQ(state().runs()[0], runs[0]);  // loaded after MultiEMO: kept
  EXPECT_EQ(state().runs()[1]->name, "ML-SAN (copy)");
  state().clearRuns();
  state().addRun(runs[0]);
  state().addRun(runs[1]);
  EXPECT_EQ(state().runs().size(), 2u);
}

TEST_F(Studio, BadInputGetsAMessageAndLosesNothing) {
  ready();
  const auto corpus = state().corpus();
  QSignalSpy opened(window, &ui::MainWindow::corpusOpened);
  window->openCorpus("/no/such/corpus");
  ASSERT_TRUE(opened.wait(30000));
  EXPECT_FALSE(opened.front().front().toBool());
  EXPECT_TRUE(window->lastError().contains("/no/such/corpus")) << window->lastError().toStdString();
  EXPECT_EQ(state().corpus(), corpus);  // the open corpus stays
  EXPECT_EQ(state().runs().size(), 2u);

  // A run folder whose predictions are damaged, and one from another corpus.
  QTemporaryDir dir;
  const QString good = state().runs()[0]->dir;
  for (const QString& name : {QString("config.json"), QString("metrics.json")})
    QFile::copy(good + "/" + name, dir.filePath(name));
  QFile bad(dir.filePath("predictions.csv"));
  ASSERT_TRUE(bad.open(QIODevice::WriteOnly));
  bad.write("dialogue,split,utterance,speaker,label,prediction,gate_audio,gate_visual,weight_audio,weight_visual,p_neutral\n0,train,0,Ava,neutral\n");
  bad.close();
  QSignalSpy runOpened(window, &ui::MainWindow::runOpened);
  window->openRun(dir.path());
  ASSERT_TRUE(runOpened.wait(30000));
  EXPECT_FALSE(runOpened.front().front().toBool());
  EXPECT_TRUE(window->lastError().contains("predictions.csv")) << window->lastError().toStdString();
  EXPECT_EQ(state().runs().size(), 2u);

  QFile cfg(good + "/config.json");
  ASSERT_TRUE(cfg.open(QIODevice::ReadOnly));
  QByteArray json = cfg.readAll();
  json.replace(state().corpus()->signature().c_str(), "0123456789abcdef");
  QFile other(dir.filePath("config.json"));
  ASSERT_TRUE(other.open(QIODevice::WriteOnly | QIODevice::Truncate));
  other.write(json);
  other.close();
  runOpened.clear();
  window->openRun(dir.path());
  ASSERT_TRUE(runOpened.wait(30000));
  EXPECT_FALSE(runOpened.front().front().toBool());
  EXPECT_TRUE(window->lastError().contains("not on the open corpus")) << window->lastError().toStdString();
}

TEST_F(Studio, MissingAndDamagedClipsShowAPlaceholderNotACrash) {
  ready();
  // A small corpus whose utterances point at a missing clip and at a truncated one.
  auto c = std::make_shared<data::Corpus>(*state().corpus());
  c->dialogues.resize(1);
  c->dialogues[0].utterances.resize(2);
  c->dialogues[0].utterances[0].clipPath = "/no/such/clip.mp4";
  QTemporaryDir dir;
  const QString junk = dir.filePath("junk.mp4");
  QFile f(junk);
  ASSERT_TRUE(f.open(QIODevice::WriteOnly));
  f.write(QByteArray(2000, '\x07'));
  f.close();
  c->dialogues[0].utterances[1].clipPath = junk.toStdString();
  c->text.resize(2 * c->dimText);
  c->audio.resize(2 * c->dimAudio);
  c->visual.resize(2 * c->dimVisual);
  const auto keepCorpus = state().corpus();
  const auto keepRuns = state().runs();
  const QString keepSource = state().corpusSource();
  const auto keepClips = state().demoClips();
  state().setCorpus(c, "test");
  EXPECT_FALSE(window->player()->hasClip());
  EXPECT_TRUE(window->player()->placeholderText().contains("missing")) << window->player()->placeholderText().toStdString();
  saveShot(window->player(), "player_missing_clip.png");
  state().setCurrent(0, 1);
  EXPECT_FALSE(window->player()->hasClip());
  EXPECT_TRUE(window->player()->placeholderText().contains("junk.mp4")) << window->player()->placeholderText().toStdString();
  window->player()->play();  // nothing to play: no crash, nothing happens
  EXPECT_FALSE(window->player()->isPlaying());
  // Back to the demo.
  state().setCorpus(keepCorpus, keepSource, keepClips);
  for (const auto& r : keepRuns) state().addRun(r);
  EXPECT_TRUE(window->player()->hasClip());
}

TEST_F(Studio, ConfusionMatricesCompareTheRunsAndOpenACellsUtterances) {
  ready();
  auto* panel = window->confusionPanel();
  window->centreTabs()->setCurrentWidget(panel);
  QApplication::processEvents();
  // Defaults: A = MultiEMO (no gate), B = ML-SAN.
  ASSERT_GT(panel->compared(), 100u) << panel->message().toStdString();
  EXPECT_EQ(state().runs()[static_cast<std::size_t>(panel->runA())]->name, "MultiEMO");
  EXPECT_EQ(state().runs()[static_cast<std::size_t>(panel->runB())]->name, "ML-SAN");
  const int k = panel->viewA()->size();
  ASSERT_EQ(k, 7);
  // Row-normalised: every row with support sums to 1; the difference is B - A cell by cell.
  for (int r = 0; r < k; ++r) {
    double sa = 0;
    for (int c = 0; c < k; ++c) {
      sa += panel->viewA()->value(r, c);
      EXPECT_NEAR(panel->viewDifference()->value(r, c), panel->viewB()->value(r, c) - panel->viewA()->value(r, c), 1e-9);
    }
    if (sa > 0) {
      EXPECT_NEAR(sa, 1.0, 1e-9);
    }
  }
  EXPECT_TRUE(panel->summaryText().contains("bootstrap")) << panel->summaryText().toStdString();
  EXPECT_TRUE(panel->summaryText().contains("McNemar"));
  EXPECT_EQ(panel->table()->rowCount(), k);
  // One owner: `mlsan compare` on the same two run folders gives the panel's numbers exactly
  // (the same utterances in the same order, the same bootstrap resamples).
  {
    ASSERT_TRUE(panel->comparison().has_value());
    const auto& cmp = panel->comparison()->first;
    QProcess cli;
    cli.start(ui::ExperimentJob::program(), {"compare", state().runs()[static_cast<std::size_t>(panel->runA())]->dir,
                                             state().runs()[static_cast<std::size_t>(panel->runB())]->dir, "--json"});
    ASSERT_TRUE(cli.waitForFinished(60000));
    ASSERT_EQ(cli.exitCode(), 0) << cli.readAllStandardError().toStdString();
    const QJsonObject j = QJsonDocument::fromJson(cli.readAllStandardOutput()).object();
    EXPECT_EQ(j.value("utterances").toInt(), static_cast<int>(panel->compared()));
    EXPECT_NEAR(j.value("weighted_f1_b").toDouble(), 100 * cmp.b.weightedF1, 1e-9);
    EXPECT_NEAR(j.value("weighted_f1_ci_a").toObject().value("low").toDouble(), 100 * cmp.ciA.low, 1e-9);
    EXPECT_NEAR(j.value("delta_ci").toObject().value("high").toDouble(), 100 * cmp.ciDelta.high, 1e-9);
    EXPECT_NEAR(j.value("mcnemar").toObject().value("p_value").toDouble(), cmp.mcnemar.pValue, 1e-12);
  }
  saveShot(panel, "confusion_rownorm.png");
  // Counts: the matrices add up to the compared utterances.
  panel->setMode(ui::ConfusionPanel::Mode::Counts);
  double total = 0;
  for (int r = 0; r < k; ++r)
    for (int c = 0; c < k; ++c) total += panel->viewB()->value(r, c);
  EXPECT_EQ(total, static_cast<double>(panel->compared()));
  saveShot(panel, "confusion_counts.png");
  // Click the cell of gold neutral (0) predicted neutral in B: its utterances are listed.
  QApplication::processEvents();
  const QRect cell = panel->viewB()->cellRect(0, 0);
  QTest::mouseClick(panel->viewB(), Qt::LeftButton, {}, cell.center());
  EXPECT_EQ(panel->viewB()->selectedRow(), 0);
  EXPECT_EQ(panel->cellList()->count(), static_cast<int>(panel->viewB()->value(0, 0)));
  ASSERT_GT(panel->cellList()->count(), 0);
  // Clicking a listed utterance opens it in the browser and the player.
  QListWidgetItem* item = panel->cellList()->item(panel->cellList()->count() - 1);
  const int d = item->data(Qt::UserRole).toInt(), u = item->data(Qt::UserRole + 1).toInt();
  const QRect ir = panel->cellList()->visualItemRect(item);
  panel->cellList()->scrollToItem(item);
  QApplication::processEvents();
  QTest::mouseClick(panel->cellList()->viewport(), Qt::LeftButton, {}, panel->cellList()->visualItemRect(item).center());
  (void)ir;
  EXPECT_EQ(state().currentDialogue(), d);
  EXPECT_EQ(state().currentUtterance(), u);
  EXPECT_EQ(window->centreTabs()->currentWidget(), window->player());
  const auto& utt = state().corpus()->dialogues[static_cast<std::size_t>(d)].utterances[static_cast<std::size_t>(u)];
  EXPECT_EQ(utt.label, 0);
  // Exports: PNG, SVG and CSV written whole; a bad extension is refused with a message.
  QTemporaryDir out;
  QString error;
  for (const char* ext : {"png", "svg", "csv"}) {
    const QString path = out.filePath(QString("confusion.") + ext);
    ASSERT_TRUE(panel->exportTo(path, &error)) << error.toStdString();
    EXPECT_GT(QFileInfo(path).size(), 500) << ext;
  }
  QFile csv(out.filePath("confusion.csv"));
  ASSERT_TRUE(csv.open(QIODevice::ReadOnly));
  const QString text = QString::fromUtf8(csv.readAll());
  EXPECT_TRUE(text.contains("B \u2212 A")) << text.left(200).toStdString();
  EXPECT_TRUE(text.contains("F1 A"));
  EXPECT_FALSE(panel->exportTo(out.filePath("confusion.bmpx"), &error));
  EXPECT_TRUE(error.contains(".png, .svg or .csv"));
  EXPECT_EQ(QDir(out.path()).entryList(QDir::Files).size(), 3) << "no temporary files left behind";
  // Seeds: a side with several runs shows mean +- s.d.
  const auto runs = state().runs();
  auto seeded = std::make_shared<ui::RunData>(*runs[static_cast<std::size_t>(panel->runB())]);
  seeded->seeds = {runs[static_cast<std::size_t>(panel->runB())], runs[static_cast<std::size_t>(panel->runB())]};
  seeded->dir += "-seeds";
  state().addRun(seeded);
  window->centreTabs()->setCurrentWidget(panel);
  QApplication::processEvents();
  EXPECT_TRUE(panel->summaryText().contains("Over seeds")) << panel->summaryText().toStdString();
  EXPECT_TRUE(panel->table()->item(0, 9)->text().contains("\u00b1"));
  saveShot(panel, "confusion_seeds.png");
  state().clearRuns();
  state().addRun(runs[0]);
  state().addRun(runs[1]);
  panel->setMode(ui::ConfusionPanel::Mode::RowNormalised);
}

TEST_F(Studio, EmbeddingMapsFillInWithNumbersAndOpenUtterances) {
  ready();
  auto* panel = window->embeddingPanel();
  panel->setIterations(300);
  panel->setMaxPoints(500);
  panel->setFeatures(model::FeatureKind::AudioFilm);
  QSignalSpy computed(panel, &ui::EmbeddingPanel::computed);
  window->centreTabs()->setCurrentWidget(panel);  // the first show computes
  QApplication::processEvents();
  if (computed.isEmpty() && !panel->busy()) panel->compute();
  ASSERT_TRUE(computed.wait(300000));
  ASSERT_TRUE(computed.front().front().toBool());
  ASSERT_NE(panel->result(), nullptr);
  EXPECT_GT(panel->partialUpdates(), 0) << "maps are drawn while t-SNE runs";
  ASSERT_EQ(panel->result()->maps.size(), 2u);
  const auto& before = *panel->result()->maps[0];
  const auto& after = *panel->result()->maps[1];
  EXPECT_EQ(before.kind, model::FeatureKind::AudioRaw);
  EXPECT_EQ(after.kind, model::FeatureKind::AudioFilm);
  EXPECT_EQ(before.speaker, after.speaker) << "the same utterances on both maps";
  EXPECT_GT(panel->before()->points(), 100);
  EXPECT_EQ(panel->before()->points(), panel->after()->points());
  // Numbers beside the maps: silhouettes and the probe, before and after, and a verdict.
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) ASSERT_NE(panel->numbers()->item(r, c), nullptr) << r << "," << c;
  EXPECT_NEAR(panel->numbers()->item(0, 0)->text().toDouble(), before.numbers.silhouetteSpeaker, 1e-3);
  EXPECT_FALSE(panel->verdict().isEmpty());
  EXPECT_TRUE(panel->legendText().contains("Speakers"));
  saveShot(panel, "embeddings_speaker.png");
  panel->setColourBy(ui::EmbeddingMapView::ColourBy::Emotion);
  EXPECT_TRUE(panel->legendText().contains("neutral")) << panel->legendText().toStdString();
  saveShot(panel, "embeddings_emotion.png");
  // Click a point of the calibrated map: its utterance opens.
  auto* view = panel->after()->chartView();
  const QPoint p = panel->after()->pointPosition(0);
  QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, p);
  QApplication::processEvents();
  EXPECT_EQ(state().currentDialogue(), after.dialogue[0]);
  EXPECT_EQ(state().currentUtterance(), after.index[0]);
  EXPECT_EQ(window->centreTabs()->currentWidget(), window->player());
  // The fused representation: one map, and the left side says why.
  window->centreTabs()->setCurrentWidget(panel);
  panel->setFeatures(model::FeatureKind::Fused);
  computed.clear();
  panel->compute();
  ASSERT_TRUE(computed.wait(300000));
  EXPECT_EQ(panel->result()->maps.size(), 1u);
  EXPECT_TRUE(panel->before()->message().contains("no uncalibrated form")) << panel->before()->message().toStdString();
  EXPECT_GT(panel->after()->points(), 100);
  // Offscreen there is no OpenGL: the 3-D view says so and the 2-D maps keep working. Under
  // Xvfb (ctest studio.gui3d) the 3-D maps are computed and drawn by VTK.
  if (!ui::EmbeddingView3D::openGLAvailable()) {
    panel->setDims(3);
    EXPECT_TRUE(panel->after3D()->message().contains("OpenGL")) << panel->after3D()->message().toStdString();
    panel->cancel();
    panel->setDims(2);
  } else {
    panel->setFeatures(model::FeatureKind::AudioFilm);
    computed.clear();
    panel->setDims(3);
    if (computed.isEmpty()) {
      ASSERT_TRUE(computed.wait(300000));
    }
    ASSERT_TRUE(computed.back().front().toBool());
    EXPECT_EQ(panel->result()->request.dims, 3);
    EXPECT_GT(panel->before3D()->points(), 100);
    EXPECT_EQ(panel->before3D()->points(), panel->after3D()->points());
    EXPECT_TRUE(panel->after3D()->message().isEmpty());
    const QImage img = panel->after3D()->renderImage();
    EXPECT_GT(distinctColours(img), 12);
    saveShot(panel, "embeddings_3d.png");
    panel->setDims(2);
    computed.clear();
    if (panel->busy()) {
      ASSERT_TRUE(computed.wait(300000));
    }
  }
  // Cancel stops a computation and keeps the window responsive.
  panel->setFeatures(model::FeatureKind::VisualFilm);
  panel->setIterations(1000);
  panel->compute();
  EXPECT_TRUE(panel->busy());
  panel->cancel();
  EXPECT_FALSE(panel->busy());
  panel->setColourBy(ui::EmbeddingMapView::ColourBy::Speaker);
}

// Issue 6: the Training panel, driven through its buttons: a run shows its curves per epoch
// while the window stays usable, Cancel stops it, a second run finishes and joins the run list
// and the views, and the panel's Table 2 gives the numbers `mlsan ablation` gives.
TEST_F(Studio, TrainingPanelTrainsCancelsFinishesAndMatchesMlsanAblation) {
  ready();
  auto* panel = window->trainingPanel();
  ASSERT_NE(panel, nullptr);
  QTest::keyClick(window, Qt::Key_4, Qt::AltModifier);
  ASSERT_TRUE(waitFor([&] { return window->centreTabs()->currentWidget() == panel; }, 5000));

  // 1. A run to cancel: curves appear per epoch, the window answers meanwhile.
  panel->form()->setKind(ui::TrainingPanel::Kind::Single);
  panel->form()->setCorpus("demo");
  panel->form()->setVariant("mlsan");
  panel->form()->setEpochs(6);
  panel->form()->setSeeds("7");
  panel->form()->setThreads(1);
  QTest::mouseClick(panel->startButton(), Qt::LeftButton);
  ASSERT_TRUE(panel->busy()) << panel->log()->toPlainText().toStdString();
  ASSERT_TRUE(waitFor([&] { return panel->curvePoints() > 0; }, 120000)) << panel->log()->toPlainText().toStdString();
  EXPECT_TRUE(panel->busy());
  // Interact with the window during training: step through the corpus, switch tabs, come back.
  const int before = state().currentUtterance() + 1000 * state().currentDialogue();
  QTest::keyClick(window, Qt::Key_1, Qt::AltModifier);
  window->nextAction()->trigger();
  window->nextAction()->trigger();
  QApplication::processEvents();
  EXPECT_NE(state().currentUtterance() + 1000 * state().currentDialogue(), before);
  QTest::keyClick(window, Qt::Key_4, Qt::AltModifier);
  EXPECT_EQ(window->centreTabs()->currentWidget(), panel);
  EXPECT_TRUE(panel->busy()) << "the run ended before the window was used; make it longer";
  saveShot(panel, "training_panel_running.png");
  QTest::mouseClick(panel->cancelButton(), Qt::LeftButton);
  ASSERT_TRUE(waitFor([&] { return !panel->busy(); }, 60000));
  ASSERT_EQ(panel->tasks().size(), 1u);
  EXPECT_EQ(panel->tasks()[0].state, experiments::TaskState::Cancelled) << panel->tasks()[0].message;
  EXPECT_LT(panel->tasks()[0].epoch, 6);

  // 2. A run that finishes: it joins the run list and opens in the views.
  panel->form()->setEpochs(1);
  panel->form()->setSeeds("8");
  QSignalSpy finished(panel, &ui::TrainingPanel::queueFinished);
  QTest::mouseClick(panel->startButton(), Qt::LeftButton);
  ASSERT_TRUE(finished.wait(120000));
  ASSERT_EQ(panel->tasks()[0].state, experiments::TaskState::Done) << panel->tasks()[0].message;
  const QString runDir = panel->currentRoot() + "/run/seed8";
  EXPECT_TRUE(panel->listedRuns().contains(runDir)) << panel->listedRuns().join(", ").toStdString();
  ASSERT_TRUE(waitFor([&] {
    for (const auto& r : state().runs())
      if (QDir(r->dir) == QDir(runDir)) return true;
    return false;
  }, 60000)) << window->lastError().toStdString();
  QString err;
  EXPECT_TRUE(panel->showRunCurves(runDir, &err)) << err.toStdString();
  EXPECT_EQ(panel->curvePoints(), 4);  // one epoch: train loss, val loss, val F1, lr
  EXPECT_FALSE(panel->showRunCurves(panel->currentRoot(), &err));
  EXPECT_TRUE(err.contains("curves.csv")) << err.toStdString();

  // 3. Table 2 over two seeds, two processes at once, then the same from the command line.
  // MLSAN_TEST_TABLE2_SEEDS / MLSAN_TEST_TABLE2_EPOCHS make this the full check
  // (3 seeds, 20 epochs: about 20 minutes on two cores); CI runs the short form.
  const int nSeeds = std::max(1, qEnvironmentVariableIsSet("MLSAN_TEST_TABLE2_SEEDS") ? qEnvironmentVariableIntValue("MLSAN_TEST_TABLE2_SEEDS") : 2);
  const int nEpochs = std::max(1, qEnvironmentVariableIsSet("MLSAN_TEST_TABLE2_EPOCHS") ? qEnvironmentVariableIntValue("MLSAN_TEST_TABLE2_EPOCHS") : 1);
  panel->form()->setKind(ui::TrainingPanel::Kind::Ablation);
  panel->form()->setSeeds(QStringLiteral("1-%1").arg(nSeeds));
  panel->form()->setEpochs(nEpochs);
  panel->form()->setParallel(2);
  QSignalSpy finished2(panel, &ui::TrainingPanel::queueFinished);
  QTest::mouseClick(panel->startButton(), Qt::LeftButton);
  ASSERT_EQ(panel->queueView()->rowCount(), 5 * nSeeds);
  ASSERT_TRUE(finished2.wait(300000 * nSeeds * nEpochs));
  ASSERT_TRUE(finished2.first().first().toBool()) << panel->log()->toPlainText().toStdString();
  ASSERT_TRUE(panel->results().has_value());
  const auto& table = *panel->results();
  ASSERT_EQ(table.rows.size(), 5u);
  EXPECT_TRUE(table.complete());
  EXPECT_EQ(panel->resultView()->rowCount(), 5);
  saveShot(panel, "training_panel_table2.png");
  std::cout << "Training panel, Table 2 (" << nSeeds << " seeds, " << nEpochs << " epochs):\n" << experiments::toText(table) << std::flush;
  for (const QString ext : {".csv", ".md", ".tex"}) {
    const QString path = cache->path() + "/table2" + ext;
    ASSERT_TRUE(panel->exportResults(path, &err)) << err.toStdString();
    QFile f(path);
    ASSERT_TRUE(f.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(f.readAll());
    EXPECT_TRUE(text.contains("ML-SAN (full)") && text.contains(QString::number(table.rows[4].mean, 'f', ext == QString(".csv") ? 4 : 2)))
        << text.toStdString();
  }
  QProcess cli;
  cli.start(ui::ExperimentJob::program(), {"ablation", "--corpus", "demo", "--seeds", QString::number(nSeeds), "--epochs",
                                            QString::number(nEpochs), "--threads", "1", "--jobs", "2", "--json", "--out",
                                            cache->path() + "/cli-ablation"});
  ASSERT_TRUE(cli.waitForFinished(300000 * nSeeds * nEpochs));
  ASSERT_EQ(cli.exitCode(), 0) << cli.readAllStandardError().toStdString();
  const QJsonObject j = QJsonDocument::fromJson(cli.readAllStandardOutput()).object();
  const QJsonArray rows = j.value("rows").toArray();
  ASSERT_EQ(rows.size(), 5);
  for (int i = 0; i < 5; ++i) {
    const QJsonObject r = rows[i].toObject();
    EXPECT_EQ(r.value("title").toString().toStdString(), table.rows[i].title);
    EXPECT_NEAR(r.value("mean").toDouble(), table.rows[i].mean, 1e-9) << table.rows[i].title;
    const QJsonArray runs = r.value("runs").toArray();
    ASSERT_EQ(runs.size(), nSeeds);
    for (int s = 0; s < nSeeds; ++s) EXPECT_NEAR(runs[s].toDouble(), table.rows[i].runs[s], 1e-9) << table.rows[i].title << " seed " << s + 1;
  }
}
