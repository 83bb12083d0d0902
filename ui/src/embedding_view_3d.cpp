// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/embedding_view_3d.h"

#include <QGuiApplication>
#include <QLabel>
#include <QMouseEvent>
#include <QOffscreenSurface>
#include <QOpenGLContext>
#include <QOpenGLExtraFunctions>
#include <QOpenGLWidget>
#include <QStackedWidget>
#include <QVBoxLayout>
#include <QWheelEvent>

#include <vtkActor.h>
#include <vtkCallbackCommand.h>
#include <vtkCamera.h>
#include <vtkCellArray.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkGenericRenderWindowInteractor.h>
#include <vtkInteractorStyleTrackballCamera.h>
#include <vtkNew.h>
#include <vtkOpenGLFramebufferObject.h>
#include <vtkOpenGLState.h>
#include <vtkOutlineSource.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkRenderer.h>
#include <vtkSmartPointer.h>
#include <vtkUnsignedCharArray.h>
#include <algorithm>

#include "mlsan/ui/embedding_job.h"
#include "mlsan/ui/emotion_colors.h"
#include "mlsan/ui/speaker_colors.h"

namespace mlsan::ui {

/// The QOpenGLWidget that hosts VTK's render window: VTK renders into its own framebuffer
/// with Qt's context current, and paintGL blits that into the widget's framebuffer.
class VtkPointCloudWidget : public QOpenGLWidget {
 public:
  explicit VtkPointCloudWidget(QWidget* parent) : QOpenGLWidget(parent) {
    window_->SetOwnContext(false);
    window_->SetFrameBlitModeToNoBlit();
    window_->AddRenderer(renderer_);
    renderer_->SetBackground(1, 1, 1);
    interactor_->SetRenderWindow(window_);
    interactor_->SetInteractorStyle(style_);
    interactor_->EnableRenderOff();  // we render in paintGL, on update()
    auto observe = [this](unsigned long event) {
      vtkNew<vtkCallbackCommand> cb;
      cb->SetClientData(this);
      cb->SetCallback([](vtkObject*, unsigned long id, void* self, void* callData) {
        auto* w = static_cast<VtkPointCloudWidget*>(self);
        if (id == vtkCommand::WindowMakeCurrentEvent) {
          // Qt's context on Qt's surface: QOpenGLWidget::makeCurrent() would re-bind Qt's
          // framebuffer behind VTK's state cache.
          if (w->context()) w->context()->makeCurrent(w->context()->surface());
        } else if (id == vtkCommand::WindowIsCurrentEvent) {
          *static_cast<bool*>(callData) = w->context() && QOpenGLContext::currentContext() == w->context();
        } else if (id == vtkCommand::WindowFrameEvent) {
          if (!w->inPaint_) w->update();
        }
      });
      window_->AddObserver(event, cb);
    };
    observe(vtkCommand::WindowMakeCurrentEvent);
    observe(vtkCommand::WindowIsCurrentEvent);
    observe(vtkCommand::WindowFrameEvent);
    // The data: points with per-point colours, drawn as spheres, inside a light outline.
    polyData_->SetPoints(points_);
    polyData_->SetVerts(verts_);
    colours_->SetNumberOfComponents(3);
    colours_->SetName("colours");
    polyData_->GetPointData()->SetScalars(colours_);
    mapper_->SetInputData(polyData_);
    mapper_->SetScalarModeToUsePointData();
    mapper_->SetColorModeToDirectScalars();
    actor_->SetMapper(mapper_);
    actor_->GetProperty()->SetPointSize(7);
    actor_->GetProperty()->SetRenderPointsAsSpheres(true);
    renderer_->AddActor(actor_);
    outlineMapper_->SetInputConnection(outline_->GetOutputPort());
    outlineActor_->SetMapper(outlineMapper_);
    outlineActor_->GetProperty()->SetColor(0.75, 0.75, 0.75);
    renderer_->AddActor(outlineActor_);
    setMinimumSize(200, 200);
  }

  ~VtkPointCloudWidget() override {
    makeCurrent();
    window_->Finalize();
    doneCurrent();
  }

