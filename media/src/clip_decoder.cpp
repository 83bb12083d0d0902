// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/media/clip_decoder.h"

#include "av_util.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/imgutils.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

namespace mlsan::media {

namespace detail {

std::string avError(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, buf, sizeof buf);
  return buf;
}

// FFmpeg logs to stderr by default; the studio reports problems itself.
void quietFfmpeg() {
  static const bool once = [] { av_log_set_level(AV_LOG_FATAL); return true; }();
  (void)once;
}

std::string secondsText(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", s);
  return buf;
}

}  // namespace detail

namespace {

using detail::avError;
using detail::quietFfmpeg;
using detail::secondsText;

struct FormatCloser {
  void operator()(AVFormatContext* f) const { avformat_close_input(&f); }
};
struct CodecCloser {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameFree {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketFree {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
using FormatPtr = std::unique_ptr<AVFormatContext, FormatCloser>;
using CodecPtr = std::unique_ptr<AVCodecContext, CodecCloser>;
using FramePtr = std::unique_ptr<AVFrame, FrameFree>;
using PacketPtr = std::unique_ptr<AVPacket, PacketFree>;

FormatPtr openFormat(const std::string& path, std::string* error) {
  quietFfmpeg();
  AVFormatContext* raw = nullptr;
  int rc = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
  if (rc < 0) {
    *error = path + ": cannot open (" + avError(rc) + ")";
    return nullptr;
  }
  FormatPtr fmt(raw);
  rc = avformat_find_stream_info(fmt.get(), nullptr);
  if (rc < 0) {
    *error = path + ": cannot read the streams (" + avError(rc) + ")";
    return nullptr;
  }
  return fmt;
}

CodecPtr openCodec(AVStream* st, std::string* error, const std::string& path) {
  const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
  if (!codec) {
    *error = path + ": no decoder for codec '" + std::string(avcodec_get_name(st->codecpar->codec_id)) + "'";
    return nullptr;
  }
  CodecPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx || avcodec_parameters_to_context(ctx.get(), st->codecpar) < 0) {
    *error = path + ": cannot set up the decoder";
    return nullptr;
  }
  ctx->thread_count = 1;
  const int rc = avcodec_open2(ctx.get(), codec, nullptr);
  if (rc < 0) {
    *error = path + ": cannot open the " + std::string(codec->name) + " decoder (" + avError(rc) + ")";
    return nullptr;
  }
  return ctx;
}

}  // namespace

struct ClipDecoder::Impl {
  FormatPtr fmt;
  CodecPtr video;
  int videoStream = -1, audioStream = -1;
  FramePtr frame{av_frame_alloc()};
  PacketPtr packet{av_packet_alloc()};
  SwsContext* sws = nullptr;
  double seekTarget = -1;  // drop frames before this time after a seek
  double lastFrame = -1;   // time of the last frame returned
  bool drained = false;    // the decoder has been flushed at end of file
  bool eof = false;

  ~Impl() { sws_freeContext(sws); }

