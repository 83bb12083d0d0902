// SPDX-License-Identifier: GPL-3.0-or-later
// The player's media layer on clips the tests make themselves with the ffmpeg command line
// (lavfi test sources), including a truncated file, a file with no audio track and a file
// that is not a video at all; the clip encoder; and the demo corpus's rendered clips.
#include <gtest/gtest.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QPainter>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <cmath>

#include "mlsan/data/demo_corpus.h"
#include "mlsan/ui/clip_decoder.h"
#include "mlsan/media/clip_writer.h"
#include "mlsan/ui/rgb_image.h"
#include "mlsan/ui/demo_clips.h"
#include "mlsan/ui/face_detector.h"

using namespace mlsan;

namespace {

/// Runs the ffmpeg command line; fails the test if it is missing or fails.
void ffmpeg(const QStringList& args) {
  const QString exe = QStandardPaths::findExecutable("ffmpeg");
  ASSERT_FALSE(exe.isEmpty()) << "the ffmpeg command line is needed (packaging/install-deps.sh installs it)";
  QProcess p;
  p.start(exe, QStringList{"-hide_banner", "-loglevel", "error", "-y"} + args);
  ASSERT_TRUE(p.waitForFinished(60000));
  ASSERT_EQ(p.exitCode(), 0) << p.readAllStandardError().toStdString();
}

QString makeClip(const QTemporaryDir& dir, const QString& name, bool audio, bool faststart = false) {
  const QString path = dir.filePath(name);
  QStringList args{"-f", "lavfi", "-i", "testsrc=duration=2:size=320x240:rate=25"};
  if (audio) args << "-f" << "lavfi" << "-i" << "sine=frequency=440:duration=2:sample_rate=44100";
  args << "-c:v" << "mpeg4" << "-q:v" << "5";
  if (audio) args << "-c:a" << "aac" << "-b:a" << "64k";
  if (faststart) args << "-movflags" << "+faststart";
  args << path;
  ffmpeg(args);
  return path;
}

int countFrames(ui::ClipDecoder& dec, double* last = nullptr) {
  QImage img;
  double t = 0;
  int n = 0;
  while (dec.nextFrame(&img, &t)) ++n;
  if (last) *last = t;
  return n;
}

}  // namespace

TEST(ClipDecoder, DecodesVideoFramesAndTheAudioTrack) {
  QTemporaryDir dir;
  const QString clip = makeClip(dir, "full.mp4", true);
  ui::ClipDecoder dec;
  ASSERT_TRUE(dec.open(clip)) << dec.error().toStdString();
  EXPECT_TRUE(dec.hasVideo());
  EXPECT_TRUE(dec.hasAudio());
  EXPECT_NEAR(dec.duration(), 2.0, 0.1);
  EXPECT_NEAR(dec.frameRate(), 25.0, 0.01);
  EXPECT_EQ(dec.frameSize(), QSize(320, 240));
  QImage first;
  double t = -1;
  ASSERT_TRUE(dec.nextFrame(&first, &t));
  EXPECT_EQ(first.size(), QSize(320, 240));
  EXPECT_NEAR(t, 0.0, 1e-6);
  // testsrc is colourful: not a blank frame.
  EXPECT_NE(first.pixelColor(40, 40), first.pixelColor(280, 40));
  double last = 0;
  EXPECT_EQ(countFrames(dec, &last) + 1, 50);
  EXPECT_NEAR(last, 1.96, 0.01);

  ui::AudioTrack audio;
  ASSERT_TRUE(dec.decodeAudio(&audio, 16000));
  EXPECT_EQ(audio.sampleRate, 16000);
  EXPECT_NEAR(audio.seconds(), 2.0, 0.1);
  // A sine at 440 Hz: amplitude ~0.125 (lavfi's default), steady in the middle.
  ASSERT_GT(audio.envelope.size(), 150u);
  EXPECT_NEAR(audio.envelope[100], 0.125, 0.03);
  EXPECT_TRUE(dec.warning().isEmpty()) << dec.warning().toStdString();
}

