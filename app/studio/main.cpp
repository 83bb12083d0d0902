// SPDX-License-Identifier: GPL-3.0-or-later
// mlsan-studio: the desktop application. With no arguments it opens the built-in demo corpus
// and the ML-SAN and MultiEMO models trained on it (trained on a worker thread on first start,
// reused from the cache afterwards). Paths on the command line open a corpus and run folders.
#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QTimer>
#include <cstdio>
#include <cstring>

#include "../man/man_page.h"
#include "mlsan/ui/main_window.h"
#include "studio_bench.h"

namespace {

const char* const kDescription = "ML-SAN Studio: browse a corpus, play each utterance, and watch ML-SAN's speaker gate.";
const char* const kPathsHelp =
    "A corpus to open (a MultiEMO data folder or pickle, a folder of MELD CSVs, a corpus folder written by mlsan "
    "corpus demo) and/or run folders written by mlsan train (a folder of seeds counts as one run). With runs and no "
    "corpus, the corpus is the one the first run was trained on.";

struct StudioCli {
  QCommandLineOption corpus{"corpus",
                            "Corpus to open: demo (default), demo:SEED, demo-null, demo-fingerprint, demo-iemocap, a MultiEMO folder or pickle, a MELD CSV "
                            "folder; add ;csv=DIR and ;clips=DIR for MELD's CSVs and MELD.Raw clips.",
                            "SOURCE"};
  QCommandLineOption run{"run", "A run folder from `mlsan train` to load (give it twice to compare two runs).", "DIR"};
  QCommandLineOption noTrain{"no-train", "Do not train the demo models on first start."};
  QCommandLineOption epochs{"demo-epochs", "Epochs for the demo models trained on first start (default: the demo preset's).", "N"};
  QCommandLineOption screenshot{"screenshot", "Save a picture of the window to FILE once everything has loaded, then quit.", "FILE"};
  QCommandLineOption bench{"bench", "Measure stepping and first-frame times on the demo corpus, print them, and quit."};
  QCommandLineOption noSettings{"no-settings", "Do not restore or save the layout and recent lists."};
  QCommandLineOption runs{"runs", "The Training panel's runs folder (default: ./runs).", "DIR"};
  QCommandLineOption demoVideos{"write-demo-videos",
                                "Render the demo corpus's clips into DIR/clips with their utterance table DIR/table.csv (the input of "
                                "`mlsan extract --table`), then quit.",
                                "DIR"};
  QCommandLineOption demoDialogues{"demo-dialogues", "With --write-demo-videos: how many dialogues (default 120).", "N", "120"};
  QCommandLineOption relianceDraws{"reliance-draws",
                                   "Draws per utterance of the modality reliance measured in the background (the interventional "
                                   "baseline of `mlsan explain`; default its own, chosen so that a share's standard error at the "
                                   "median utterance is below 0.02).",
                                   "K"};
  QList<QCommandLineOption> all() const {
    return {corpus, run, noTrain, epochs, screenshot, bench, noSettings, runs, demoVideos, demoDialogues, relianceDraws};
  }
};

/// mlsan-studio.1 from the same option definitions the parser uses.
int writeManPage(const char* dir) {
  using mlsan::man::Option;
  mlsan::man::Page p;
  p.name = "mlsan-studio";
  p.version = MLSAN_VERSION;
  p.summary = "the ML-SAN Studio desktop application for emotion recognition in conversation";
  p.synopsis = "mlsan-studio [OPTIONS] [PATH...]";
  p.description = {
      kDescription,
      "With no arguments it opens the built-in demo corpus and the ML-SAN and MultiEMO models trained on it: on the "
      "first start they are trained on a worker thread (about a minute each on 2 cores) and kept in "
      "~/.cache/mlsan-studio/demo-runs.",
      "Tabs: Browse (the corpus Season > Episode > Dialogue > Utterance, the clip, the gate timeline), Confusion "
      "(ML-SAN against MultiEMO: confusion matrices, per-class F1, McNemar's test), Embeddings (t-SNE before and after "
      "FiLM, with silhouette and speaker-probe numbers) and Training (retrain a model, Table 2 or the lambda sweep). "
      "The user guide is in /usr/share/doc/mlsan-studio/USER_GUIDE.md."};
  p.positionals.push_back(Option{"PATH", "", kPathsHelp, ""});
  const StudioCli cli;
  for (const QCommandLineOption& o : cli.all()) {
    Option m;
    for (const QString& n : o.names()) m.names += (m.names.empty() ? "--" : ", --") + n.toStdString();
    m.argument = o.valueName().toStdString();
    m.description = o.description().toStdString();
    p.options.push_back(m);
  }
  p.options.push_back(Option{"-h, --help", "", "Print the options and quit.", ""});
  p.options.push_back(Option{"-v, --version", "", "Print the version and quit.", ""});
  p.sections.push_back({"Examples",
                        {"The demo corpus and its two models", "$ mlsan-studio",
                         "MultiEMO's MELD features with the annotation CSVs and the MELD.Raw clips",
                         "$ mlsan-studio --corpus 'MultiEMO/Data/MELD;csv=MELD.Raw;clips=MELD.Raw'",
                         "Two runs on the corpus they were trained on, to compare", "$ mlsan-studio runs/multiemo runs/mlsan"}});
  p.sections.push_back({"Environment",
                        {"MLSAN_CACHE_DIR: the cache of opened corpora and the demo models (default: "
                         "$XDG_CACHE_HOME/mlsan-studio or ~/.cache/mlsan-studio).",
                         "MLSAN_BIN: the mlsan program the Training panel starts for each run (default: the one beside "
                         "mlsan-studio, then PATH)."}});
  p.seeAlso = {"mlsan(1)", "mlsan-train(1)", "mlsan-ablation(1)"};
  try {
    mlsan::man::write(p, dir);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mlsan-studio: error: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Not an option users see: the build makes the manual page from the definitions above.
  if (argc == 3 && std::strcmp(argv[1], "--write-man-page") == 0) return writeManPage(argv[2]);
  // QtMultimedia's GStreamer backend crashes without its plugins; the FFmpeg one does not.
  if (qEnvironmentVariableIsEmpty("QT_MEDIA_BACKEND")) qputenv("QT_MEDIA_BACKEND", "ffmpeg");
  QApplication app(argc, argv);
  QApplication::setOrganizationName("mlsan");
  QApplication::setApplicationName("ML-SAN Studio");
  QApplication::setApplicationVersion(MLSAN_VERSION);
  QApplication::setDesktopFileName("org.mlsan.Studio");
  QApplication::setWindowIcon(QIcon(":/icons/org.mlsan.Studio.svg"));

  QCommandLineParser parser;
  parser.setApplicationDescription(kDescription);
  parser.addHelpOption();
  parser.addVersionOption();
  const StudioCli cli;
  parser.addOptions(cli.all());
  parser.addPositionalArgument("paths", kPathsHelp, "[PATH...]");
  parser.process(app);

  mlsan::ui::StudioOptions options;
  options.corpus = parser.value(cli.corpus);
  options.runs = parser.values(cli.run);
  options.runsRoot = parser.value(cli.runs);
  options.trainDemoModels = !parser.isSet(cli.noTrain);
  options.demoEpochs = parser.value(cli.epochs).toInt();
  if (parser.isSet(cli.relianceDraws)) {
    bool ok = false;
    options.relianceDraws = parser.value(cli.relianceDraws).toInt(&ok);
    if (!ok || options.relianceDraws < 2) {
      std::fprintf(stderr, "mlsan-studio: --reliance-draws %s: expected a whole number of at least 2\n", qPrintable(parser.value(cli.relianceDraws)));
      return 2;
    }
  }
  options.useSettings = !parser.isSet(cli.noSettings) && !parser.isSet(cli.bench) && !parser.isSet(cli.screenshot);
  // Without a screen nobody could close a dialog: problems go to the status line and stderr.
  options.errorDialogs = QGuiApplication::platformName() != QLatin1String("offscreen");
  QString error;
  if (!mlsan::ui::applyOpenArguments(parser.positionalArguments(), options, &error)) {
    std::fprintf(stderr, "mlsan-studio: %s\n", qPrintable(error));
    return 2;
  }
  if (parser.isSet(cli.bench)) return mlsan::studio::runBench(options);
  if (parser.isSet(cli.demoVideos))
    return mlsan::studio::writeDemoVideos(parser.value(cli.demoVideos), parser.value(cli.demoDialogues).toInt());

  mlsan::ui::MainWindow window(options);
  window.show();
  if (parser.isSet(cli.screenshot)) return mlsan::studio::screenshotWhenReady(window, parser.value(cli.screenshot));
  return app.exec();
}
