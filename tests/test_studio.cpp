// SPDX-License-Identifier: GPL-3.0-or-later
// The studio, driven through its real controls, headless (QT_QPA_PLATFORM=offscreen): open the
// demo corpus from the File menu (which trains the two demo models, here for one epoch, into a
// temporary cache), select utterances in the tree, step with the keyboard, play, filter, and
// the messages for bad input. Screenshots of the main views go to the test output folder.
#include <array>
#include <cmath>

#include "mlsan/analysis/stats.h"
#include "mlsan/model/explain.h"
#include "studio_fixture.h"

using namespace mlsan;
using studio_test::distinctColours;
using studio_test::saveShot;
using studio_test::Studio;
using studio_test::waitFor;

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

TEST_F(Studio, MeasuredRelianceDrivesTheChartTheInteractionFilterAndTheSummary) {
  ready();
  const auto keepRuns = state().runs();
  const auto& c = *state().corpus();
  // The engine's reliance of both demo models on the test split, set on the loaded runs as the
  // studio's background job does.
  for (const auto& r : keepRuns) {
    const auto e = mlsan::model::explainRun(r->dir.toStdString(), c, mlsan::data::Split::Test, ui::studioRelianceOptions());
    state().addRun(r->withReliance(c, e.utterances, false));
  }
  ASSERT_EQ(state().runs().size(), 2u);
  const ui::RunData* rel = state().relianceRun();
  ASSERT_NE(rel, nullptr);
  EXPECT_TRUE(rel->hasGate);  // the gated run is the one the views show first
  // The chart: a test dialogue's reliance, three lines.
  int testDialogue = -1;
  for (std::size_t i = 0; i < c.dialogues.size() && testDialogue < 0; ++i)
    if (c.dialogues[i].split == mlsan::data::Split::Test && c.dialogues[i].size() >= 4) testDialogue = static_cast<int>(i);
  ASSERT_GE(testDialogue, 0);
  state().setCurrent(testDialogue, 1);
  window->gateTimeline()->setMode(ui::GateTimeline::Mode::Reliance);
  EXPECT_TRUE(window->gateTimeline()->message().isEmpty()) << window->gateTimeline()->message().toStdString();
  EXPECT_EQ(window->gateTimeline()->plottedPoints(), static_cast<int>(c.dialogues[static_cast<std::size_t>(testDialogue)].size()));
  saveShot(window->gateTimeline(), "gate_timeline_reliance.png");
  // A train dialogue was not measured: the chart says so.
  state().setCurrent(0, 0);
  EXPECT_TRUE(window->gateTimeline()->message().contains("not measured")) << window->gateTimeline()->message().toStdString();
  for (auto mode : {ui::GateTimeline::Mode::Gain, ui::GateTimeline::Mode::Used}) {
    window->gateTimeline()->setMode(mode);
    EXPECT_TRUE(window->gateTimeline()->message().isEmpty());
    EXPECT_GT(window->gateTimeline()->plottedPoints(), 0);
  }
  window->gateTimeline()->setMode(ui::GateTimeline::Mode::Weights);
  // The interaction filter: exactly the utterances of that interaction in the reliance run.
  auto* box = window->browser()->interactionBox();
  ASSERT_TRUE(box->isEnabled());
  std::size_t kept = 0;
  for (int code : {ui::UtteranceFilter::kConflict, ui::UtteranceFilter::kDominanceAudio, ui::UtteranceFilter::kComplement,
                   ui::UtteranceFilter::kAdditive, ui::UtteranceFilter::kWeak}) {
    box->setCurrentIndex(box->findData(code));
    ASSERT_EQ(state().filter().interaction, code);
    std::vector<std::size_t> expected;
    for (std::size_t row = 0; row < rel->interaction.size(); ++row) {
      const int i = rel->interaction[row];
      if (i < 0) continue;
      const int got = i == 0 ? int{rel->dominant[row]} : i == 1 ? int{ui::UtteranceFilter::kComplement}
                      : i == 2 ? int{ui::UtteranceFilter::kConflict} : i == 3 ? int{ui::UtteranceFilter::kAdditive}
                                                                   : int{ui::UtteranceFilter::kWeak};
      if (got == code) expected.push_back(row);
    }
    kept += expected.size();
    EXPECT_EQ(state().filteredRows(), expected) << code;
  }
  EXPECT_GT(kept, 0u);
  box->setCurrentIndex(0);
  // The summary: both runs' reliance per speaker, the numbers the rows give.
  window->speakerSummary()->setFilteredOnly(false);
  const auto& rows = window->speakerSummary()->model().rows();
  ASSERT_FALSE(rows.empty());
  const auto& first = rows.front();
  std::vector<std::array<double, 3>> phi;  // the library's aggregate of the speaker's rows: mlsan explain's numbers
  for (const auto& d : c.dialogues)
    for (std::size_t u = 0; u < d.size(); ++u) {
      const std::size_t row = d.firstRow + u;
      if (d.utterances[u].speaker == first.speaker && std::isfinite(rel->shapleyAudio[row]))
        phi.push_back({rel->shapleyText[row], rel->shapleyAudio[row], rel->shapleyVisual[row]});
    }
  const auto group = mlsan::model::relianceGroup("", phi);
  ASSERT_EQ(first.reliance[0][1].n, static_cast<int>(phi.size()));
  EXPECT_NEAR(first.reliance[0][1].mean, group.mean[mlsan::model::kAudio], 1e-9);
  EXPECT_NEAR(first.reliance[0][1].against, group.against[mlsan::model::kAudio], 1e-9);
  EXPECT_GT(first.reliance[1][1].n, 0);  // MultiEMO's column beside it
  EXPECT_TRUE(window->speakerSummary()->message().contains("reliance")) << window->speakerSummary()->message().toStdString();
  saveShot(window->speakerSummary(), "speaker_summary_reliance.png");
  state().setCurrent(testDialogue, 1);
  saveShot(window, "studio_reliance.png");
  for (const auto& r : keepRuns) state().addRun(r);
}
