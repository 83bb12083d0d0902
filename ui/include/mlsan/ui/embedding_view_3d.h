// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// A 3-D t-SNE map in VTK inside the Qt 6 window: a QOpenGLWidget that drives a
// vtkGenericOpenGLRenderWindow (Debian's VTK has no Qt 6 module; this widget does what VTK's
// Qt 5 QVTKOpenGLNativeWidget does). Points are spheres coloured like the 2-D maps; drag to
// rotate (trackball), wheel to zoom, a click without dragging picks the nearest point and
// emits its utterance. Where OpenGL is unavailable (offscreen Qt, no GL driver) it shows a
// message instead and never creates a GL widget. VTK headers stay in the .cpp. GUI thread only.
#include <QWidget>
#include <memory>

#include "mlsan/data/corpus.h"
#include "mlsan/ui/embedding_map_view.h"

class QLabel;
class QStackedWidget;

namespace mlsan::ui {

struct EmbeddingMap;
class VtkPointCloudWidget;

class EmbeddingView3D : public QWidget {
  Q_OBJECT
 public:
  explicit EmbeddingView3D(QWidget* parent = nullptr);
  ~EmbeddingView3D() override;
  /// True when an OpenGL context can be created on this platform (checked once).
  static bool openGLAvailable();

  void setMap(std::shared_ptr<const EmbeddingMap> map, std::shared_ptr<const data::Corpus> corpus, EmbeddingMapView::ColourBy by,
              const QString& title);
  void clear(const QString& message);
  QString message() const;
  int points() const;
  /// Rotates the camera about the view-up axis (degrees) and redraws.
  void rotate(double azimuthDegrees, double elevationDegrees);
  /// The rendered image (renders first); null without OpenGL.
  QImage renderImage();
  /// The widget position of a map row (for tests that click); invalid without OpenGL.
  QPoint pointPosition(int row);
  /// The GL widget, null without OpenGL (for tests that send mouse events).
  QWidget* glWidget() const;

 signals:
  void pointClicked(int dialogue, int utterance);

 private:
  QStackedWidget* stack_ = nullptr;
  QLabel* message_ = nullptr;
  QLabel* title_ = nullptr;
  VtkPointCloudWidget* gl_ = nullptr;
  std::shared_ptr<const EmbeddingMap> map_;
};

}  // namespace mlsan::ui
