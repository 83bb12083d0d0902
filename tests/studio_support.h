// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Helpers shared by the tests that drive the studio's window (test_studio.cpp and the user
// guide's pictures, test_user_guide.cpp).
#include <gtest/gtest.h>

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QImage>
#include <QSet>
#include <QSortFilterProxyModel>
#include <QTest>
#include <QTreeView>
#include <QWidget>

#include "mlsan/ui/corpus_tree_model.h"
#include "mlsan/ui/main_window.h"
#include "mlsan/ui/training_form.h"

namespace studio_test {

/// Processes events until `ready()` or the timeout; false on timeout.
template <class F>
bool waitFor(F ready, int timeoutMs = 120000) {
  QElapsedTimer t;
  t.start();
  while (!ready()) {
    if (t.elapsed() > timeoutMs) return false;
    QTest::qWait(20);
  }
  return true;
}

/// Distinct colours in a picture: a blank or nearly blank view has very few.
inline int distinctColours(const QImage& img) {
  QSet<QRgb> seen;
  for (int y = 0; y < img.height(); y += 3)
    for (int x = 0; x < img.width(); x += 3) seen.insert(img.pixel(x, y));
  return static_cast<int>(seen.size());
}

/// Grabs `w` to DIR/NAME (after letting deferred layout and drawing finish) and fails the
/// test if the picture cannot be written or looks blank.
inline void saveShotTo(QWidget* w, const QString& dir, const QString& name) {
  QDir().mkpath(dir);
  for (int i = 0; i < 5; ++i) QApplication::processEvents();
  const QImage img = w->grab().toImage();
  EXPECT_TRUE(img.save(dir + "/" + name)) << (dir + "/" + name).toStdString();
  EXPECT_GT(distinctColours(img), 12) << name.toStdString() << " looks blank";
}

/// A headless window's options: no demo models, no settings, no dialogs; cache and runs in `root`.
inline mlsan::ui::StudioOptions headlessOptions(const QString& corpus, const QString& root) {
  mlsan::ui::StudioOptions so;
  so.corpus = corpus;
  so.trainDemoModels = false;
  so.useSettings = false;
  so.errorDialogs = false;
  so.cacheRoot = root + "/cache";
  so.runsRoot = root + "/runs";
  so.relianceDraws = 8;  // quick; the views do not depend on it
  return so;
}

/// Fills the Training panel's form for one ML-SAN configuration on the demo corpus.
inline void describeSingleRun(mlsan::ui::TrainingForm* form, int epochs, const QString& seeds, int threads) {
  form->setKind(mlsan::ui::TrainingForm::Kind::Single);
  form->setCorpus("demo");
  form->setVariant("mlsan");
  form->setEpochs(epochs);
  form->setSeeds(seeds);
  form->setThreads(threads);
}

/// Clicks the row of an utterance in the corpus tree (expanding its parents).
inline void clickUtterance(QTreeView* tree, int dialogue, int utterance) {
  auto* proxy = qobject_cast<QSortFilterProxyModel*>(tree->model());
  ASSERT_NE(proxy, nullptr);
  auto* model = qobject_cast<mlsan::ui::CorpusTreeModel*>(proxy->sourceModel());
  ASSERT_NE(model, nullptr);
  const QModelIndex idx = proxy->mapFromSource(model->utteranceIndex(dialogue, utterance));
  ASSERT_TRUE(idx.isValid());
  for (QModelIndex p = idx.parent(); p.isValid(); p = p.parent()) tree->expand(p);
  tree->scrollTo(idx);
  QApplication::processEvents();
  const QRect r = tree->visualRect(idx);
  ASSERT_TRUE(r.isValid());
  QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, r.center());
}

}  // namespace studio_test
