// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/media/clip_writer.h"

#include "av_util.h"

#include <algorithm>
#include <cstdio>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libswscale/swscale.h>
}

namespace mlsan::media {

struct ClipWriter::Impl {
  AVFormatContext* fmt = nullptr;
  AVCodecContext* video = nullptr;
  AVCodecContext* audio = nullptr;
  AVStream* vst = nullptr;
  AVStream* ast = nullptr;
  SwsContext* sws = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* packet = nullptr;
  bool ioOpen = false, headerWritten = false, finished = false;
  int width = 0, height = 0, fps = 15, sampleRate = 0, frameSize = 1024;
  long frames = 0, samples = 0;
  std::vector<float> pending;  // audio not yet a whole encoder frame
  std::string part;

  ~Impl() {
    sws_freeContext(sws);
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&video);
    avcodec_free_context(&audio);
    if (fmt) {
      if (ioOpen) avio_closep(&fmt->pb);
      avformat_free_context(fmt);
    }
    if (!finished && !part.empty()) std::remove(part.c_str());  // never leave a half-written file
  }

  // Sends one frame (or nullptr to flush) and writes every packet that comes out.
  int encode(AVCodecContext* ctx, AVStream* st, AVFrame* f) {
    int rc = avcodec_send_frame(ctx, f);
    if (rc < 0) return rc;
    for (;;) {
      rc = avcodec_receive_packet(ctx, packet);
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return 0;
      if (rc < 0) return rc;
      // A video packet lasts one frame; without a duration the MP4 index drops the last frame.
      if (packet->duration == 0 && ctx->codec_type == AVMEDIA_TYPE_VIDEO) packet->duration = 1;
      av_packet_rescale_ts(packet, ctx->time_base, st->time_base);
      packet->stream_index = st->index;
      rc = av_interleaved_write_frame(fmt, packet);
      if (rc < 0) return rc;
    }
  }

  int encodeAudio(const float* data, int n) {
    av_frame_unref(frame);
    frame->format = AV_SAMPLE_FMT_FLTP;
    frame->sample_rate = sampleRate;
    av_channel_layout_default(&frame->ch_layout, 1);
    frame->nb_samples = frameSize;
    if (av_frame_get_buffer(frame, 0) < 0) return AVERROR(ENOMEM);
    float* dst = reinterpret_cast<float*>(frame->data[0]);
    for (int i = 0; i < frameSize; ++i) dst[i] = i < n ? std::clamp(data[i], -1.0f, 1.0f) : 0.0f;
    frame->pts = samples;
    samples += n;
    return encode(audio, ast, frame);
  }
};

ClipWriter::ClipWriter() = default;
ClipWriter::~ClipWriter() = default;

long ClipWriter::frames() const { return d_ ? d_->frames : 0; }
long ClipWriter::samples() const { return d_ ? d_->samples + static_cast<long>(d_->pending.size()) : 0; }

bool ClipWriter::fail(const std::string& what) {
  error_ = path_ + ": " + what;
  d_.reset();  // removes the partial file
  return false;
}

bool ClipWriter::open(const std::string& path, int width, int height, int fps, int sampleRate) {
  detail::quietFfmpeg();
  d_.reset();
  error_.clear();
  path_ = path;
  auto d = std::make_unique<Impl>();
  d->part = path + ".part";
  d->width = width & ~1;
  d->height = height & ~1;
  d->fps = fps;
  d->sampleRate = sampleRate;
  d_ = std::move(d);
  Impl& o = *d_;
  if (o.width < 16 || o.height < 16) return fail("frames too small");
  if (fps <= 0) return fail("no frame rate");
  int rc = avformat_alloc_output_context2(&o.fmt, nullptr, "mp4", o.part.c_str());
  if (rc < 0 || !o.fmt) return fail("cannot set up an MP4 writer (" + detail::avError(rc) + ")");
  o.frame = av_frame_alloc();
  o.packet = av_packet_alloc();

  const AVCodec* vc = avcodec_find_encoder(AV_CODEC_ID_MPEG4);
  if (!vc) return fail("FFmpeg has no MPEG-4 encoder");
  o.vst = avformat_new_stream(o.fmt, nullptr);
  o.video = avcodec_alloc_context3(vc);
  o.video->width = o.width;
  o.video->height = o.height;
  o.video->time_base = AVRational{1, fps};
  o.video->framerate = AVRational{fps, 1};
  o.video->pix_fmt = AV_PIX_FMT_YUV420P;
  o.video->gop_size = fps;
  o.video->bit_rate = 600000;
  o.video->thread_count = 1;
  if (o.fmt->oformat->flags & AVFMT_GLOBALHEADER) o.video->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if ((rc = avcodec_open2(o.video, vc, nullptr)) < 0) return fail("cannot open the MPEG-4 encoder (" + detail::avError(rc) + ")");
  avcodec_parameters_from_context(o.vst->codecpar, o.video);
  o.vst->time_base = o.video->time_base;

  if (sampleRate > 0) {
    const AVCodec* ac = avcodec_find_encoder(AV_CODEC_ID_AAC);
    if (!ac) return fail("FFmpeg has no AAC encoder");
    o.ast = avformat_new_stream(o.fmt, nullptr);
    o.audio = avcodec_alloc_context3(ac);
    o.audio->sample_fmt = AV_SAMPLE_FMT_FLTP;
    o.audio->sample_rate = sampleRate;
    av_channel_layout_default(&o.audio->ch_layout, 1);
    o.audio->bit_rate = 64000;
    o.audio->time_base = AVRational{1, sampleRate};
    if (o.fmt->oformat->flags & AVFMT_GLOBALHEADER) o.audio->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if ((rc = avcodec_open2(o.audio, ac, nullptr)) < 0) return fail("cannot open the AAC encoder (" + detail::avError(rc) + ")");
    avcodec_parameters_from_context(o.ast->codecpar, o.audio);
    o.ast->time_base = o.audio->time_base;
    o.frameSize = o.audio->frame_size > 0 ? o.audio->frame_size : 1024;
  }

  if ((rc = avio_open(&o.fmt->pb, o.part.c_str(), AVIO_FLAG_WRITE)) < 0) return fail("cannot write (" + detail::avError(rc) + ")");
  o.ioOpen = true;
  if ((rc = avformat_write_header(o.fmt, nullptr)) < 0) return fail("cannot write the header (" + detail::avError(rc) + ")");
  o.headerWritten = true;
  return true;
}