TEST(ClipDecoder, SeeksToTheFrameShowingATime) {
  QTemporaryDir dir;
  const QString clip = makeClip(dir, "seek.mp4", false);
  ui::ClipDecoder dec;
  ASSERT_TRUE(dec.open(clip));
  QImage img;
  double t = 0;
  for (double target : {1.2, 0.4, 1.96, 0.0}) {
    ASSERT_TRUE(dec.seek(target));
    ASSERT_TRUE(dec.nextFrame(&img, &t)) << target;
    EXPECT_NEAR(t, target, 0.021) << target;
  }
}

TEST(ClipDecoder, AClipWithNoAudioTrackStillPlaysItsVideo) {
  QTemporaryDir dir;
  const QString clip = makeClip(dir, "silent.mp4", false);
  ui::ClipDecoder dec;
  ASSERT_TRUE(dec.open(clip));
  EXPECT_TRUE(dec.hasVideo());
  EXPECT_FALSE(dec.hasAudio());
  ui::AudioTrack audio;
  EXPECT_FALSE(dec.decodeAudio(&audio));
  EXPECT_TRUE(audio.pcm.empty());
  EXPECT_EQ(countFrames(dec), 50);
}

TEST(ClipDecoder, ATruncatedClipGivesTheFramesBeforeTheDamageAndAWarning) {
  QTemporaryDir dir;
  const QString clip = makeClip(dir, "whole.mp4", true, /*faststart=*/true);
  QFile f(clip);
  ASSERT_TRUE(f.open(QIODevice::ReadOnly));
  const QByteArray bytes = f.readAll();
  f.close();
  const QString cut = dir.filePath("cut.mp4");
  QFile out(cut);
  ASSERT_TRUE(out.open(QIODevice::WriteOnly));
  out.write(bytes.left(bytes.size() / 2));
  out.close();

  ui::ClipDecoder dec;
  ASSERT_TRUE(dec.open(cut)) << dec.error().toStdString();
  const int frames = countFrames(dec);
  EXPECT_GT(frames, 5);
  EXPECT_LT(frames, 50);
  EXPECT_TRUE(dec.warning().contains(cut)) << dec.warning().toStdString();
  ui::AudioTrack audio;
  dec.decodeAudio(&audio);
  EXPECT_LT(audio.seconds(), 1.9);
}

TEST(ClipDecoder, AClipCutBeforeItsIndexOrNotAVideoFailsNamingTheFile) {
  QTemporaryDir dir;
  // Without faststart the index (moov) is at the end: half a file cannot be opened at all.
  const QString clip = makeClip(dir, "moov-at-end.mp4", true);
  QFile f(clip);
  ASSERT_TRUE(f.open(QIODevice::ReadWrite));
  f.resize(f.size() / 2);
  f.close();
  ui::ClipDecoder dec;
  EXPECT_FALSE(dec.open(clip));
  EXPECT_TRUE(dec.error().startsWith(clip)) << dec.error().toStdString();
  EXPECT_FALSE(dec.isOpen());

  const QString junk = dir.filePath("junk.mp4");
  QFile j(junk);
  ASSERT_TRUE(j.open(QIODevice::WriteOnly));
  j.write(QByteArray(4096, 'x'));
  j.close();
  EXPECT_FALSE(dec.open(junk));
  EXPECT_TRUE(dec.error().startsWith(junk)) << dec.error().toStdString();
  EXPECT_FALSE(dec.open(dir.filePath("missing.mp4")));
  EXPECT_TRUE(dec.error().contains("missing.mp4"));
}

