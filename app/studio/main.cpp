// mlsan-studio: the desktop application. With no arguments it opens the built-in demo corpus
// and the ML-SAN and MultiEMO models trained on it (trained on a worker thread on first start,
// reused from the cache afterwards).
#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>
#include <cstdio>

#include "mlsan/ui/main_window.h"
#include "studio_bench.h"

int main(int argc, char** argv) {
  // QtMultimedia's GStreamer backend crashes without its plugins; the FFmpeg one does not.
  if (qEnvironmentVariableIsEmpty("QT_MEDIA_BACKEND")) qputenv("QT_MEDIA_BACKEND", "ffmpeg");
  QApplication app(argc, argv);
  QApplication::setOrganizationName("mlsan");
  QApplication::setApplicationName("ML-SAN Studio");
  QApplication::setApplicationVersion(MLSAN_VERSION);

  QCommandLineParser cli;
  cli.setApplicationDescription("ML-SAN Studio: browse a corpus, play each utterance, and watch ML-SAN's speaker gate.");
  cli.addHelpOption();
  cli.addVersionOption();
  QCommandLineOption corpus("corpus", "Corpus to open: demo (default), demo:SEED, a MultiEMO folder or pickle, a MELD CSV "
                                      "folder; add ;csv=DIR and ;clips=DIR for MELD's CSVs and MELD.Raw clips.", "SOURCE");
  QCommandLineOption run("run", "A run folder from `mlsan train` to load (give it twice to compare two runs).", "DIR");
  QCommandLineOption noTrain("no-train", "Do not train the demo models on first start.");
  QCommandLineOption epochs("demo-epochs", "Epochs for the demo models trained on first start (default: the demo preset's).", "N");
  QCommandLineOption screenshot("screenshot", "Save a picture of the window to FILE once everything has loaded, then quit.", "FILE");
  QCommandLineOption bench("bench", "Measure stepping and first-frame times on the demo corpus, print them, and quit.");
  QCommandLineOption noSettings("no-settings", "Do not restore or save the layout and recent lists.");
  QCommandLineOption runs("runs", "The Training panel's runs folder (default: ./runs).", "DIR");
  cli.addOptions({corpus, run, noTrain, epochs, screenshot, bench, noSettings, runs});
  cli.process(app);

  mlsan::ui::StudioOptions options;
  options.corpus = cli.value(corpus);
  options.runs = cli.values(run);
  options.runsRoot = cli.value(runs);
  options.trainDemoModels = !cli.isSet(noTrain);
  options.demoEpochs = cli.value(epochs).toInt();
  options.useSettings = !cli.isSet(noSettings) && !cli.isSet(bench) && !cli.isSet(screenshot);
  if (cli.isSet(bench)) return mlsan::studio::runBench(options);

  mlsan::ui::MainWindow window(options);
  window.show();
  if (cli.isSet(screenshot)) return mlsan::studio::screenshotWhenReady(window, cli.value(screenshot));
  return app.exec();
}