  void setPoints(const EmbeddingMap& map, const std::vector<QColor>& colourOfRow, bool resetCamera) {
    points_->Reset();
    verts_->Reset();
    colours_->Reset();
    const std::size_t n = map.rows();
    points_->SetNumberOfPoints(static_cast<vtkIdType>(n));
    double lo[3] = {1e300, 1e300, 1e300}, hi[3] = {-1e300, -1e300, -1e300};
    for (std::size_t i = 0; i < n; ++i) {
      double p[3];
      for (int k = 0; k < 3; ++k) {
        p[k] = map.dims >= 3 ? map.layout[i * 3 + static_cast<std::size_t>(k)] : (k < 2 ? map.layout[i * 2 + static_cast<std::size_t>(k)] : 0.0);
        lo[k] = std::min(lo[k], p[k]);
        hi[k] = std::max(hi[k], p[k]);
      }
      points_->SetPoint(static_cast<vtkIdType>(i), p);
      verts_->InsertNextCell(1);
      verts_->InsertCellPoint(static_cast<vtkIdType>(i));
      const QColor& c = colourOfRow[i];
      const unsigned char rgb[3] = {static_cast<unsigned char>(c.red()), static_cast<unsigned char>(c.green()),
                                    static_cast<unsigned char>(c.blue())};
      colours_->InsertNextTypedTuple(rgb);
    }
    points_->Modified();
    verts_->Modified();
    colours_->Modified();
    polyData_->Modified();
    if (n > 0) outline_->SetBounds(lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]);
    count_ = static_cast<int>(n);
    if (resetCamera || !cameraSet_) {
      renderer_->ResetCamera();
      renderer_->GetActiveCamera()->Elevation(20);
      renderer_->GetActiveCamera()->Azimuth(30);
      renderer_->ResetCameraClippingRange();
      cameraSet_ = true;
    }
    update();
  }

  int count() const { return count_; }

  void rotate(double azimuth, double elevation) {
    renderer_->GetActiveCamera()->Azimuth(azimuth);
    renderer_->GetActiveCamera()->Elevation(elevation);
    renderer_->GetActiveCamera()->OrthogonalizeViewUp();
    renderer_->ResetCameraClippingRange();
    update();
  }

  /// The row drawn nearest to a widget position (within 10 pixels), -1 if none.
  int pick(const QPoint& pos) {
    int best = -1;
    double bestD = 100.0;
    const double dpr = devicePixelRatioF();
    const double px = pos.x() * dpr, py = (height() - pos.y()) * dpr;
    for (int i = 0; i < count_; ++i) {
      const QPointF d = display(i);
      const double dd = (d.x() - px) * (d.x() - px) + (d.y() - py) * (d.y() - py);
      if (dd < bestD) bestD = dd, best = i;
    }
    return best;
  }

  /// Widget coordinates of a row.
  QPoint widgetPosition(int row) {
    const QPointF d = display(row);
    const double dpr = devicePixelRatioF();
    return QPoint(static_cast<int>(d.x() / dpr), static_cast<int>(height() - d.y() / dpr));
  }

  std::function<void(int)> onPick;

 protected:
  void initializeGL() override {
    window_->SetReadyForRendering(true);
    window_->OpenGLInitContext();
    resizeVtk();
  }
  void resizeGL(int, int) override { resizeVtk(); }
  void paintGL() override {
    inPaint_ = true;
    vtkOpenGLState* state = window_->GetState();
    state->Reset();
    state->Push();
    state->vtkglDepthFunc(GL_LEQUAL);
    window_->Render();
    // Blit VTK's framebuffer into ours, then make the alpha opaque.
    context()->makeCurrent(context()->surface());
    QOpenGLExtraFunctions* f = context()->extraFunctions();
    const int w = static_cast<int>(width() * devicePixelRatioF()), h = static_cast<int>(height() * devicePixelRatioF());
    f->glBindFramebuffer(GL_DRAW_FRAMEBUFFER, defaultFramebufferObject());
    const GLenum buf = GL_COLOR_ATTACHMENT0;
    f->glDrawBuffers(1, &buf);
    f->glDisable(GL_SCISSOR_TEST);
    int* size = window_->GetRenderFramebuffer()->GetLastSize();
    window_->BlitDisplayFramebuffer(0, 0, 0, size[0], size[1], 0, 0, w, h, GL_COLOR_BUFFER_BIT, GL_LINEAR);
    f->glColorMask(GL_FALSE, GL_FALSE, GL_FALSE, GL_TRUE);
    f->glClearColor(0, 0, 0, 1);
    f->glClear(GL_COLOR_BUFFER_BIT);
    f->glColorMask(GL_TRUE, GL_TRUE, GL_TRUE, GL_TRUE);
    state->Pop();
    inPaint_ = false;
  }

