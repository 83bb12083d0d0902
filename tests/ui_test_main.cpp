// SPDX-License-Identifier: GPL-3.0-or-later
// main() of the Qt test executables: a QApplication on the offscreen platform (unless one is
// set), QtMultimedia's FFmpeg backend (its GStreamer one crashes without plugins), then
// GoogleTest. Tests that make a MainWindow turn its error dialogs off (StudioOptions::errorDialogs).
#include <gtest/gtest.h>

#include <QApplication>

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  if (qEnvironmentVariableIsEmpty("QT_MEDIA_BACKEND")) qputenv("QT_MEDIA_BACKEND", "ffmpeg");
  QApplication app(argc, argv);
  QApplication::setOrganizationName("mlsan-tests");
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
