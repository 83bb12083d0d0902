// SPDX-License-Identifier: GPL-3.0-or-later
// `mlsan --write-man-pages DIR`: one manual page for mlsan and one per subcommand, made from the
// CLI11 definitions themselves, so the pages and --help never disagree. It refuses (and the
// build fails) when an option or a subcommand has no description.
#include <CLI/CLI.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "../man/man_page.h"
#include "commands.h"

namespace mlsan::app {
namespace {

std::string pageName(const CLI::App& cmd) {
  std::string name;
  for (const CLI::App* a = &cmd; a && a->get_parent(); a = a->get_parent()) name = "-" + a->get_name() + name;
  return "mlsan" + name;
}

std::string commandLine(const CLI::App& cmd) {
  std::string name;
  for (const CLI::App* a = &cmd; a && a->get_parent(); a = a->get_parent()) name = " " + a->get_name() + name;
  return "mlsan" + name;
}

std::vector<const CLI::App*> namedSubcommands(const CLI::App& cmd) {
  return cmd.get_subcommands([](const CLI::App* s) { return !s->get_name().empty(); });
}

std::vector<const CLI::Option*> visibleOptions(const CLI::App& cmd) {
  return cmd.get_options([](const CLI::Option* o) { return !o->get_group().empty(); });
}

man::Option toManOption(const CLI::Option& o) {
  man::Option m;
  if (o.get_positional() && o.nonpositional() == false) {
    m.names = o.get_name(true);
  } else {
    m.names = o.get_name(false, true);
    for (std::size_t p = 0; (p = m.names.find(',', p)) != std::string::npos; p += 2) m.names.replace(p, 1, ", ");
  }
  if (o.get_items_expected_max() > 0) {
    m.argument = o.get_type_name();
    if (o.get_items_expected_max() > 1 && o.get_items_expected_max() < CLI::detail::expected_max_vector_size)
      m.argument += " x " + std::to_string(o.get_items_expected_max());
    else if (o.get_items_expected_max() >= CLI::detail::expected_max_vector_size)
      m.argument += " ...";
    if (o.get_required()) m.argument += " (required)";
  }
  m.description = o.get_description();
  m.defaultValue = o.get_default_str();
  return m;
}

/// The footer's "Examples:" block: indented lines starting with "#" are comments, other
/// indented lines are commands.
man::Section examplesOf(const std::string& footer) {
  man::Section s{"Examples", {}};
  std::size_t pos = 0;
  while (pos < footer.size()) {
    auto nl = footer.find('\n', pos);
    if (nl == std::string::npos) nl = footer.size();
    std::string line = footer.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.rfind("  ", 0) != 0) continue;
    line = line.substr(line.find_first_not_of(' '));
    s.paragraphs.push_back(line.rfind("# ", 0) == 0 ? line.substr(2) : "$ " + line);
  }
  return s;
}

void checkDocumented(const CLI::App& cmd, std::vector<std::string>& missing) {
  for (const CLI::Option* o : visibleOptions(cmd))
    if (o->get_description().empty()) missing.push_back(commandLine(cmd) + " " + o->get_name(true, true));
  for (const CLI::App* s : namedSubcommands(cmd)) {
    if (s->get_description().empty()) missing.push_back(commandLine(*s));
    checkDocumented(*s, missing);
  }
}

void addPages(const CLI::App& cmd, const std::string& version, std::vector<man::Page>& pages) {
  man::Page p;
  p.name = pageName(cmd);
  p.version = version;
  const bool top = cmd.get_parent() == nullptr;
  std::string description = cmd.get_description();
  p.summary = description.substr(0, description.find('\n'));
  if (top) {
    // "mlsan - train, ...": the NAME line carries the text after the dash.
    const auto dash = p.summary.find(" - ");
    if (dash != std::string::npos) p.summary = p.summary.substr(dash + 3);
    const auto nl = description.find('\n');
    p.description.push_back(nl == std::string::npos ? std::string() : description.substr(nl + 1));
    p.description.push_back(
        "mlsan is the command-line half of ML-SAN Studio; mlsan-studio(1) is the desktop application. Each "
        "command has its own page, mlsan-COMMAND(1), and its own --help.");
  } else {
    p.description.push_back(description);
  }
  const auto subs = namedSubcommands(cmd);
  p.synopsis = commandLine(cmd) + (subs.empty() ? " [OPTIONS]" : " COMMAND [OPTIONS]");
  for (const CLI::Option* o : visibleOptions(cmd)) {
    man::Option m = toManOption(*o);
    (o->get_positional() && !o->nonpositional() ? p.positionals : p.options).push_back(m);
    if (o->get_positional() && !o->nonpositional()) p.synopsis += " " + m.names;
  }
  for (const CLI::App* s : subs) p.commands.emplace_back(s->get_name(), s->get_description());
  const std::string footer = cmd.get_footer();
  if (auto ex = examplesOf(footer); !ex.paragraphs.empty()) p.sections.push_back(ex);
  if (top) {
    p.sections.push_back({"Exit status",
                          {"0 on success; 1 on an error (the message names the file and the problem); 3 when a training "
                           "run was interrupted (Ctrl+C or SIGTERM) after saving its last completed epoch, so that "
                           "--resume continues it; another non-zero status for a command-line mistake."}});
    p.sections.push_back({"Environment",
                          {"MLSAN_BIN: the mlsan program that mlsan ablation, mlsan sweep and the studio's Training "
                           "panel start for each run (default: the one beside the caller, then PATH).",
                           "MLSAN_CACHE_DIR: where opened corpora are cached in binary form (default: "
                           "$XDG_CACHE_HOME/mlsan-studio or ~/.cache/mlsan-studio)."}});
    p.seeAlso.push_back("mlsan-studio(1)");
  } else {
    p.seeAlso.push_back("mlsan(1)");
  }
  for (const CLI::App* s : subs) p.seeAlso.push_back(pageName(*s) + "(1)");
  pages.push_back(std::move(p));
  for (const CLI::App* s : subs) addPages(*s, version, pages);
}

}  // namespace

void setExamples(CLI::App* cmd, std::initializer_list<std::pair<const char*, const char*>> examples) {
  std::string text = "Examples:";
  for (const auto& [comment, command] : examples) text += std::string("\n  # ") + comment + "\n  " + command;
  cmd->footer(text);
}

int writeManPages(const CLI::App& app, const std::string& dir, const std::string& version) {
  std::vector<std::string> missing;
  checkDocumented(app, missing);
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += "\n  " + m;
    throw std::runtime_error("these have no help text, so their manual page would be incomplete:" + list);
  }
  std::vector<man::Page> pages;
  addPages(app, version, pages);
  for (const auto& p : pages) man::write(p, dir);
  return static_cast<int>(pages.size());
}

}  // namespace mlsan::app
