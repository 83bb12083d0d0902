// SPDX-License-Identifier: GPL-3.0-or-later
// The corpus browser's item model (issue 4): Season > Episode > Dialogue > Utterance for MELD and
// the demo, Session > Dialogue > Utterance for IEMOCAP; checked for consistency by Qt's own
// QAbstractItemModelTester.
#include <gtest/gtest.h>

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QHeaderView>
#include <QTreeView>
#include <filesystem>
#include <memory>

#include "mlsan/data/corpus_source.h"
#include "mlsan/data/demo_corpus.h"
#include "mlsan/ui/corpus_tree_model.h"

using namespace mlsan;
using ui::CorpusTreeModel;

namespace {
std::shared_ptr<const data::Corpus> shared(data::Corpus c) { return std::make_shared<const data::Corpus>(std::move(c)); }

int countKind(const CorpusTreeModel& m, const QModelIndex& parent, CorpusTreeModel::NodeKind kind) {
  int n = 0;
  for (int r = 0; r < m.rowCount(parent); ++r) {
    const QModelIndex i = m.index(r, 0, parent);
    if (m.data(i, CorpusTreeModel::KindRole).toInt() == static_cast<int>(kind)) ++n;
    n += countKind(m, i, kind);
  }
  return n;
}
}  // namespace

TEST(CorpusTreeModel, DemoCorpusIsSeasonEpisodeDialogueUtterance) {
  data::DemoConfig cfg;
  cfg.dialogues = 60;
  const auto corpus = shared(data::makeDemoCorpus(cfg));
  CorpusTreeModel m(corpus);
  QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::Fatal);
  ASSERT_GE(m.rowCount(), 1);
  const QModelIndex season = m.index(0, 0);
  EXPECT_EQ(m.data(season).toString(), "Season 1");
  const QModelIndex episode = m.index(0, 0, season);
  EXPECT_EQ(m.data(episode).toString(), "Episode 1");
  EXPECT_EQ(m.rowCount(episode), 18);  // the demo's episodes hold 18 dialogues
  EXPECT_EQ(countKind(m, {}, CorpusTreeModel::NodeKind::Dialogue), 60);
  EXPECT_EQ(countKind(m, {}, CorpusTreeModel::NodeKind::Utterance), static_cast<int>(corpus->numUtterances()));
  // An utterance's index leads back to it, and its columns carry speaker and gold emotion.
  const auto& d = corpus->dialogues[5];
  const QModelIndex u = m.utteranceIndex(5, 1);
  ASSERT_TRUE(u.isValid());
  EXPECT_EQ(m.data(u, CorpusTreeModel::DialogueRole).toInt(), 5);
  EXPECT_EQ(m.data(u, CorpusTreeModel::UtteranceRole).toInt(), 1);
  EXPECT_EQ(m.data(u, CorpusTreeModel::CorpusRowRole).toLongLong(), static_cast<qlonglong>(d.firstRow + 1));
  EXPECT_EQ(m.data(u.siblingAtColumn(CorpusTreeModel::Speaker)).toString().toStdString(), corpus->speakers[d.utterances[1].speaker]);
  EXPECT_EQ(m.data(u.siblingAtColumn(CorpusTreeModel::Emotion)).toString().toStdString(), corpus->labels.labels[d.utterances[1].label]);
  EXPECT_EQ(m.parent(u), m.dialogueIndex(5));
  EXPECT_FALSE(m.utteranceIndex(5, 999).isValid());
}

TEST(CorpusTreeModel, RealMeldAndIemocapGroupings) {
  const std::string dataDir = MLSAN_TEST_DATA_DIR;
  data::CorpusSource meld;
  meld.path = dataDir + "/meld";
  const auto mc = shared(data::openCorpus(meld));
  CorpusTreeModel m(mc);
  QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::Fatal);
  EXPECT_EQ(m.data(m.index(0, 0)).toString(), "Season 1");
  EXPECT_EQ(m.rowCount(), 9);  // MELD draws on seasons 1-9 of Friends
  EXPECT_EQ(m.data(m.index(8, 0)).toString(), "Season 9");
  EXPECT_EQ(countKind(m, {}, CorpusTreeModel::NodeKind::Dialogue), 1432);
  EXPECT_EQ(countKind(m, {}, CorpusTreeModel::NodeKind::Utterance), 13708);

  data::CorpusSource iemocap;
  iemocap.path = dataDir + "/conv-emotion-cosmic/iemocap.pkl";
  iemocap.useCache = false;
  const auto ic = shared(data::openCorpus(iemocap));
  CorpusTreeModel im(ic);
  QAbstractItemModelTester itester(&im, QAbstractItemModelTester::FailureReportingMode::Fatal);
  EXPECT_EQ(im.rowCount(), 5);  // five sessions
  EXPECT_EQ(im.data(im.index(0, 0)).toString(), "Session 1");
  EXPECT_EQ(countKind(im, {}, CorpusTreeModel::NodeKind::Dialogue), 151);
  EXPECT_EQ(im.data(im.index(0, 0, im.index(0, 0)), CorpusTreeModel::KindRole).toInt(),
            static_cast<int>(CorpusTreeModel::NodeKind::Dialogue));
}

// A picture to look at: the browser tree over the demo corpus, one episode open.
TEST(CorpusTreeModel, RendersInATreeView) {
  data::DemoConfig cfg;
  cfg.dialogues = 40;
  CorpusTreeModel m(shared(data::makeDemoCorpus(cfg)));
  QTreeView view;
  view.setModel(&m);
  view.resize(900, 520);
  view.expand(m.index(0, 0));
  view.expand(m.index(0, 0, m.index(0, 0)));
  view.expand(m.dialogueIndex(1));
  view.header()->resizeSection(0, 460);
  const QImage image = view.grab().toImage();
  ASSERT_FALSE(image.isNull());
  const std::string out = std::string(MLSAN_TEST_OUTPUT_DIR) + "/corpus_tree.png";
  std::filesystem::create_directories(MLSAN_TEST_OUTPUT_DIR);
  EXPECT_TRUE(image.save(QString::fromStdString(out))) << out;
}
