// SPDX-License-Identifier: GPL-3.0-or-later
// File > New corpus from videos, driven through its controls: demo clips rendered to a folder
// with their utterance table, extracted on the dialog's worker with progress and the problems
// listed, then opened and trained (ML-SAN against MultiEMO) from the dialog's button.
#include <QApplication>
#include <cmath>
#include <QDir>
#include <QFile>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTemporaryDir>
#include <QToolButton>

#include "clip_fixtures.h"
#include "mlsan/data/demo_corpus.h"
#include "mlsan/data/episodes.h"
#include "mlsan/extract/pipeline.h"
#include "mlsan/media/clip_writer.h"
#include "mlsan/ui/demo_clips.h"
#include "mlsan/ui/gate_timeline.h"
#include "mlsan/ui/player_panel.h"
#include "mlsan/ui/utterance_panel.h"
#include "mlsan/ui/main_window.h"
#include "mlsan/ui/new_corpus_dialog.h"
#include "mlsan/ui/studio_state.h"
#include "mlsan/ui/training_panel.h"
#include "studio_support.h"

using namespace mlsan;
using studio_test::waitFor;

TEST(StudioExtract, NewCorpusFromVideosExtractsOpensAndTrainsBothModels) {
  QTemporaryDir dir;
  const QString root = dir.path();
  data::DemoConfig cfg;
  cfg.dialogues = 8;
  data::DemoTruth truth;
  auto corpus = std::make_shared<const data::Corpus>(data::makeDemoCorpus(cfg, &truth));
  ui::DemoClipCache clips(corpus, cfg, truth, root + "/clips");
  QString error;
  ASSERT_TRUE(clips.writeUtteranceTable(root + "/table.csv", &error)) << error.toStdString();
  // One row whose video is missing: listed as a problem, the rest extracted.
  QFile table(root + "/table.csv");
  ASSERT_TRUE(table.open(QIODevice::Append));
  table.write("gone.mp4,,,Ross,where did it go,neutral," + QByteArray::fromStdString(corpus->dialogues[0].key) + ",train\n");
  table.close();

  ui::MainWindow w(studio_test::headlessOptions("demo", root));
  w.resize(1400, 900);
  w.show();
  ASSERT_TRUE(waitFor([&] { return w.state().hasCorpus() && !w.busy(); }, 20000));

  ui::NewCorpusDialog* d = w.newCorpusDialog();
  // Nothing chosen yet: Extract says what is missing and starts nothing.
  EXPECT_FALSE(d->startExtraction(&error));
  EXPECT_TRUE(error.contains("utterance table") || error.contains("MELD.Raw")) << error.toStdString();
  d->setInput(ui::NewCorpusDialog::Input::Table, root + "/table.csv");
  d->setOutput(root + "/mine");
  d->setThreads(2);
  ASSERT_TRUE(d->startExtraction(&error)) << error.toStdString();
  EXPECT_FALSE(d->extractButton()->isEnabled());
  EXPECT_TRUE(d->cancelButton()->isEnabled());
  ASSERT_TRUE(waitFor([&] { return !d->job()->busy(); }, 120000));
  EXPECT_TRUE(d->statusText().startsWith("Done")) << d->statusText().toStdString();
  EXPECT_TRUE(d->problems()->toPlainText().contains("gone.mp4")) << d->problems()->toPlainText().toStdString();
  EXPECT_TRUE(d->trainButton()->isVisible());
  studio_test::saveShotTo(d, MLSAN_TEST_OUTPUT_DIR, "new_corpus_from_videos.png");

  // Open and train: the corpus opens, and the Training panel runs ML-SAN and MultiEMO (1 epoch).
  w.trainingPanel()->form()->setEpochs(1);
  w.trainingPanel()->form()->setThreads(1);
  w.trainingPanel()->form()->setParallel(2);
  w.trainingPanel()->form()->setSeeds("1");
  d->trainButton()->click();
  ASSERT_TRUE(waitFor([&] { return w.state().hasCorpus() && w.state().corpus()->numUtterances() == corpus->numUtterances() + 1; }, 20000));
  EXPECT_EQ(w.state().corpus()->dimVisual, 560);
  ASSERT_TRUE(waitFor([&] { return w.trainingPanel()->busy(); }, 10000)) << w.lastError().toStdString();
  ASSERT_TRUE(waitFor([&] { return !w.trainingPanel()->busy(); }, 300000));
  ASSERT_EQ(w.trainingPanel()->tasks().size(), 2u);
  for (const auto& t : w.trainingPanel()->tasks()) EXPECT_EQ(t.state, experiments::TaskState::Done) << t.message;
}

