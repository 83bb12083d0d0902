// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/embedding_job.h"

#include <QCoreApplication>
#include <QPointer>
#include <QtConcurrent/QtConcurrent>
#include <chrono>
#include <functional>

#include "mlsan/analysis/tsne.h"
#include "mlsan/model/engine.h"
#include "mlsan/model/run.h"

namespace mlsan::ui {
namespace {
/// The share of the progress bar that inference takes; the maps share the rest.
constexpr int kInferShare = 10;
/// The share of the stages measured without a map.
constexpr int kStagesShare = 10;
/// Dialogues per inference batch.
constexpr int kInferBatch = 16;
}  // namespace

EmbeddingJob::~EmbeddingJob() {
  if (cancel_) cancel_->store(true);
}

void EmbeddingJob::cancel() {
  if (cancel_) cancel_->store(true);
  ++*generation_;
  if (busy_) {
    busy_ = false;
    emit cancelled();
  }
}

void EmbeddingJob::start(const EmbeddingRequest& request) {
  if (cancel_) cancel_->store(true);
  cancel_ = std::make_shared<std::atomic<bool>>(false);
  const int gen = ++*generation_;
  busy_ = true;
  QPointer<EmbeddingJob> self(this);
  auto cancelFlag = cancel_;
  auto generation = generation_;
  // Delivers on the GUI thread unless a newer job (or cancel) has started since.
  auto post = [self, gen, generation](auto fn) {
    QMetaObject::invokeMethod(qApp, [self, gen, generation, fn] {
      if (self && generation->load() == gen) fn(self.data());
    }, Qt::QueuedConnection);
  };
  (void)QtConcurrent::run([request, cancelFlag, post] {
    const auto t0 = std::chrono::steady_clock::now();
    try {
      if (!request.corpus) throw std::runtime_error("no corpus open");
      const data::Corpus& corpus = *request.corpus;
      post([](EmbeddingJob* j) { emit j->progress(tr("Loading the model"), 0); });
      model::setThreads(request.threads);
      model::Model m = model::Model::load(model::RunPaths(request.runDir.toStdString()).bestCheckpoint());
      m.checkCorpus(corpus);
      if (cancelFlag->load()) return;
      post([](EmbeddingJob* j) { emit j->progress(tr("Inferring features"), 1); });
      // Inference reports each batch and stops at the next one when cancelled.
      struct InferProgress : model::Progress {
        const std::atomic<bool>& stop;
        std::function<void(int)> report;
        InferProgress(const std::atomic<bool>& s, std::function<void(int)> r) : stop(s), report(std::move(r)) {}
        void batch(int, int batch, int batches, double) override { report(kInferShare * batch / std::max(1, batches)); }
        bool cancelled() const override { return stop.load(); }
      } inferProgress(*cancelFlag, [post](int percent) {
        post([percent](EmbeddingJob* j) { emit j->progress(tr("Inferring features"), percent); });
      });
      // Small batches: a cancel waits for one of them at most.
      const model::Inference inf = m.infer(corpus, model::dialoguesOf(corpus, request.split), kInferBatch, &inferProgress);
      if (inf.cancelled || cancelFlag->load()) return;
      auto result = std::make_shared<EmbeddingResult>();
      result->request = request;
      result->film = m.config().film;
      result->gate = m.config().gate;
      std::vector<model::FeatureKind> kinds;
      if (model::previousStage(request.kind) != request.kind) kinds.push_back(model::previousStage(request.kind));
      kinds.push_back(request.kind);
      const auto label = [&result](model::FeatureKind k) { return model::featureKindLabel(k, result->gate); };
      const int firstSide = kinds.size() == 2 ? 0 : 1;
      for (std::size_t s = 0; s < kinds.size(); ++s) {
        const int side = firstSide + static_cast<int>(s);
        const model::FeatureSet fs =
            model::extractFeatureSet(corpus, inf, kinds[s], static_cast<std::size_t>(std::max(0, request.maxPoints)), request.seed);
        auto base = std::make_shared<EmbeddingMap>();
        base->kind = kinds[s];
        base->dims = request.dims;
        base->speaker = fs.speaker;
        base->emotion = fs.emotion;
        base->dialogue = fs.dialogue;
        base->index = fs.index;
        base->iterations = request.iterations;
        if (fs.rows() < 8) throw std::runtime_error(std::string(label(kinds[s])) + ": only " + std::to_string(fs.rows()) +
                                                    " utterances to embed in this split");
        analysis::TsneConfig cfg;
        cfg.dims = request.dims;
        cfg.iterations = request.iterations;
        cfg.exaggerationIterations = std::min(250, request.iterations);
        cfg.perplexity = std::min(30.0, (static_cast<double>(fs.rows()) - 1) / 3.0);
        cfg.threads = request.threads;
        cfg.seed = request.seed;
        cfg.reportEvery = 10;
        const QString stage = tr("t-SNE of %1").arg(label(kinds[s]));
        const double share = (100.0 - kInferShare - kStagesShare) / static_cast<double>(kinds.size());
        auto last = std::chrono::steady_clock::now();
        const auto r = analysis::runTsne(fs.x.data(), fs.rows(), fs.dim, cfg, [&](const analysis::TsneProgress& p) {
          if (cancelFlag->load()) return false;
          if (p.stage != analysis::TsneStage::Optimising) return true;
          const auto now = std::chrono::steady_clock::now();
          if (now - last < std::chrono::milliseconds(80)) return true;  // at most ~12 redraws a second
          last = now;
          auto map = std::make_shared<EmbeddingMap>(*base);
          map->layout.assign(p.layout, p.layout + p.n * static_cast<std::size_t>(p.dims));
          map->iteration = p.iteration;
          map->klDivergence = p.klDivergence;
          const int percent =
              kInferShare + static_cast<int>(share * (static_cast<double>(s) + static_cast<double>(p.iteration) / p.iterations));
          post([side, map, stage, percent](EmbeddingJob* j) {
            emit j->progress(stage, percent);
            emit j->partial(side, map);
          });
          return true;
        });
        if (r.cancelled || cancelFlag->load()) return;
        auto map = std::make_shared<EmbeddingMap>(*base);
        map->layout = r.layout;
        map->iteration = r.iterations;
        map->klDivergence = r.klDivergence;
        post([stage, share, s](EmbeddingJob* j) {
          emit j->progress(tr("Measuring %1").arg(stage.mid(stage.indexOf(' ') + 4)), kInferShare + static_cast<int>(share * (s + 1)) - 1);
        });
        map->numbers = analysis::measureDisentanglement(fs.x.data(), fs.rows(), fs.dim, fs.speaker, fs.emotion, 5, request.seed, 100,
                                                        [&cancelFlag] { return cancelFlag->load(); }, fs.dialogue);
        if (cancelFlag->load()) return;
        map->final = true;
        result->maps.push_back(map);
        post([side, map](EmbeddingJob* j) { emit j->partial(side, map); });
        if (cancelFlag->load()) return;
      }
      // The numbers of the modality's other stages, on the same utterances.
      for (model::FeatureKind k : model::stagesOf(request.kind)) {
        EmbeddingStage stage;
        stage.kind = k;
        for (const auto& map : result->maps)
          if (map->kind == k) {
            stage.numbers = map->numbers;
            stage.mapped = true;
          }
        if (!stage.mapped) {
          const QString what = QString::fromUtf8(label(k));
          post([what](EmbeddingJob* j) { emit j->progress(tr("Measuring %1").arg(what), 100 - kStagesShare); });
          const model::FeatureSet fs =
              model::extractFeatureSet(corpus, inf, k, static_cast<std::size_t>(std::max(0, request.maxPoints)), request.seed);
          stage.numbers = analysis::measureDisentanglement(fs.x.data(), fs.rows(), fs.dim, fs.speaker, fs.emotion, 5, request.seed, 100,
                                                           [&cancelFlag] { return cancelFlag->load(); }, fs.dialogue);
          if (cancelFlag->load()) return;
        }
        result->stages.push_back(stage);
      }
      result->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      post([result](EmbeddingJob* j) {
        j->busy_ = false;
        emit j->finished(result);
      });
    } catch (const std::exception& e) {
      const QString error = QString::fromStdString(e.what());
      post([error](EmbeddingJob* j) {
        j->busy_ = false;
        emit j->failed(error);
      });
    }
  });
}

}  // namespace mlsan::ui
