// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/face_detector.h"

#include <QFileInfo>
#include <algorithm>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <vector>

namespace mlsan::ui {

struct FaceDetector::Impl {
  cv::CascadeClassifier cascade;
  bool ok = false;
};

FaceDetector::FaceDetector() : d_(std::make_unique<Impl>()) {
  const char* candidates[] = {"/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml",
                              "/usr/local/share/opencv4/haarcascades/haarcascade_frontalface_default.xml",
                              "/usr/share/opencv/haarcascades/haarcascade_frontalface_default.xml"};
  for (const char* path : candidates) {
    if (!QFileInfo::exists(QString::fromLatin1(path))) continue;
    try {
      if (d_->cascade.load(path)) { d_->ok = true; break; }
    } catch (const cv::Exception&) {
    }
  }
}

FaceDetector::~FaceDetector() = default;

bool FaceDetector::ok() const { return d_->ok; }

QRectF FaceDetector::detect(const QImage& frame) {
  if (!d_->ok || frame.isNull()) return {};
  const QImage rgb = frame.format() == QImage::Format_RGB888 ? frame : frame.convertToFormat(QImage::Format_RGB888);
  const cv::Mat view(rgb.height(), rgb.width(), CV_8UC3, const_cast<uchar*>(rgb.constBits()), static_cast<std::size_t>(rgb.bytesPerLine()));
  cv::Mat gray;
  cv::cvtColor(view, gray, cv::COLOR_RGB2GRAY);
  const double scale = gray.cols > 320 ? 320.0 / gray.cols : 1.0;
  if (scale < 1.0) cv::resize(gray, gray, cv::Size(), scale, scale, cv::INTER_AREA);
  cv::equalizeHist(gray, gray);
  std::vector<cv::Rect> found;
  try {
    d_->cascade.detectMultiScale(gray, found, 1.1, 3, 0, cv::Size(24, 24));
  } catch (const cv::Exception&) {
    return {};
  }
  if (found.empty()) return {};
  const auto best = std::max_element(found.begin(), found.end(), [](const cv::Rect& a, const cv::Rect& b) { return a.area() < b.area(); });
  return QRectF(best->x / scale, best->y / scale, best->width / scale, best->height / scale);
}

}  // namespace mlsan::ui