// Episode mode on the demo corpus: the episode is rendered and joined on first use, plays as
// one video, and every view follows the playhead; between utterances nobody is speaking.
TEST(StudioEpisode, TheDemoEpisodePlaysContinuouslyAndEveryViewFollowsThePlayhead) {
  QTemporaryDir dir;
  // The demo clips' cache, for this test only.
  const QByteArray previousCache = qgetenv("MLSAN_CACHE_DIR");
  const bool hadCache = qEnvironmentVariableIsSet("MLSAN_CACHE_DIR");
  struct Restore {
    QByteArray value;
    bool set;
    ~Restore() { set ? qputenv("MLSAN_CACHE_DIR", value) : qunsetenv("MLSAN_CACHE_DIR"); }
  } restore{previousCache, hadCache};
  qputenv("MLSAN_CACHE_DIR", (dir.path() + "/cache").toUtf8());
  ui::MainWindow w(studio_test::headlessOptions("demo", dir.path()));
  w.resize(1400, 900);
  w.show();
  ASSERT_TRUE(waitFor([&] { return w.state().hasCorpus() && !w.busy(); }, 20000));
  // An utterance of the second episode (dialogues 18-35).
  w.state().setCurrent(20, 0);
  w.playEpisode();
  ASSERT_TRUE(waitFor([&] { return w.player()->episodeMode(); }, 180000)) << w.statusText().toStdString();
  const data::Episode& e = w.player()->episode();
  EXPECT_EQ(e.title(), "S01E02");
  EXPECT_NEAR(w.player()->duration(), e.end() + 1.0, 0.2);
  const int start = e.spanOf(20, 0);
  ASSERT_GE(start, 0);
  EXPECT_NEAR(w.player()->position(), e.spans[static_cast<std::size_t>(start)].start, 0.1);

  // Seeking into an utterance selects it, in the browser's state and every view.
  const data::EpisodeSpan& s = e.spans[static_cast<std::size_t>(start + 7)];
  w.player()->seek((s.start + s.end) / 2);
  EXPECT_EQ(w.state().currentDialogue(), s.dialogue);
  EXPECT_EQ(w.state().currentUtterance(), s.utterance);
  EXPECT_FALSE(w.state().nobodySpeaking());
  // Between two utterances: nobody is speaking, and the views say so.
  w.player()->seek(s.end + 0.15);
  EXPECT_TRUE(w.state().nobodySpeaking());
  EXPECT_TRUE(w.utterancePanel()->saysNobodySpeaking());
  EXPECT_TRUE(w.player()->currentFrame().pixelColor(160, 120).lightness() < 120);  // the dimmed still
  studio_test::saveShotTo(&w, MLSAN_TEST_OUTPUT_DIR, "episode_nobody_speaking.png");
  // Selecting an utterance of the episode elsewhere seeks to it.
  const data::EpisodeSpan& far = e.spans[static_cast<std::size_t>(start + 20)];
  w.state().setCurrent(far.dialogue, far.utterance);
  EXPECT_TRUE(w.player()->episodeMode());
  EXPECT_NEAR(w.player()->position(), far.start, 0.1);
  EXPECT_FALSE(w.state().nobodySpeaking());
  // Playing on: the selection moves with the playhead into the next utterance.
  const data::EpisodeSpan& next = e.spans[static_cast<std::size_t>(start + 21)];
  w.player()->seek(far.end - 0.1);
  w.player()->play();
  ASSERT_TRUE(waitFor([&] { return w.state().currentUtterance() == next.utterance && w.state().currentDialogue() == next.dialogue; },
                      8000))
      << w.player()->position();
  w.player()->pause();
  studio_test::saveShotTo(&w, MLSAN_TEST_OUTPUT_DIR, "episode_following.png");
  // Back to the utterance's own clip.
  w.player()->leaveEpisodeButton()->click();
  EXPECT_FALSE(w.player()->episodeMode());
  EXPECT_LT(w.player()->duration(), 7.0);
  // The episode is in the cache now: a second time opens at once.
  w.playEpisode();
  ASSERT_TRUE(waitFor([&] { return w.player()->episodeMode(); }, 5000));
}

// A corpus `mlsan extract` made from one long video and its subtitles opens in episode mode:
// the utterances are spans of that video.
TEST(StudioEpisode, ACorpusOfSpansOfOneVideoPlaysAsAnEpisode) {
  QTemporaryDir dir;
  const std::string root = dir.path().toStdString();
  std::string error;
  ASSERT_TRUE(clip_fixtures::writeToneClip(root + "/talk.mp4", 8.0, 16000, 0, 160, 120, &error)) << error;
  QFile srt(dir.filePath("talk.srt"));
  ASSERT_TRUE(srt.open(QIODevice::WriteOnly));
  srt.write("1\n00:00:00,500 --> 00:00:02,500\nANN: First.\n\n2\n00:00:04,000 --> 00:00:06,000\nBOB: Second.\n");
  srt.close();
  extract::ExtractOptions opt;
  opt.outDir = root + "/corpus";
  extract::runExtraction(extract::planFromSource(extract::readSrt(root + "/talk.mp4", root + "/talk.srt")),
                         extract::builtinExtractors(), opt);

  ui::MainWindow w(studio_test::headlessOptions(QString::fromStdString(opt.outDir), dir.path()));
  w.show();
  ASSERT_TRUE(waitFor([&] { return w.state().hasCorpus() && !w.busy() && w.state().currentRow() >= 0; }, 20000));
  EXPECT_TRUE(w.player()->episodeMode()) << w.player()->placeholderText().toStdString();
  EXPECT_EQ(w.player()->episode().spans.size(), 2u);
  EXPECT_NEAR(w.player()->position(), 0.5, 0.15);
  w.player()->seek(3.0);
  EXPECT_TRUE(w.state().nobodySpeaking());
  w.player()->seek(5.0);
  EXPECT_FALSE(w.state().nobodySpeaking());
  EXPECT_EQ(w.state().currentUtterance(), 1);
  EXPECT_TRUE(w.utterancePanel()->transcriptText().contains("Second"));
}