  void mousePressEvent(QMouseEvent* e) override {
    pressPos_ = e->position().toPoint();
    forward(e, e->button() == Qt::LeftButton ? vtkCommand::LeftButtonPressEvent
               : e->button() == Qt::RightButton ? vtkCommand::RightButtonPressEvent
                                                : vtkCommand::MiddleButtonPressEvent);
  }
  void mouseMoveEvent(QMouseEvent* e) override { forward(e, vtkCommand::MouseMoveEvent); }
  void mouseReleaseEvent(QMouseEvent* e) override {
    forward(e, e->button() == Qt::LeftButton ? vtkCommand::LeftButtonReleaseEvent
               : e->button() == Qt::RightButton ? vtkCommand::RightButtonReleaseEvent
                                                : vtkCommand::MiddleButtonReleaseEvent);
    if (e->button() == Qt::LeftButton && (e->position().toPoint() - pressPos_).manhattanLength() <= 3 && onPick) {
      const int row = pick(e->position().toPoint());
      if (row >= 0) onPick(row);
    }
  }
  void wheelEvent(QWheelEvent* e) override {
    setEventInfo(e->position().toPoint(), e->modifiers());
    interactor_->InvokeEvent(e->angleDelta().y() > 0 ? vtkCommand::MouseWheelForwardEvent : vtkCommand::MouseWheelBackwardEvent);
    update();
  }

 private:
  void resizeVtk() {
    const int w = static_cast<int>(width() * devicePixelRatioF()), h = static_cast<int>(height() * devicePixelRatioF());
    window_->SetSize(w, h);
    interactor_->SetSize(w, h);
  }
  void setEventInfo(const QPoint& p, Qt::KeyboardModifiers m) {
    const double dpr = devicePixelRatioF();
    interactor_->SetEventInformationFlipY(static_cast<int>(p.x() * dpr), static_cast<int>(p.y() * dpr), m & Qt::ControlModifier ? 1 : 0,
                                          m & Qt::ShiftModifier ? 1 : 0);
  }
  void forward(QMouseEvent* e, unsigned long event) {
    setEventInfo(e->position().toPoint(), e->modifiers());
    interactor_->InvokeEvent(event);
    update();
  }
  QPointF display(int row) {
    double p[3];
    points_->GetPoint(static_cast<vtkIdType>(row), p);
    renderer_->SetWorldPoint(p[0], p[1], p[2], 1.0);
    renderer_->WorldToDisplay();
    const double* d = renderer_->GetDisplayPoint();
    return QPointF(d[0], d[1]);
  }

  vtkNew<vtkGenericOpenGLRenderWindow> window_;
  vtkNew<vtkRenderer> renderer_;
  vtkNew<vtkGenericRenderWindowInteractor> interactor_;
  vtkNew<vtkInteractorStyleTrackballCamera> style_;
  vtkNew<vtkPoints> points_;
  vtkNew<vtkCellArray> verts_;
  vtkNew<vtkUnsignedCharArray> colours_;
  vtkNew<vtkPolyData> polyData_;
  vtkNew<vtkPolyDataMapper> mapper_;
  vtkNew<vtkActor> actor_;
  vtkNew<vtkOutlineSource> outline_;
  vtkNew<vtkPolyDataMapper> outlineMapper_;
  vtkNew<vtkActor> outlineActor_;
  QPoint pressPos_;
  int count_ = 0;
  bool inPaint_ = false, cameraSet_ = false;
};