TEST(ClipEncoder, WritesAClipTheDecoderReadsBackAndLeavesNoPartialFile) {
  QTemporaryDir dir;
  media::ClipContent clip;
  clip.fps = 10;
  for (int i = 0; i < 12; ++i) {
    QImage img(160, 120, QImage::Format_RGB888);
    img.fill(QColor(20 * i, 100, 200 - 10 * i));
    clip.frames.push_back(ui::toRgbImage(img));
  }
  clip.sampleRate = 22050;
  for (int i = 0; i < 22050; ++i) clip.audio.push_back(0.5f * std::sin(2 * 3.14159265f * 300 * i / 22050.0f));
  const QString path = dir.filePath("enc.mp4");
  std::string error;
  ASSERT_TRUE(media::writeClip(path.toStdString(), clip, &error)) << error;
  EXPECT_FALSE(QFileInfo::exists(path + ".part"));
  ui::ClipDecoder dec;
  ASSERT_TRUE(dec.open(path)) << dec.error().toStdString();
  EXPECT_EQ(dec.frameSize(), QSize(160, 120));
  QImage img;
  double t = 0;
  ASSERT_TRUE(dec.nextFrame(&img, &t));
  const QColor c = img.pixelColor(80, 60);
  EXPECT_NEAR(c.green(), 100, 12);
  EXPECT_NEAR(c.blue(), 200, 12);
  EXPECT_EQ(countFrames(dec) + 1, 12);
  ui::AudioTrack audio;
  ASSERT_TRUE(dec.decodeAudio(&audio, 22050));
  EXPECT_NEAR(audio.seconds(), 1.0, 0.1);
  EXPECT_NEAR(audio.envelope[50], 0.5, 0.1);

  // Nothing to write: an error naming the file, and no file at all.
  EXPECT_FALSE(media::writeClip(dir.filePath("empty.mp4").toStdString(), media::ClipContent{}, &error));
  EXPECT_NE(error.find("empty.mp4"), std::string::npos);
  EXPECT_FALSE(QFileInfo::exists(dir.filePath("empty.mp4")));
  EXPECT_FALSE(QFileInfo::exists(dir.filePath("empty.mp4.part")));
  // An unwritable place: an error, nothing left behind.
  EXPECT_FALSE(media::writeClip(dir.filePath("no/such/folder/x.mp4").toStdString(), clip, &error));
  EXPECT_NE(error.find("x.mp4"), std::string::npos);
}

TEST(DemoClips, TheFaceShowsWhatTheVisualFeaturesShowAndTheCacheRendersOnce) {
  data::DemoConfig cfg;
  cfg.dialogues = 12;
  data::DemoTruth truth;
  auto corpus = std::make_shared<const data::Corpus>(data::makeDemoCorpus(cfg, &truth));
  ASSERT_EQ(truth.visualShows.size(), corpus->numUtterances());
  // The same generator with and without the truth: the same corpus.
  EXPECT_EQ(data::makeDemoCorpus(cfg).signature(), corpus->signature());

  // Two utterances whose faces show different emotions render different faces.
  int a = -1, b = -1;
  for (std::size_t r = 0; r < truth.visualShows.size(); ++r) {
    if (truth.visualShows[r] == 4 && a < 0) a = static_cast<int>(r);
    if (truth.visualShows[r] == 3 && b < 0) b = static_cast<int>(r);
  }
  auto locate = [&](int row, int* d, int* u) {
    for (std::size_t i = 0; i < corpus->dialogues.size(); ++i) {
      const auto& dl = corpus->dialogues[i];
      if (row >= static_cast<int>(dl.firstRow) && row < static_cast<int>(dl.firstRow + dl.size())) {
        *d = static_cast<int>(i); *u = row - static_cast<int>(dl.firstRow); return;
      }
    }
  };
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  int da = -1, ua = -1, db = -1, ub = -1;
  locate(a, &da, &ua);
  locate(b, &db, &ub);
  const ui::ClipContent joy = ui::renderDemoClip(*corpus, truth, da, ua);
  const ui::ClipContent sad = ui::renderDemoClip(*corpus, truth, db, ub);
  ASSERT_FALSE(joy.frames.empty());
  ASSERT_FALSE(joy.audio.empty());
  const auto& ud = corpus->dialogues[da].utterances[ua];
  EXPECT_NEAR(joy.frames.size() / double(joy.fps), ud.endSeconds - ud.startSeconds, 0.1);
  EXPECT_NEAR(joy.audio.size() / double(joy.sampleRate), ud.endSeconds - ud.startSeconds, 0.01);
  EXPECT_NE(joy.frames.back().rgb, sad.frames.back().rgb);
  // The same utterance renders the same clip.
  EXPECT_EQ(ui::renderDemoClip(*corpus, truth, da, ua).frames.back().rgb, joy.frames.back().rgb);

  QTemporaryDir dir;
  ui::DemoClipCache cache(corpus, cfg, truth, dir.path());
  QString error;
  const QString path = cache.clipFor(da, ua, &error);
  ASSERT_FALSE(path.isEmpty()) << error.toStdString();
  EXPECT_TRUE(path.startsWith(dir.path()));
  const QDateTime written = QFileInfo(path).lastModified();
  EXPECT_EQ(cache.clipFor(da, ua, &error), path);
  EXPECT_EQ(QFileInfo(path).lastModified(), written);
  ui::ClipDecoder dec;
  ASSERT_TRUE(dec.open(path));
  EXPECT_TRUE(dec.hasAudio());
  EXPECT_EQ(dec.frameSize(), QSize(320, 240));
}

