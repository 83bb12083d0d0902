// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/clip_encoder.h"

#include <algorithm>
#include <cstdio>
#include <memory>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

namespace mlsan::ui {
namespace {

QString avError(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, buf, sizeof buf);
  return QString::fromUtf8(buf);
}

struct Output {
  AVFormatContext* fmt = nullptr;
  AVCodecContext* video = nullptr;
  AVCodecContext* audio = nullptr;
  AVStream* vst = nullptr;
  AVStream* ast = nullptr;
  SwsContext* sws = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* packet = nullptr;
  bool ioOpen = false;
  ~Output() {
    sws_freeContext(sws);
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&video);
    avcodec_free_context(&audio);
    if (fmt) {
      if (ioOpen) avio_closep(&fmt->pb);
      avformat_free_context(fmt);
    }
  }
};

// Sends one frame (or nullptr to flush) and writes every packet that comes out.
int encode(Output& o, AVCodecContext* ctx, AVStream* st, AVFrame* frame) {
  int rc = avcodec_send_frame(ctx, frame);
  if (rc < 0) return rc;
  for (;;) {
    rc = avcodec_receive_packet(ctx, o.packet);
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return 0;
    if (rc < 0) return rc;
    // A video packet lasts one frame; without a duration the MP4 index drops the last frame.
    if (o.packet->duration == 0 && ctx->codec_type == AVMEDIA_TYPE_VIDEO) o.packet->duration = 1;
    av_packet_rescale_ts(o.packet, ctx->time_base, st->time_base);
    o.packet->stream_index = st->index;
    rc = av_interleaved_write_frame(o.fmt, o.packet);
    if (rc < 0) return rc;
  }
}

}  // namespace