  double startTime(int stream) const {
    const AVStream* st = fmt->streams[stream];
    return st->start_time != AV_NOPTS_VALUE ? st->start_time * av_q2d(st->time_base) : 0.0;
  }
  double frameSeconds(const AVFrame* f) const {
    const AVStream* st = fmt->streams[videoStream];
    const std::int64_t ts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
    if (ts == AV_NOPTS_VALUE) return 0.0;
    return ts * av_q2d(st->time_base) - startTime(videoStream);
  }
};

ClipDecoder::ClipDecoder() = default;
ClipDecoder::~ClipDecoder() = default;

void ClipDecoder::close() {
  d_.reset();
  error_.clear();
  warning_.clear();
}

bool ClipDecoder::isOpen() const { return d_ != nullptr; }

bool ClipDecoder::open(const std::string& path) {
  close();
  path_ = path;
  auto d = std::make_unique<Impl>();
  d->fmt = openFormat(path, &error_);
  if (!d->fmt) return false;
  d->videoStream = av_find_best_stream(d->fmt.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  d->audioStream = av_find_best_stream(d->fmt.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  if (d->videoStream < 0) d->videoStream = -1;
  if (d->audioStream < 0) d->audioStream = -1;
  if (d->videoStream < 0 && d->audioStream < 0) {
    error_ = path + ": no video or audio stream";
    return false;
  }
  if (d->videoStream >= 0) {
    std::string err;
    d->video = openCodec(d->fmt->streams[d->videoStream], &err, path);
    if (!d->video) {
      // The audio may still play; the video part reports the problem.
      warning_ = err;
      d->videoStream = -1;
      if (d->audioStream < 0) { error_ = err; return false; }
    } else if (d->video->width <= 0 || d->video->height <= 0) {
      warning_ = path + ": the video stream has no frame size";
      d->video.reset();
      d->videoStream = -1;
    }
  }
  d_ = std::move(d);
  return true;
}

bool ClipDecoder::hasVideo() const { return d_ && d_->videoStream >= 0; }
bool ClipDecoder::hasAudio() const { return d_ && d_->audioStream >= 0; }

double ClipDecoder::duration() const {
  if (!d_) return 0.0;
  if (d_->fmt->duration != AV_NOPTS_VALUE && d_->fmt->duration > 0)
    return static_cast<double>(d_->fmt->duration) / AV_TIME_BASE;
  double best = 0;
  for (unsigned i = 0; i < d_->fmt->nb_streams; ++i) {
    const AVStream* st = d_->fmt->streams[i];
    if (st->duration != AV_NOPTS_VALUE) best = std::max(best, st->duration * av_q2d(st->time_base));
  }
  return best;
}

double ClipDecoder::frameRate() const {
  if (!hasVideo()) return 0.0;
  const AVStream* st = d_->fmt->streams[d_->videoStream];
  AVRational r = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
  const double fps = r.den > 0 ? av_q2d(r) : 0.0;
  return fps > 0 && fps < 1000 ? fps : 25.0;
}

int ClipDecoder::frameWidth() const { return hasVideo() ? d_->video->width : 0; }
int ClipDecoder::frameHeight() const { return hasVideo() ? d_->video->height : 0; }

bool ClipDecoder::nextFrame(RgbImage* image, double* seconds, int maxWidth) {
  if (!hasVideo()) return false;
  Impl& d = *d_;
  AVCodecContext* ctx = d.video.get();
  for (;;) {
    int rc = avcodec_receive_frame(ctx, d.frame.get());
    if (rc == 0) {
      const double t = d.frameSeconds(d.frame.get());
      if (d.seekTarget >= 0 && t + 0.5 / frameRate() < d.seekTarget) {
        d.lastFrame = t;  // decoded, not returned: the truncation check counts it
        av_frame_unref(d.frame.get());
        continue;
      }
      d.seekTarget = -1;
      d.lastFrame = t;
      const int w = d.frame->width, h = d.frame->height;
      if (w <= 0 || h <= 0) { av_frame_unref(d.frame.get()); continue; }
      int ow = w, oh = h;
      if (maxWidth > 0 && w > maxWidth) {
        ow = maxWidth;
        oh = std::max(2, static_cast<int>(std::lround(static_cast<double>(h) * maxWidth / w)));
      }
      d.sws = sws_getCachedContext(d.sws, w, h, static_cast<AVPixelFormat>(d.frame->format), ow, oh,
                                   AV_PIX_FMT_RGB24, SWS_BILINEAR, nullptr, nullptr, nullptr);
      if (!d.sws) {
        error_ = path_ + ": cannot convert frames of pixel format " +
                 std::string(av_get_pix_fmt_name(static_cast<AVPixelFormat>(d.frame->format)));
        av_frame_unref(d.frame.get());
        return false;
      }
      RgbImage img;
      img.width = ow;
      img.height = oh;
      img.rgb.resize(static_cast<std::size_t>(ow) * static_cast<std::size_t>(oh) * 3);
      std::uint8_t* dst[4] = {img.rgb.data(), nullptr, nullptr, nullptr};
      int dstStride[4] = {ow * 3, 0, 0, 0};
      sws_scale(d.sws, d.frame->data, d.frame->linesize, 0, h, dst, dstStride);
      av_frame_unref(d.frame.get());
      *image = std::move(img);
      if (seconds) *seconds = std::max(0.0, t);
      return true;
    }
    if (rc == AVERROR_EOF) {
      // The container promised more than the stream holds: a truncated file.
      const double promised = duration();
      if (warning_.empty() && promised > 0 && d.lastFrame >= 0 && d.lastFrame + 2.0 / frameRate() < promised - 0.05)
        warning_ = path_ + ": truncated: the video ends at " + secondsText(d.lastFrame) + " s of " + secondsText(promised) + " s";
      return false;
    }
    if (rc != AVERROR(EAGAIN)) {
      warning_ = path_ + ": video unreadable after this point (" + avError(rc) + ")";
      return false;
    }
    if (d.drained) return false;
    // Feed the decoder the next video packet.
    for (;;) {
      rc = av_read_frame(d.fmt.get(), d.packet.get());
      if (rc < 0) {
        if (rc != AVERROR_EOF) warning_ = path_ + ": truncated or damaged (" + avError(rc) + ")";
        avcodec_send_packet(ctx, nullptr);
        d.drained = true;
        break;
      }
      if (d.packet->stream_index != d.videoStream) { av_packet_unref(d.packet.get()); continue; }
      if (d.packet->flags & AV_PKT_FLAG_CORRUPT) warning_ = path_ + ": damaged video data (the file may be truncated)";
      rc = avcodec_send_packet(ctx, d.packet.get());
      av_packet_unref(d.packet.get());
      if (rc < 0 && rc != AVERROR(EAGAIN)) {
        // A damaged packet: skip it, as players do, and note it.
        warning_ = path_ + ": damaged video packet skipped (" + avError(rc) + ")";
        continue;
      }
      break;
    }
  }
}

bool ClipDecoder::skipTo(double seconds) {
  if (!hasVideo()) return false;
  d_->seekTarget = std::max(d_->seekTarget, seconds);
  return true;
}

bool ClipDecoder::seek(double seconds) {
  if (!hasVideo()) return false;
  Impl& d = *d_;
  const AVStream* st = d.fmt->streams[d.videoStream];
  const double target = std::max(0.0, seconds);
  const std::int64_t ts = static_cast<std::int64_t>((target + d.startTime(d.videoStream)) / av_q2d(st->time_base));
  int rc = av_seek_frame(d.fmt.get(), d.videoStream, ts, AVSEEK_FLAG_BACKWARD);
  if (rc < 0) rc = av_seek_frame(d.fmt.get(), d.videoStream, 0, AVSEEK_FLAG_BACKWARD | AVSEEK_FLAG_ANY);
  if (rc < 0) {
    warning_ = path_ + ": cannot seek (" + avError(rc) + ")";
    return false;
  }
  avcodec_flush_buffers(d.video.get());
  d.drained = false;
  d.seekTarget = target;
  return true;
}

bool ClipDecoder::decodeAudio(AudioTrack* out, int sampleRate) { return decodeAudio(out, sampleRate, 0.0, -1.0); }

bool ClipDecoder::decodeAudio(AudioTrack* out, int sampleRate, double start, double end) {
  *out = AudioTrack{};
  if (!hasAudio()) return false;
  // A separate demuxer, so that decoding the audio does not disturb the video position.
  std::string err;
  FormatPtr fmt = openFormat(path_, &err);
  if (!fmt) { warning_ = err; return false; }
  const int si = d_->audioStream;
  if (si >= static_cast<int>(fmt->nb_streams)) return false;
  CodecPtr ctx = openCodec(fmt->streams[si], &err, path_);
  if (!ctx) { warning_ = err; return false; }
  const AVStream* ast = fmt->streams[si];
  const double streamStart = ast->start_time != AV_NOPTS_VALUE ? ast->start_time * av_q2d(ast->time_base) : 0.0;
  const bool span = start > 0 || end >= 0;
  start = std::max(0.0, start);
  // A span in a long file: seek near its start (the demuxer lands on a packet at or before it).
  if (start > 0.5) {
    const auto ts = static_cast<std::int64_t>((start - 0.25 + streamStart) / av_q2d(ast->time_base));
    if (av_seek_frame(fmt.get(), si, ts, AVSEEK_FLAG_BACKWARD) < 0) av_seek_frame(fmt.get(), si, 0, AVSEEK_FLAG_BACKWARD);
  }
  double firstTime = -1;  // the time of the first decoded sample
  bool done = false;      // the span is complete
  SwrContext* swr = nullptr;
  AVChannelLayout mono;
  av_channel_layout_default(&mono, 1);
  FramePtr frame(av_frame_alloc());
  PacketPtr packet(av_packet_alloc());
  out->sampleRate = sampleRate;
  std::vector<std::int16_t> buf;
  bool ok = true;
  auto convert = [&](AVFrame* f) -> bool {
    if (!swr) {
      if (swr_alloc_set_opts2(&swr, &mono, AV_SAMPLE_FMT_S16, sampleRate, &f->ch_layout,
                              static_cast<AVSampleFormat>(f->format), f->sample_rate, 0, nullptr) < 0 ||
          swr_init(swr) < 0) {
        warning_ = path_ + ": cannot resample the audio";
        return false;
      }
    }
    if (firstTime < 0) {
      const std::int64_t ts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
      firstTime = ts != AV_NOPTS_VALUE ? std::max(0.0, ts * av_q2d(ast->time_base) - streamStart) : 0.0;
    }
    const int cap = swr_get_out_samples(swr, f->nb_samples) + 32;
    buf.resize(static_cast<std::size_t>(cap));
    std::uint8_t* dst[1] = {reinterpret_cast<std::uint8_t*>(buf.data())};
    const int n = swr_convert(swr, dst, cap, const_cast<const std::uint8_t**>(f->extended_data), f->nb_samples);
    if (n > 0) out->pcm.insert(out->pcm.end(), buf.begin(), buf.begin() + n);
    return true;
  };
  auto receiveAll = [&]() -> bool {
    for (;;) {
      const int rc = avcodec_receive_frame(ctx.get(), frame.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return true;
      if (rc < 0) { warning_ = path_ + ": audio unreadable after this point"; return false; }
      const bool good = convert(frame.get());
      av_frame_unref(frame.get());
      if (!good) return false;
    }
  };
  for (;;) {
    int rc = av_read_frame(fmt.get(), packet.get());
    if (rc < 0) {
      if (rc != AVERROR_EOF)
        warning_ = path_ + ": truncated or damaged after " + secondsText(out->seconds()) + " s of audio";
      break;
    }
    if (packet->stream_index != si) { av_packet_unref(packet.get()); continue; }
    rc = avcodec_send_packet(ctx.get(), packet.get());
    av_packet_unref(packet.get());
    if (rc < 0 && rc != AVERROR(EAGAIN)) continue;  // a damaged packet: skip it
    if (!receiveAll()) { ok = false; break; }
    if (end >= 0 && firstTime >= 0 && firstTime + static_cast<double>(out->pcm.size()) / sampleRate > end + 0.05) {
      done = true;
      break;
    }
  }
  if (ok) {
    avcodec_send_packet(ctx.get(), nullptr);
    receiveAll();
  }
  if (swr) {
    // Flush the resampler's delay.
    const int cap = 4096;
    buf.resize(cap);
    std::uint8_t* dst[1] = {reinterpret_cast<std::uint8_t*>(buf.data())};
    const int n = swr_convert(swr, dst, cap, nullptr, 0);
    if (n > 0) out->pcm.insert(out->pcm.end(), buf.begin(), buf.begin() + n);
    swr_free(&swr);
  }
  av_channel_layout_uninit(&mono);
  if (span) {
    // Keep the samples of [start, end): the decoded ones began at firstTime.
    const double t0 = std::max(0.0, firstTime);
    const auto from = static_cast<std::size_t>(std::max(0.0, std::round((start - t0) * sampleRate)));
    const double audioEnd = t0 + out->seconds();
    std::size_t to = out->pcm.size();
    if (end >= 0) to = std::min(to, static_cast<std::size_t>(std::max(0.0, std::round((end - t0) * sampleRate))));
    if (from >= to) out->pcm.clear();
    else out->pcm = std::vector<std::int16_t>(out->pcm.begin() + static_cast<std::ptrdiff_t>(from), out->pcm.begin() + static_cast<std::ptrdiff_t>(to));
    if (warning_.empty() && !done && end >= 0 && audioEnd < end - 0.15)
      warning_ = path_ + ": the audio ends at " + secondsText(audioEnd) + " s, before the span's end (" + secondsText(end) + " s)";
  } else {
    const double promised = duration();
    if (warning_.empty() && promised > 0 && out->seconds() < promised - 0.15)
      warning_ = path_ + ": truncated: the audio ends at " + secondsText(out->seconds()) + " s of " + secondsText(promised) + " s";
  }
  // The waveform envelope: peak per bin.
  const std::size_t bin = std::max<std::size_t>(1, static_cast<std::size_t>(sampleRate / out->envelopeRate));
  for (std::size_t i = 0; i < out->pcm.size(); i += bin) {
    int peak = 0;
    const std::size_t stop = std::min(out->pcm.size(), i + bin);
    for (std::size_t j = i; j < stop; ++j) peak = std::max(peak, std::abs(static_cast<int>(out->pcm[j])));
    out->envelope.push_back(static_cast<float>(peak) / 32768.0f);
  }
  return !out->pcm.empty();
}

}  // namespace mlsan::media