TEST(DemoClips, ContactSheetOfTheSevenExpressions) {
  // One face per emotion the visual features can show, saved for a person to look at.
  data::DemoConfig cfg;
  cfg.dialogues = 40;
  data::DemoTruth truth;
  const data::Corpus corpus = data::makeDemoCorpus(cfg, &truth);
  QImage sheet(4 * 320, 2 * 240, QImage::Format_RGB888);
  sheet.fill(Qt::black);
  QPainter g(&sheet);
  int placed = 0;
  for (int emotion = -1; emotion < 7; ++emotion) {
    for (std::size_t di = 0; di < corpus.dialogues.size(); ++di) {
      const auto& d = corpus.dialogues[di];
      int found = -1;
      for (std::size_t u = 0; u < d.size() && found < 0; ++u)
        if (truth.visualShows[d.firstRow + u] == emotion) found = static_cast<int>(u);
      if (found < 0) continue;
      const ui::ClipContent clip = ui::renderDemoClip(corpus, truth, static_cast<int>(di), found);
      g.drawImage(QPoint((placed % 4) * 320, (placed / 4) * 240), ui::toQImage(clip.frames.back()));
      const QString label = emotion < 0 ? QStringLiteral("no face") : QString::fromStdString(corpus.labels.labels[emotion]);
      g.setPen(Qt::black);
      g.drawText(QRect((placed % 4) * 320 + 6, (placed / 4) * 240 + 4, 200, 20), label);
      ++placed;
      break;
    }
  }
  g.end();
  EXPECT_EQ(placed, 8);
  QDir().mkpath(MLSAN_TEST_OUTPUT_DIR);
  EXPECT_TRUE(sheet.save(QStringLiteral(MLSAN_TEST_OUTPUT_DIR) + "/demo_faces.png"));
}

TEST(FaceDetector, FindsTheFaceInDemoClipsAndNoneInTheTestPattern) {
  ui::FaceDetector faces;
  ASSERT_TRUE(faces.ok()) << "OpenCV's haarcascade_frontalface_default.xml is needed (opencv-data)";
  data::DemoConfig cfg;
  cfg.dialogues = 6;
  data::DemoTruth truth;
  const data::Corpus corpus = data::makeDemoCorpus(cfg, &truth);
  int tried = 0, found = 0;
  for (std::size_t di = 0; di < corpus.dialogues.size() && tried < 40; ++di)
    for (std::size_t u = 0; u < corpus.dialogues[di].size(); ++u) {
      if (truth.visualShows[corpus.dialogues[di].firstRow + u] < 0) continue;
      const ui::ClipContent clip = ui::renderDemoClip(corpus, truth, static_cast<int>(di), static_cast<int>(u));
      const QRectF box = faces.detect(ui::toQImage(clip.frames[clip.frames.size() / 2]));
      ++tried;
      if (box.isEmpty()) continue;
      ++found;
      // The box lies on the drawn face, which is centred.
      EXPECT_NEAR(box.center().x(), 160, 40);
      EXPECT_NEAR(box.center().y(), 120, 50);
    }
  ASSERT_GT(tried, 10);
  EXPECT_GE(found, tried * 8 / 10) << found << " of " << tried;
  std::printf("face found in %d of %d demo frames\n", found, tried);
  QImage blank(320, 240, QImage::Format_RGB888);
  blank.fill(QColor(90, 120, 160));
  EXPECT_TRUE(faces.detect(blank).isEmpty());
}
