// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/demo_clips.h"

#include "mlsan/data/atomic_file.h"
#include "mlsan/data/corpus_cache.h"
#include "mlsan/data/csv.h"
#include "mlsan/ui/rgb_image.h"

#include <QColor>
#include <QDir>
#include <QFileInfo>
#include <QPainter>
#include <QPainterPath>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

namespace mlsan::ui {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kWidth = 320, kHeight = 240, kFps = 15, kRate = 22050;

/// A face's expression, each parameter about -1..1 (eyeOpen around 1).
struct Expression {
  double mouthCurve = 0;   // + smile, - frown
  double mouthOpen = 0.1;  // 0 closed .. 1 wide
  double browRaise = 0;    // + raised, - lowered
  double browTilt = 0;     // + inner ends up (sad, afraid), - inner ends down (angry)
  double eyeOpen = 1;
  double wrinkle = 0;      // nose wrinkle (disgust)
  double flush = 0;        // red tint (anger)
};

// MELD's labels in MultiEMO's order: neutral, surprise, fear, sadness, joy, disgust, anger.
Expression expressionOf(int emotion) {
  Expression e;
  switch (emotion) {
    case 1: e.mouthOpen = 0.9; e.browRaise = 1.0; e.eyeOpen = 1.4; break;
    case 2: e.mouthCurve = -0.3; e.mouthOpen = 0.5; e.browRaise = 0.7; e.browTilt = 0.7; e.eyeOpen = 1.3; break;
    case 3: e.mouthCurve = -0.8; e.browTilt = 1.0; e.eyeOpen = 0.7; break;
    case 4: e.mouthCurve = 1.0; e.mouthOpen = 0.35; e.eyeOpen = 0.75; break;
    case 5: e.mouthCurve = -0.5; e.browRaise = -0.4; e.eyeOpen = 0.6; e.wrinkle = 1.0; break;
    case 6: e.mouthCurve = -0.4; e.mouthOpen = 0.3; e.browRaise = -0.8; e.browTilt = -1.0; e.eyeOpen = 0.85; e.flush = 1.0; break;
    default: break;
  }
  return e;
}

Expression mix(const Expression& a, const Expression& b, double t) {
  auto l = [t](double x, double y) { return x + (y - x) * t; };
  return {l(a.mouthCurve, b.mouthCurve), l(a.mouthOpen, b.mouthOpen), l(a.browRaise, b.browRaise),
          l(a.browTilt, b.browTilt),     l(a.eyeOpen, b.eyeOpen),     l(a.wrinkle, b.wrinkle),
          l(a.flush, b.flush)};
}

std::uint64_t mixHash(std::uint64_t x) {
  x ^= x >> 33; x *= 0xff51afd7ed558ccdULL; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ULL; x ^= x >> 33;
  return x;
}
double unit(std::uint64_t h) { return (h >> 11) * (1.0 / 9007199254740992.0); }

/// A speaker's look and voice, fixed by their identity.
struct Persona {
  QColor skin, hair, backdrop;
  double faceWidth = 1.0;
  double pitch = 160;  // Hz
};

Persona personaOf(std::uint64_t identity) {
  static const std::array<QColor, 6> skins = {QColor(241, 204, 170), QColor(224, 172, 130), QColor(198, 134, 90),
                                              QColor(141, 85, 54),   QColor(255, 219, 190), QColor(170, 110, 75)};
  static const std::array<QColor, 6> hairs = {QColor(40, 30, 25), QColor(110, 70, 35), QColor(200, 160, 80),
                                              QColor(150, 50, 30), QColor(90, 90, 95),   QColor(20, 20, 20)};
  const std::uint64_t h = mixHash(identity + 0x51ED);
  Persona p;
  p.skin = skins[h % skins.size()];
  p.hair = hairs[(h >> 8) % hairs.size()];
  p.backdrop = QColor::fromHsv(static_cast<int>((h >> 16) % 360), 40, 200);
  p.faceWidth = 0.88 + 0.24 * unit(mixHash(h + 1));
  p.pitch = 100 + 140 * unit(mixHash(h + 2));
  return p;
}

void drawFace(QPainter& g, const Persona& p, const Expression& e, double talk, const QString& name, double t) {
  g.fillRect(0, 0, kWidth, kHeight, p.backdrop);
  g.setRenderHint(QPainter::Antialiasing, true);
  const double cx = kWidth / 2.0 + 3 * std::sin(t * 1.7), cy = kHeight / 2.0 - 6;
  const double fw = 78 * p.faceWidth, fh = 96;
  // Hair, head, ears.
  g.setPen(Qt::NoPen);
  g.setBrush(p.hair);
  g.drawEllipse(QPointF(cx, cy - 16), fw + 8, fh - 8);
  QColor skin = p.skin;
  if (e.flush > 0) skin = QColor::fromRgbF(std::min(1.0, skin.redF() + 0.12 * e.flush), skin.greenF() * (1 - 0.12 * e.flush),
                                           skin.blueF() * (1 - 0.12 * e.flush));
  g.setBrush(skin);
  g.drawEllipse(QPointF(cx - fw, cy + 4), 10, 16);
  g.drawEllipse(QPointF(cx + fw, cy + 4), 10, 16);
  g.drawEllipse(QPointF(cx, cy + 8), fw, fh - 10);
  // Eyes.
  const double eyeY = cy - 8, eyeDx = 28 * p.faceWidth;
  const double eh = std::max(1.5, 9 * e.eyeOpen);
  for (int side : {-1, 1}) {
    // Shaded eye sockets: the dark-eyes-over-bright-cheeks pattern a real face (and OpenCV's
    // face detector) has.
    g.setBrush(skin.darker(135));
    g.drawEllipse(QPointF(cx + side * eyeDx, eyeY - 2), 19, 14);
    g.setBrush(QColor(235, 230, 225));
    g.drawEllipse(QPointF(cx + side * eyeDx, eyeY), 11, eh);
    g.setBrush(QColor(45, 35, 30));
    g.drawEllipse(QPointF(cx + side * eyeDx, eyeY), 6, std::min(6.0, eh));
  }
  // Brows: raise moves them up, tilt lifts the inner ends.
  // Brows darker than the hair, so that fair-haired faces still have them.
  QPen brow(p.hair.lightness() > 100 ? p.hair.darker(250) : p.hair.darker(130), 6, Qt::SolidLine, Qt::RoundCap);
  g.setPen(brow);
  const double browY = eyeY - 20 - 8 * e.browRaise;
  for (int side : {-1, 1}) {
    const double inner = cx + side * (eyeDx - 14), outer = cx + side * (eyeDx + 14);
    g.drawLine(QPointF(inner, browY - 7 * e.browTilt), QPointF(outer, browY + 3 * e.browTilt));
  }
  // Nose (and its wrinkle).
  g.setPen(QPen(skin.darker(140), 3, Qt::SolidLine, Qt::RoundCap));
  g.drawLine(QPointF(cx, eyeY + 8), QPointF(cx - 4, eyeY + 30));
  g.drawLine(QPointF(cx - 4, eyeY + 30), QPointF(cx + 5, eyeY + 32));
  if (e.wrinkle > 0.1) {
    g.setPen(QPen(skin.darker(160), 2));
    for (int k = 0; k < 3; ++k) g.drawLine(QPointF(cx - 9, eyeY + 12 + 4 * k), QPointF(cx + 9, eyeY + 12 + 4 * k));
  }
  // Mouth: a curve whose corners rise with mouthCurve, opening with the emotion and the voice.
  const double my = cy + 44, mw = 30 + 6 * std::max(0.0, e.mouthCurve);
  const double open = std::clamp(e.mouthOpen * 0.6 + talk * 0.7, 0.0, 1.2) * 18;
  const double corner = -12 * e.mouthCurve;
  QPainterPath upper, lower;
  upper.moveTo(cx - mw, my + corner);
  upper.quadTo(cx, my - 4 * e.mouthCurve, cx + mw, my + corner);
  lower.moveTo(cx - mw, my + corner);
  lower.quadTo(cx, my + 12 * e.mouthCurve + open + 2, cx + mw, my + corner);
  QPainterPath mouth = upper;
  mouth.connectPath(lower.toReversed());
  g.setPen(QPen(QColor(120, 40, 40), 3, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
  g.setBrush(open > 2 ? QColor(90, 20, 25) : Qt::NoBrush);
  g.drawPath(mouth);
  // Name plate.
  g.setPen(Qt::NoPen);
  g.setBrush(QColor(0, 0, 0, 150));
  g.drawRect(QRectF(0, kHeight - 26, kWidth, 26));
  g.setPen(Qt::white);
  QFont f = g.font();
  f.setPixelSize(15);
  g.setFont(f);
  g.drawText(QRectF(8, kHeight - 26, kWidth - 16, 26), Qt::AlignVCenter | Qt::AlignLeft, name);
}

void drawNoFace(QPainter& g, const Persona& p, const QString& name) {
  g.fillRect(0, 0, kWidth, kHeight, p.backdrop.darker(150));
  g.setPen(Qt::white);
  QFont f = g.font();
  f.setPixelSize(16);
  g.setFont(f);
  g.drawText(QRectF(0, 0, kWidth, kHeight), Qt::AlignCenter, QStringLiteral("(no face in view)\n%1").arg(name));
}

/// How the voice carries an emotion: pitch factor at start and end, loudness, tremolo, roughness.
struct Prosody {
  double pitchStart = 1, pitchEnd = 1, loud = 0.5, tremolo = 0, rough = 0;
};
Prosody prosodyOf(int emotion) {
  switch (emotion) {
    case 1: return {1.15, 1.6, 0.6, 0, 0};
    case 2: return {1.25, 1.3, 0.35, 0.5, 0};
    case 3: return {0.95, 0.75, 0.25, 0, 0};
    case 4: return {1.2, 1.35, 0.65, 0, 0};
    case 5: return {0.85, 0.8, 0.4, 0, 0.4};
    case 6: return {1.1, 1.0, 0.9, 0, 1.0};
    default: return {1.0, 0.95, 0.45, 0, 0};
  }
}

}  // namespace

ClipContent renderDemoClip(const data::Corpus& corpus, const data::DemoTruth& truth, int dialogue, int utterance) {
  const data::Dialogue& d = corpus.dialogues.at(static_cast<std::size_t>(dialogue));
  const data::Utterance& u = d.utterances.at(static_cast<std::size_t>(utterance));
  const std::size_t row = d.firstRow + static_cast<std::size_t>(utterance);
  const int extra = row < truth.extraOf.size() ? truth.extraOf[row] : -1;
  const data::DemoTruth::Speaker* sp = nullptr;
  if (extra >= 0 && extra < static_cast<int>(truth.extras.size())) sp = &truth.extras[static_cast<std::size_t>(extra)];
  else if (extra < 0 && u.speaker < static_cast<int>(truth.named.size())) sp = &truth.named[static_cast<std::size_t>(u.speaker)];
  const int faceShows = row < truth.visualShows.size() ? truth.visualShows[row] : u.label;
  const int voiceShows = row < truth.audioShows.size() ? truth.audioShows[row] : u.label;
  const Persona persona = personaOf(extra >= 0 ? 1000 + static_cast<std::uint64_t>(extra) : static_cast<std::uint64_t>(u.speaker));
  QString name = u.speaker >= 0 && u.speaker < static_cast<int>(corpus.speakers.size())
                     ? QString::fromStdString(corpus.speakers[static_cast<std::size_t>(u.speaker)])
                     : QStringLiteral("?");
  if (extra >= 0) name += QStringLiteral(" (extra %1)").arg(extra + 1);

  const double duration = std::clamp(u.endSeconds > u.startSeconds ? u.endSeconds - u.startSeconds : 2.0, 0.8, 6.0);
  const std::uint64_t seed = mixHash(row * 7919 + 17);
  ClipContent clip;
  clip.fps = kFps;
  clip.sampleRate = kRate;

  // Voice: a harmonic tone in the speaker's register, syllables at about 4 per second.
  const Prosody pr = prosodyOf(voiceShows);
  const double syllableRate = 3.2 + 1.6 * unit(seed);
  const std::size_t samples = static_cast<std::size_t>(duration * kRate);
  clip.audio.resize(samples);
  double phase = 0;
  for (std::size_t i = 0; i < samples; ++i) {
    const double t = static_cast<double>(i) / kRate, x = t / duration;
    double f0 = persona.pitch * (pr.pitchStart + (pr.pitchEnd - pr.pitchStart) * x);
    f0 *= 1 + 0.03 * std::sin(2 * kPi * 5.5 * t) + pr.tremolo * 0.06 * std::sin(2 * kPi * 9 * t);
    phase += 2 * kPi * f0 / kRate;
    double v = 0;
    for (int k = 1; k <= 6; ++k) v += std::sin(k * phase) / (k + (1 - pr.rough) * k * 0.8);
    const double syll = 0.5 - 0.5 * std::cos(2 * kPi * syllableRate * t);
    const double fade = std::min({1.0, t / 0.05, (duration - t) / 0.08});
    clip.audio[i] = static_cast<float>(0.45 * pr.loud * v * syll * std::max(0.0, fade));
  }

  // Face: the shown emotion, or the speaker's resting lean when the face shows neutral.
  Expression face = expressionOf(faceShows < 0 ? 0 : faceShows);
  if (faceShows == 0 && sp && sp->restingClass > 0) face = mix(face, expressionOf(sp->restingClass), 0.45);
  const int frames = std::max(1, static_cast<int>(std::lround(duration * kFps)));
  for (int f = 0; f < frames; ++f) {
    const double t = static_cast<double>(f) / kFps;
    const double syll = 0.5 - 0.5 * std::cos(2 * kPi * syllableRate * t);
    // Build into the expression over the first half second, as a face reacts.
    const Expression now = mix(expressionOf(0), face, std::min(1.0, 0.35 + t / 0.5));
    QImage img(kWidth, kHeight, QImage::Format_RGB888);
    QPainter g(&img);
    if (faceShows < 0) drawNoFace(g, persona, name);
    else drawFace(g, persona, now, syll * pr.loud, name, t);
    g.end();
    clip.frames.push_back(toRgbImage(img));
  }
  return clip;
}

DemoClipCache::DemoClipCache(std::shared_ptr<const data::Corpus> corpus, const data::DemoConfig& config,
                             const data::DemoTruth& truth, QString root)
    : corpus_(std::move(corpus)), truth_(truth) {
  if (root.isEmpty()) root = QString::fromStdString(data::defaultCacheDir()) + "/demo-clips";
  // One folder per corpus content and renderer version, so a changed generator never shows
  // stale clips.
  const QString sig = QString::fromStdString(corpus_->signature()).left(16);
  folder_ = QStringLiteral("%1/seed-%2-%3-v2").arg(root).arg(config.seed).arg(sig);
}

QString DemoClipCache::pathFor(int dialogue, int utterance) const {
  const auto& d = corpus_->dialogues.at(static_cast<std::size_t>(dialogue));
  return QStringLiteral("%1/dia%2_utt%3.mp4").arg(folder_, QString::fromStdString(d.key)).arg(utterance);
}

QString DemoClipCache::clipFor(int dialogue, int utterance, QString* error) const {
  const QString path = pathFor(dialogue, utterance);
  if (QFileInfo::exists(path)) return path;
  if (!QDir().mkpath(folder_)) {
    if (error) *error = folder_ + ": cannot create the demo clip folder";
    return {};
  }
  const ClipContent clip = renderDemoClip(*corpus_, truth_, dialogue, utterance);
  std::string why;
  if (!media::writeClip(path.toStdString(), clip, &why)) {
    if (error) *error = QString::fromStdString(why);
    return {};
  }
  return path;
}

QString DemoClipCache::episodeVideo(const data::Episode& episode, QString* error, const std::function<bool(int, int)>& progress) const {
  const QString path = QStringLiteral("%1/episode-%2.mp4").arg(folder_, QString::fromStdString(episode.title()));
  if (QFileInfo::exists(path)) return path;
  auto fail = [error](const QString& e) {
    if (error) *error = e;
    return QString();
  };
  if (episode.spans.empty()) return fail(QStringLiteral("%1: the episode has no timed utterances").arg(QString::fromStdString(episode.title())));
  if (!QDir().mkpath(folder_)) return fail(folder_ + ": cannot create the demo clip folder");
  // Between utterances: the stage, dimmed, saying so.
  QImage still(kWidth, kHeight, QImage::Format_RGB888);
  still.fill(QColor(40, 44, 52));
  {
    QPainter g(&still);
    g.setPen(QColor(200, 200, 200));
    QFont f = g.font();
    f.setPixelSize(16);
    g.setFont(f);
    g.drawText(QRectF(0, 0, kWidth, kHeight), Qt::AlignCenter,
               QStringLiteral("%1\n(nobody is speaking)").arg(QString::fromStdString(episode.title())));
  }
  const media::RgbImage gap = toRgbImage(still);
  media::ClipWriter w;
  if (!w.open(path.toStdString(), kWidth, kHeight, kFps, kRate)) return fail(QString::fromStdString(w.error()));
  const std::vector<float> silence(kRate / kFps, 0.0f);
  auto fillTo = [&](double t) {
    const long frames = std::lround(t * kFps), samples = std::lround(t * kRate);
    while (w.frames() < frames)
      if (!w.addFrame(gap)) return false;
    while (w.samples() < samples)
      if (!w.addAudio(silence.data(), static_cast<std::size_t>(std::min<long>(static_cast<long>(silence.size()), samples - w.samples()))))
        return false;
    return true;
  };
  const int total = static_cast<int>(episode.spans.size());
  for (int i = 0; i < total; ++i) {
    if (progress && !progress(i, total)) return fail(QStringLiteral("stopped"));
    const data::EpisodeSpan& s = episode.spans[static_cast<std::size_t>(i)];
    if (!fillTo(s.start)) return fail(QString::fromStdString(w.error()));
    const ClipContent clip = renderDemoClip(*corpus_, truth_, s.dialogue, s.utterance);
    for (const auto& f : clip.frames)
      if (!w.addFrame(f)) return fail(QString::fromStdString(w.error()));
    // The clip's audio is at 22,050 Hz like the episode's; its length matches its frames.
    const long want = std::lround(static_cast<double>(w.frames()) / kFps * kRate) - w.samples();
    std::vector<float> audio = clip.audio;
    audio.resize(static_cast<std::size_t>(std::max(0L, want)), 0.0f);
    if (!audio.empty() && !w.addAudio(audio.data(), audio.size())) return fail(QString::fromStdString(w.error()));
  }
  if (!fillTo(episode.end() + 1.0) || !w.finish()) return fail(QString::fromStdString(w.error()));
  if (progress) progress(total, total);
  return path;
}

bool DemoClipCache::writeUtteranceTable(const QString& csvPath, QString* error, const std::function<bool(int, int)>& progress) const {
  const int total = static_cast<int>(corpus_->numUtterances());
  int done = 0;
  data::CsvWriter w;
  w.row({"video", "start", "end", "speaker", "transcript", "emotion", "dialogue", "split"});
  for (std::size_t di = 0; di < corpus_->dialogues.size(); ++di) {
    const auto& d = corpus_->dialogues[di];
    for (std::size_t ui = 0; ui < d.size(); ++ui) {
      if (progress && !progress(done, total)) {
        if (error) *error = QStringLiteral("stopped");
        return false;
      }
      const QString clip = clipFor(static_cast<int>(di), static_cast<int>(ui), error);
      if (clip.isEmpty()) return false;
      const auto& u = d.utterances[ui];
      w.row({QFileInfo(clip).absoluteFilePath().toStdString(), "", "", corpus_->speakers.at(static_cast<std::size_t>(u.speaker)),
             u.transcript, u.label >= 0 ? corpus_->labels.labels.at(static_cast<std::size_t>(u.label)) : std::string(), d.key,
             data::splitName(d.split)});
      ++done;
    }
  }
  try {
    data::atomicWriteFile(csvPath.toStdString(), w.str());
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
    return false;
  }
  if (progress) progress(total, total);
  return true;
}

}  // namespace mlsan::ui