bool ClipWriter::addFrame(const RgbImage& image) {
  if (!d_ || !d_->headerWritten) { error_ = path_ + ": the writer is not open"; return false; }
  if (image.empty() || image.rgb.size() < static_cast<std::size_t>(image.width) * image.height * 3) return fail("an empty frame");
  Impl& o = *d_;
  o.sws = sws_getCachedContext(o.sws, image.width, image.height, AV_PIX_FMT_RGB24, o.width, o.height, AV_PIX_FMT_YUV420P,
                               SWS_BILINEAR, nullptr, nullptr, nullptr);
  if (!o.sws) return fail("cannot convert the frame");
  av_frame_unref(o.frame);
  o.frame->format = AV_PIX_FMT_YUV420P;
  o.frame->width = o.width;
  o.frame->height = o.height;
  if (av_frame_get_buffer(o.frame, 0) < 0) return fail("out of memory");
  const std::uint8_t* src[1] = {image.rgb.data()};
  const int srcStride[1] = {image.width * 3};
  sws_scale(o.sws, src, srcStride, 0, image.height, o.frame->data, o.frame->linesize);
  o.frame->pts = o.frames++;
  const int rc = o.encode(o.video, o.vst, o.frame);
  if (rc < 0) return fail("encoding failed (" + detail::avError(rc) + ")");
  return true;
}

bool ClipWriter::addAudio(const float* data, std::size_t count) {
  if (!d_ || !d_->headerWritten) { error_ = path_ + ": the writer is not open"; return false; }
  Impl& o = *d_;
  if (!o.audio) return count == 0 || fail("the clip was opened without audio");
  o.pending.insert(o.pending.end(), data, data + count);
  std::size_t at = 0;
  while (o.pending.size() - at >= static_cast<std::size_t>(o.frameSize)) {
    const int rc = o.encodeAudio(o.pending.data() + at, o.frameSize);
    if (rc < 0) return fail("audio encoding failed (" + detail::avError(rc) + ")");
    at += static_cast<std::size_t>(o.frameSize);
  }
  o.pending.erase(o.pending.begin(), o.pending.begin() + static_cast<std::ptrdiff_t>(at));
  return true;
}

bool ClipWriter::finish() {
  if (!d_ || !d_->headerWritten) { if (error_.empty()) error_ = path_ + ": the writer is not open"; return false; }
  Impl& o = *d_;
  if (o.frames == 0) return fail("no frames to write");
  if (o.audio && !o.pending.empty()) {
    if (o.encodeAudio(o.pending.data(), static_cast<int>(o.pending.size())) < 0) return fail("audio encoding failed");
    o.pending.clear();
  }
  if (o.encode(o.video, o.vst, nullptr) < 0 || (o.audio && o.encode(o.audio, o.ast, nullptr) < 0) || av_write_trailer(o.fmt) < 0)
    return fail("cannot finish the file");
  avio_closep(&o.fmt->pb);
  o.ioOpen = false;
  if (std::rename(o.part.c_str(), path_.c_str()) != 0) return fail("cannot move the finished file into place");
  o.finished = true;
  d_.reset();
  return true;
}

bool writeClip(const std::string& path, const ClipContent& clip, std::string* error) {
  auto fail = [&](const std::string& e) {
    if (error) *error = e;
    return false;
  };
  if (clip.frames.empty()) return fail(path + ": no frames to write");
  ClipWriter w;
  if (!w.open(path, clip.frames.front().width, clip.frames.front().height, clip.fps, clip.audio.empty() ? 0 : clip.sampleRate))
    return fail(w.error());
  // Interleave by time, as a player reads them: whichever stream is behind gets more.
  std::size_t nextFrame = 0, nextSample = 0;
  const std::size_t chunk = 1024;
  while (nextFrame < clip.frames.size() || nextSample < clip.audio.size()) {
    const double vt = static_cast<double>(nextFrame) / clip.fps;
    const double at = clip.audio.empty() ? 1e300 : static_cast<double>(nextSample) / clip.sampleRate;
    if (nextFrame < clip.frames.size() && (vt <= at || nextSample >= clip.audio.size())) {
      if (!w.addFrame(clip.frames[nextFrame++])) return fail(w.error());
    } else {
      const std::size_t n = std::min(chunk, clip.audio.size() - nextSample);
      if (!w.addAudio(clip.audio.data() + nextSample, n)) return fail(w.error());
      nextSample += n;
    }
  }
  if (!w.finish()) return fail(w.error());
  return true;
}

}  // namespace mlsan::media
