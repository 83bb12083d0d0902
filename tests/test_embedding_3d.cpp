// SPDX-License-Identifier: GPL-3.0-or-later
// The 3-D embedding view under a real X server (ctest runs this under xvfb-run): VTK renders
// through the Qt 6 QOpenGLWidget, the image is not blank and shows the points' colours,
// rotating changes it, and a click on a point emits its utterance. Screenshot saved.
#include <gtest/gtest.h>

#include <QApplication>
#include <QDir>
#include <QSet>
#include <QSignalSpy>
#include <QTest>
#include <cmath>
#include <random>

#include "mlsan/ui/embedding_job.h"
#include "mlsan/ui/embedding_view_3d.h"
#include "mlsan/ui/speaker_colors.h"

using namespace mlsan;

namespace {
int distinctColours(const QImage& img) {
  QSet<QRgb> seen;
  for (int y = 0; y < img.height(); y += 2)
    for (int x = 0; x < img.width(); x += 2) seen.insert(img.pixel(x, y) & 0xffffff);
  return static_cast<int>(seen.size());
}
bool hasColourNear(const QImage& img, const QColor& c) {
  for (int y = 0; y < img.height(); ++y)
    for (int x = 0; x < img.width(); ++x) {
      const QColor p = img.pixelColor(x, y);
      if (std::abs(p.red() - c.red()) + std::abs(p.green() - c.green()) + std::abs(p.blue() - c.blue()) < 40) return true;
    }
  return false;
}
}  // namespace

TEST(EmbeddingView3D, RendersRotatesAndPicksUnderX) {
  if (QGuiApplication::platformName() == "offscreen") GTEST_SKIP() << "needs an X server (ctest runs it under xvfb-run)";
  ASSERT_TRUE(ui::EmbeddingView3D::openGLAvailable()) << "no OpenGL on platform " << QGuiApplication::platformName().toStdString();
  auto corpus = std::make_shared<data::Corpus>();
  corpus->speakers = {"Ava", "Ben", "Chloe", "other"};
  corpus->labels.labels = {"neutral", "joy", "anger"};
  // Three well-separated clusters, one per speaker.
  auto map = std::make_shared<ui::EmbeddingMap>();
  map->dims = 3;
  map->final = true;
  std::mt19937 rng(3);
  std::normal_distribution<float> g(0, 1);
  for (int i = 0; i < 300; ++i) {
    const int s = i % 3;
    map->layout.insert(map->layout.end(), {20.0f * (s == 0) + g(rng), 20.0f * (s == 1) + g(rng), 20.0f * (s == 2) + g(rng)});
    map->speaker.push_back(s);
    map->emotion.push_back((i / 3) % 3);
    map->dialogue.push_back(i / 10);
    map->index.push_back(i % 10);
  }
  ui::EmbeddingView3D view;
  view.resize(640, 520);
  view.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&view));
  view.setMap(map, corpus, ui::EmbeddingMapView::ColourBy::Speaker, "synthetic 3-D map");
  EXPECT_TRUE(view.message().isEmpty()) << view.message().toStdString();
  EXPECT_EQ(view.points(), 300);
  QApplication::processEvents();
  const QImage a = view.renderImage();
  ASSERT_FALSE(a.isNull());
  EXPECT_GT(distinctColours(a), 20) << "the render looks blank";
  for (int s = 0; s < 3; ++s) EXPECT_TRUE(hasColourNear(a, ui::speakerColor(s, 4))) << "speaker " << s << "'s colour is missing";
  QDir().mkpath(MLSAN_TEST_OUTPUT_DIR);
  EXPECT_TRUE(a.save(QStringLiteral(MLSAN_TEST_OUTPUT_DIR "/embedding_3d.png")));
  // Rotating (as a drag does) changes the picture.
  view.rotate(60, 10);
  const QImage b = view.renderImage();
  EXPECT_NE(a, b);
  // A drag with the mouse rotates too.
  QWidget* gl = view.glWidget();
  ASSERT_NE(gl, nullptr);
  QTest::mousePress(gl, Qt::LeftButton, {}, QPoint(300, 260));
  QMouseEvent move(QEvent::MouseMove, QPointF(380, 240), gl->mapToGlobal(QPointF(380, 240)), Qt::NoButton, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(gl, &move);
  QTest::mouseRelease(gl, Qt::LeftButton, {}, QPoint(380, 240));
  const QImage c = view.renderImage();
  EXPECT_NE(b, c);
  // A click without dragging on a point picks it.
  QSignalSpy picked(&view, &ui::EmbeddingView3D::pointClicked);
  const QPoint at = view.pointPosition(123);
  ASSERT_TRUE(gl->rect().contains(at));
  QTest::mouseClick(gl, Qt::LeftButton, {}, at);
  ASSERT_EQ(picked.size(), 1);
  // The nearest drawn point may be another one on the same spot; it must be close in the layout.
  const int d = picked.front()[0].toInt(), u = picked.front()[1].toInt();
  const int row = d * 10 + u;
  double dist = 0;
  for (int k = 0; k < 3; ++k) dist += std::pow(map->layout[row * 3 + k] - map->layout[123 * 3 + k], 2);
  EXPECT_LT(std::sqrt(dist), 3.0) << "picked row " << row << " for row 123";
  // Colour by emotion: the other palette.
  view.setMap(map, corpus, ui::EmbeddingMapView::ColourBy::Emotion, "by emotion");
  EXPECT_GT(distinctColours(view.renderImage()), 20);
}
