// SPDX-License-Identifier: GPL-3.0-or-later
#include "man_page.h"

#include "mlsan/data/atomic_file.h"

namespace mlsan::man {

std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size() + 8);
  bool lineStart = true;
  for (char c : text) {
    if (lineStart && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\')
      out += "\\e";
    else if (c == '-')
      out += "\\-";
    else
      out += c;
    lineStart = c == '\n';
  }
  return out;
}

namespace {
std::string upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

void paragraph(std::string& out, const std::string& text) {
  if (text.rfind("$ ", 0) == 0) {
    out += ".PP\n.nf\n.RS 4\n" + escape(text.substr(2)) + "\n.RE\n.fi\n";
  } else {
    out += ".PP\n" + escape(text) + "\n";
  }
}

void option(std::string& out, const Option& o) {
  out += ".TP\n\\fB" + escape(o.names) + "\\fR";
  if (!o.argument.empty()) out += " \\fI" + escape(o.argument) + "\\fR";
  out += "\n" + escape(o.description.empty() ? std::string("(no description)") : o.description);
  if (!o.defaultValue.empty()) {
    const bool stop = !o.description.empty() && o.description.back() == '.';
    out += std::string(stop ? " " : ". ") + "Default: " + escape(o.defaultValue) + ".";
  }
  out += "\n";
}
}  // namespace

std::string render(const Page& p) {
  std::string out;
  out += ".\\\" Generated from the program's own option definitions; do not edit.\n";
  out += ".TH \"" + upper(p.name) + "\" \"" + std::to_string(p.section) + "\" \"\" \"" + escape(p.version) +
         "\" \"ML-SAN Studio\"\n";
  out += ".SH NAME\n" + escape(p.name) + " \\- " + escape(p.summary) + "\n";
  out += ".SH SYNOPSIS\n.B " + escape(p.synopsis) + "\n";
  if (!p.description.empty()) {
    out += ".SH DESCRIPTION\n";
    for (const auto& d : p.description) paragraph(out, d);
  }
  if (!p.commands.empty()) {
    out += ".SH COMMANDS\n";
    for (const auto& [name, summary] : p.commands) out += ".TP\n\\fB" + escape(name) + "\\fR\n" + escape(summary) + "\n";
  }
  if (!p.positionals.empty()) {
    out += ".SH ARGUMENTS\n";
    for (const auto& o : p.positionals) option(out, o);
  }
  if (!p.options.empty()) {
    out += ".SH OPTIONS\n";
    for (const auto& o : p.options) option(out, o);
  }
  for (const auto& s : p.sections) {
    out += ".SH " + escape(upper(s.title)) + "\n";
    for (const auto& d : s.paragraphs) paragraph(out, d);
  }
  if (!p.seeAlso.empty()) {
    out += ".SH SEE ALSO\n";
    for (std::size_t i = 0; i < p.seeAlso.size(); ++i) {
      const auto& ref = p.seeAlso[i];
      const auto paren = ref.find('(');
      out += "\\fB" + escape(ref.substr(0, paren)) + "\\fR" + (paren == std::string::npos ? "" : ref.substr(paren));
      out += i + 1 < p.seeAlso.size() ? ",\n" : "\n";
    }
  }
  return out;
}

void write(const Page& page, const std::string& dir) {
  data::atomicWriteFile(dir + "/" + page.name + "." + std::to_string(page.section), render(page));
}

}  // namespace mlsan::man
