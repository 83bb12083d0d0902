// SPDX-License-Identifier: GPL-3.0-or-later
// mlsan: the ML-SAN Studio engine on the command line.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include "commands.h"
#include "terminal_progress.h"

int main(int argc, char** argv) {
  CLI::App app{"mlsan - train, evaluate and compare ML-SAN and MultiEMO for emotion recognition in conversation.\n"
               "A corpus argument 'demo' means the built-in demo corpus ('demo:SEED' for another seed); "
               "'demo-iemocap', 'demo-null' and 'demo-fingerprint' are its IEMOCAP-shaped form and its two controls."};
  app.set_version_flag("--version", std::string("mlsan ") + MLSAN_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  mlsan::app::addCorpusCommands(app);
  mlsan::app::addTrainCommands(app);
  mlsan::app::addImportCommand(app);
  mlsan::app::addCompareCommand(app);
  mlsan::app::addAblationCommands(app);
  mlsan::app::addDisentangleCommand(app);
  mlsan::app::addTsneCommand(app);
  mlsan::app::addExplainCommand(app);
  mlsan::app::addExtractCommand(app);
  mlsan::app::addClusterCommands(app);
  mlsan::app::addGradientsCommand(app);
  mlsan::app::addBenchCommand(app);
  mlsan::app::setExamples(
      &app, {{"The demo comparison: MultiEMO and ML-SAN on the built-in demo corpus", "mlsan demo"},
             {"Train ML-SAN on MultiEMO's MELD features, joined with the MELD CSVs and the MELD.Raw clips",
              "mlsan train --corpus MultiEMO/Data/MELD --csv MELD.Raw --clips MELD.Raw --out runs/mlsan"},
             {"The paper's Table 2 over three seeds, two runs at a time", "mlsan ablation --corpus demo --seeds 3 --jobs 2"},
             {"Every command has its own help and manual page", "mlsan train --help; man mlsan-train"}});
  // Not an option users see: the build makes the manual pages from the definitions above.
  if (argc == 3 && std::string(argv[1]) == "--write-man-pages") {
    try {
      const int n = mlsan::app::writeManPages(app, argv[2], MLSAN_VERSION);
      std::printf("mlsan: wrote %d manual pages to %s\n", n, argv[2]);
      return 0;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "mlsan: error: %s\n", e.what());
      return 1;
    }
  }
  mlsan::app::TerminalProgress::installInterruptHandler();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const mlsan::app::CancelledError& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "mlsan: %s\n", e.what());
    return 3;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "mlsan: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
