// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The fixture of the studio tests (test_studio.cpp, test_studio_views.cpp): one window for the
// whole suite, on the demo corpus, whose two demo models are trained once (one epoch each) into
// a temporary cache; every test then drives the same window.
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

namespace studio_test {

inline void saveShot(QWidget* w, const QString& name) { studio_test::saveShotTo(w, MLSAN_TEST_OUTPUT_DIR, name); }

class Studio : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cache = new QTemporaryDir;
    mlsan::ui::StudioOptions o;
    o.corpus = "demo";
    o.trainDemoModels = true;
    o.demoEpochs = 1;
    o.measureReliance = false;  // tests set reliance themselves: no run replaced behind their back
    o.relianceDraws = 8;        // the studio's reliance options (studioRelianceOptions): few draws, quick
    o.useSettings = false;
    o.errorDialogs = false;
    o.cacheRoot = cache->path();
    o.runsRoot = cache->path() + "/runs";
    window = new mlsan::ui::MainWindow(o);
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
  static mlsan::ui::StudioState& state() { return window->state(); }
  static QTreeView* tree() { return window->browser()->tree(); }

  /// Clicks the row of an utterance in the tree (expanding its parents).
  static void clickUtterance(int dialogue, int utterance) { studio_test::clickUtterance(tree(), dialogue, utterance); }

  inline static QTemporaryDir* cache = nullptr;
  inline static mlsan::ui::MainWindow* window = nullptr;
};

}  // namespace studio_test