bool writeClip(const QString& path, const ClipContent& clip, QString* error) {
  av_log_set_level(AV_LOG_FATAL);  // problems are reported through `error`
  const QString part = path + ".part";
  const QByteArray partUtf8 = part.toUtf8();
  auto fail = [&](const QString& what) {
    if (error) *error = path + ": " + what;
    std::remove(partUtf8.constData());  // never leave a half-written file behind
    return false;
  };
  if (clip.frames.empty()) return fail("no frames to write");
  const int w = clip.frames.front().width() & ~1, h = clip.frames.front().height() & ~1;
  if (w < 16 || h < 16) return fail("frames too small");
  bool written = false;
  {
    Output o;
    int rc = avformat_alloc_output_context2(&o.fmt, nullptr, "mp4", partUtf8.constData());
    if (rc < 0 || !o.fmt) return fail("cannot set up an MP4 writer (" + avError(rc) + ")");
    o.frame = av_frame_alloc();
    o.packet = av_packet_alloc();

    const AVCodec* vc = avcodec_find_encoder(AV_CODEC_ID_MPEG4);
    if (!vc) return fail("FFmpeg has no MPEG-4 encoder");
    o.vst = avformat_new_stream(o.fmt, nullptr);
    o.video = avcodec_alloc_context3(vc);
    o.video->width = w;
    o.video->height = h;
    o.video->time_base = AVRational{1, clip.fps};
    o.video->framerate = AVRational{clip.fps, 1};
    o.video->pix_fmt = AV_PIX_FMT_YUV420P;
    o.video->gop_size = clip.fps;
    o.video->bit_rate = 600000;
    o.video->thread_count = 1;
    if (o.fmt->oformat->flags & AVFMT_GLOBALHEADER) o.video->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if ((rc = avcodec_open2(o.video, vc, nullptr)) < 0) return fail("cannot open the MPEG-4 encoder (" + avError(rc) + ")");
    avcodec_parameters_from_context(o.vst->codecpar, o.video);
    o.vst->time_base = o.video->time_base;

    if (!clip.audio.empty()) {
      const AVCodec* ac = avcodec_find_encoder(AV_CODEC_ID_AAC);
      if (!ac) return fail("FFmpeg has no AAC encoder");
      o.ast = avformat_new_stream(o.fmt, nullptr);
      o.audio = avcodec_alloc_context3(ac);
      o.audio->sample_fmt = AV_SAMPLE_FMT_FLTP;
      o.audio->sample_rate = clip.sampleRate;
      av_channel_layout_default(&o.audio->ch_layout, 1);
      o.audio->bit_rate = 64000;
      o.audio->time_base = AVRational{1, clip.sampleRate};
      if (o.fmt->oformat->flags & AVFMT_GLOBALHEADER) o.audio->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
      if ((rc = avcodec_open2(o.audio, ac, nullptr)) < 0) return fail("cannot open the AAC encoder (" + avError(rc) + ")");
      avcodec_parameters_from_context(o.ast->codecpar, o.audio);
      o.ast->time_base = o.audio->time_base;
    }

    if ((rc = avio_open(&o.fmt->pb, partUtf8.constData(), AVIO_FLAG_WRITE)) < 0) return fail("cannot write (" + avError(rc) + ")");
    o.ioOpen = true;
    if ((rc = avformat_write_header(o.fmt, nullptr)) < 0) return fail("cannot write the header (" + avError(rc) + ")");

    o.sws = sws_getContext(w, h, AV_PIX_FMT_RGB24, w, h, AV_PIX_FMT_YUV420P, SWS_BILINEAR, nullptr, nullptr, nullptr);
    const int frameSize = o.audio ? (o.audio->frame_size > 0 ? o.audio->frame_size : 1024) : 0;
    std::size_t nextFrame = 0, nextSample = 0;
    bool ok = true;
    // Interleave by time: whichever stream is behind gets the next frame.
    while (ok && (nextFrame < clip.frames.size() || (o.audio && nextSample < clip.audio.size()))) {
      const double vt = static_cast<double>(nextFrame) / clip.fps;
      const double at = o.audio ? static_cast<double>(nextSample) / clip.sampleRate : 1e300;
      if (nextFrame < clip.frames.size() && (vt <= at || nextSample >= clip.audio.size())) {
        const QImage img = clip.frames[nextFrame].convertToFormat(QImage::Format_RGB888);
        av_frame_unref(o.frame);
        o.frame->format = AV_PIX_FMT_YUV420P;
        o.frame->width = w;
        o.frame->height = h;
        if (av_frame_get_buffer(o.frame, 0) < 0) { ok = false; break; }
        const std::uint8_t* src[1] = {img.constBits()};
        const int srcStride[1] = {static_cast<int>(img.bytesPerLine())};
        sws_scale(o.sws, src, srcStride, 0, h, o.frame->data, o.frame->linesize);
        o.frame->pts = static_cast<std::int64_t>(nextFrame);
        ok = encode(o, o.video, o.vst, o.frame) >= 0;
        ++nextFrame;
      } else {
        av_frame_unref(o.frame);
        o.frame->format = AV_SAMPLE_FMT_FLTP;
        o.frame->sample_rate = clip.sampleRate;
        av_channel_layout_default(&o.frame->ch_layout, 1);
        o.frame->nb_samples = frameSize;
        if (av_frame_get_buffer(o.frame, 0) < 0) { ok = false; break; }
        float* dst = reinterpret_cast<float*>(o.frame->data[0]);
        for (int i = 0; i < frameSize; ++i) {
          const std::size_t s = nextSample + static_cast<std::size_t>(i);
          dst[i] = s < clip.audio.size() ? std::clamp(clip.audio[s], -1.0f, 1.0f) : 0.0f;
        }
        o.frame->pts = static_cast<std::int64_t>(nextSample);
        ok = encode(o, o.audio, o.ast, o.frame) >= 0;
        nextSample += static_cast<std::size_t>(frameSize);
      }
    }
    if (!ok) return fail("encoding failed");
    if (encode(o, o.video, o.vst, nullptr) < 0 || (o.audio && encode(o, o.audio, o.ast, nullptr) < 0) ||
        av_write_trailer(o.fmt) < 0)
      return fail("cannot finish the file");
    written = true;
  }
  if (!written) return false;
  if (std::rename(partUtf8.constData(), path.toUtf8().constData()) != 0)
    return fail("cannot move the finished clip into place");
  return true;
}

}  // namespace mlsan::ui
