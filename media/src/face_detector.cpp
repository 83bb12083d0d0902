// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/media/face_detector.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <vector>

namespace mlsan::media {

struct FaceDetector::Impl {
  cv::CascadeClassifier cascade;
  bool ok = false;
  int maxWidth = 320;
  double scaleStep = 1.1;
};

FaceDetector::FaceDetector() : d_(std::make_unique<Impl>()) {
  const char* candidates[] = {"/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml",
                              "/usr/local/share/opencv4/haarcascades/haarcascade_frontalface_default.xml",
                              "/usr/share/opencv/haarcascades/haarcascade_frontalface_default.xml"};
  for (const char* path : candidates) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) continue;
    try {
      if (d_->cascade.load(path)) {
        d_->ok = true;
        break;
      }
    } catch (const cv::Exception&) {
    }
  }
}

FaceDetector::~FaceDetector() = default;

bool FaceDetector::ok() const { return d_->ok; }

void FaceDetector::setSearch(int maxWidth, double scaleStep) {
  d_->maxWidth = std::max(64, maxWidth);
  d_->scaleStep = std::max(1.01, scaleStep);
}

FaceBox FaceDetector::detect(const RgbImage& frame) {
  return frame.empty() ? FaceBox{} : detect(frame.rgb.data(), frame.width, frame.height, frame.width * 3);
}

FaceBox FaceDetector::detect(const std::uint8_t* rgb, int width, int height, int stride) {
  if (!d_->ok || !rgb || width <= 0 || height <= 0) return {};
  const cv::Mat view(height, width, CV_8UC3, const_cast<std::uint8_t*>(rgb), static_cast<std::size_t>(stride));
  cv::Mat gray;
  cv::cvtColor(view, gray, cv::COLOR_RGB2GRAY);
  const double scale = gray.cols > d_->maxWidth ? static_cast<double>(d_->maxWidth) / gray.cols : 1.0;
  if (scale < 1.0) cv::resize(gray, gray, cv::Size(), scale, scale, cv::INTER_AREA);
  cv::equalizeHist(gray, gray);
  std::vector<cv::Rect> found;
  try {
    d_->cascade.detectMultiScale(gray, found, d_->scaleStep, 3, 0, cv::Size(24, 24));
  } catch (const cv::Exception&) {
    return {};
  }
  if (found.empty()) return {};
  const auto best = std::max_element(found.begin(), found.end(), [](const cv::Rect& a, const cv::Rect& b) { return a.area() < b.area(); });
  return {best->x / scale, best->y / scale, best->width / scale, best->height / scale};
}

RgbImage cropFace(const RgbImage& frame, const FaceBox& box, int side) {
  if (frame.empty() || box.empty() || side <= 0) return {};
  const double size = std::min<double>(std::max(box.w, box.h), std::min(frame.width, frame.height));
  const int s = std::max(1, static_cast<int>(std::lround(size)));
  int x = static_cast<int>(std::lround(box.x + box.w / 2 - s / 2.0));
  int y = static_cast<int>(std::lround(box.y + box.h / 2 - s / 2.0));
  x = std::clamp(x, 0, frame.width - s);
  y = std::clamp(y, 0, frame.height - s);
  const cv::Mat view(frame.height, frame.width, CV_8UC3, const_cast<std::uint8_t*>(frame.rgb.data()),
                     static_cast<std::size_t>(frame.width) * 3);
  RgbImage out;
  out.width = out.height = side;
  out.rgb.resize(static_cast<std::size_t>(side) * side * 3);
  cv::Mat dst(side, side, CV_8UC3, out.rgb.data());
  cv::resize(view(cv::Rect(x, y, s, s)), dst, cv::Size(side, side), 0, 0, s > side ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

}  // namespace mlsan::media
