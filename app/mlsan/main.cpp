// mlsan: the ML-SAN Studio engine on the command line.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <iostream>

#include "commands.h"
#include "terminal_progress.h"

int main(int argc, char** argv) {
  CLI::App app{"mlsan - train, evaluate and compare ML-SAN and MultiEMO for emotion recognition in conversation.\n"
               "A corpus argument 'demo' means the built-in demo corpus ('demo:SEED' for another seed)."};
  app.set_version_flag("--version", std::string("mlsan ") + MLSAN_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  mlsan::app::addCorpusCommands(app);
  mlsan::app::addTrainCommands(app);
  mlsan::app::addCompareCommand(app);
  mlsan::app::addAblationCommands(app);
  mlsan::app::addDisentangleCommand(app);
  mlsan::app::addTsneCommand(app);
  mlsan::app::addBenchCommand(app);
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