bool EmbeddingView3D::openGLAvailable() {
  static const bool available = [] {
    const QString platform = QGuiApplication::platformName();
    if (platform == "offscreen" || platform == "minimal" || platform == "vnc") return false;
    QOpenGLContext ctx;
    if (!ctx.create()) return false;
    QOffscreenSurface surface;
    surface.setFormat(ctx.format());
    surface.create();
    const bool ok = surface.isValid() && ctx.makeCurrent(&surface);
    if (ok) ctx.doneCurrent();
    return ok && ctx.format().majorVersion() >= 3;
  }();
  return available;
}

EmbeddingView3D::EmbeddingView3D(QWidget* parent) : QWidget(parent) {
  title_ = new QLabel;
  title_->setAlignment(Qt::AlignCenter);
  QFont f = title_->font();
  f.setBold(true);
  title_->setFont(f);
  message_ = new QLabel;
  message_->setAlignment(Qt::AlignCenter);
  message_->setWordWrap(true);
  message_->setMargin(16);
  stack_ = new QStackedWidget;
  stack_->addWidget(message_);
  if (openGLAvailable()) {
    gl_ = new VtkPointCloudWidget(this);
    gl_->onPick = [this](int row) {
      if (map_) emit pointClicked(map_->dialogue[static_cast<std::size_t>(row)], map_->index[static_cast<std::size_t>(row)]);
    };
    stack_->addWidget(gl_);
  }
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(title_);
  layout->addWidget(stack_, 1);
  clear(tr("No map yet."));
}

EmbeddingView3D::~EmbeddingView3D() = default;

QWidget* EmbeddingView3D::glWidget() const { return gl_; }

void EmbeddingView3D::clear(const QString& message) {
  map_.reset();
  title_->clear();
  message_->setText(gl_ ? message
                        : tr("The 3-D map needs OpenGL, which this display does not offer (platform \"%1\"). The 2-D maps work.")
                              .arg(QGuiApplication::platformName()));
  stack_->setCurrentWidget(message_);
}

QString EmbeddingView3D::message() const { return stack_->currentWidget() == message_ ? message_->text() : QString(); }

int EmbeddingView3D::points() const { return gl_ && stack_->currentWidget() == gl_ ? gl_->count() : 0; }

void EmbeddingView3D::setMap(std::shared_ptr<const EmbeddingMap> map, std::shared_ptr<const data::Corpus> corpus,
                             EmbeddingMapView::ColourBy by, const QString& title) {
  if (!gl_) {
    clear(QString());
    return;
  }
  const bool newMap = !map_ || !map || map_->rows() != map->rows();
  map_ = std::move(map);
  if (!map_ || map_->layout.empty() || !corpus) {
    clear(tr("No map yet."));
    return;
  }
  title_->setText(title);
  std::vector<QColor> colours(map_->rows());
  const int numSpeakers = static_cast<int>(corpus->speakers.size());
  for (std::size_t i = 0; i < map_->rows(); ++i) {
    if (by == EmbeddingMapView::ColourBy::Speaker) colours[i] = speakerColor(map_->speaker[i], numSpeakers);
    else
      colours[i] = emotionColor(QString::fromStdString(corpus->labels.labels[static_cast<std::size_t>(map_->emotion[i])]), map_->emotion[i]);
  }
  stack_->setCurrentWidget(gl_);
  // Keep the user's camera while a layout fills in; reset it for a new map and at the end.
  gl_->setPoints(*map_, colours, newMap || map_->final);
}

void EmbeddingView3D::rotate(double azimuthDegrees, double elevationDegrees) {
  if (gl_) gl_->rotate(azimuthDegrees, elevationDegrees);
}

QImage EmbeddingView3D::renderImage() { return gl_ ? gl_->grabFramebuffer() : QImage(); }

QPoint EmbeddingView3D::pointPosition(int row) { return gl_ ? gl_->widgetPosition(row) : QPoint(); }

}  // namespace mlsan::ui
