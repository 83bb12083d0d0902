// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// A manual page in troff (man(7) macros), built from a program's own option definitions
// (mlsan's CLI11 tree, mlsan-studio's QCommandLineParser options), so the pages say exactly
// what --help says. Needs only mlsan_data (atomic writes).
#include <string>
#include <vector>

namespace mlsan::man {

struct Option {
  std::string names;        ///< "-j, --jobs" or "SOURCE" for a positional
  std::string argument;     ///< "N", "FILE", ...; empty for a flag
  std::string description;  ///< one paragraph
  std::string defaultValue; ///< empty when none
};

struct Section {
  std::string title;                    ///< e.g. "EXAMPLES", "FILES"
  std::vector<std::string> paragraphs;  ///< plain text; a paragraph starting with "$ " is a command
};

struct Page {
  std::string name;      ///< "mlsan-train"
  int section = 1;
  std::string summary;   ///< the NAME line after the dash
  std::string synopsis;  ///< "mlsan train [OPTIONS] ..."
  std::vector<std::string> description;
  std::vector<Option> positionals;
  std::vector<Option> options;
  std::vector<std::pair<std::string, std::string>> commands;  ///< subcommand name, summary
  std::vector<Section> sections;
  std::vector<std::string> seeAlso;  ///< "mlsan-studio(1)"
  std::string version;               ///< shown in the footer
};

/// The page as troff source.
std::string render(const Page& page);

/// Text made safe for troff: backslashes, leading dots and quotes, hyphens as \-.
std::string escape(const std::string& text);

/// Writes `page` to DIR/NAME.SECTION atomically; throws std::runtime_error naming the file.
void write(const Page& page, const std::string& dir);

}  // namespace mlsan::man
