// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target: the MELD CSV reader (meld_csv.h: parseMeldCsv) and the text helpers it
// exposes (repairCp1252Mojibake, parseMeldTimestamp, canonicalMeldSpeaker), run on the fields of
// each parsed row and on the raw input.
//
// Expected failures are std::exception subclasses (std::runtime_error naming the file and line):
// they are caught. Crashes, sanitizer reports, hangs (-timeout) and memory blow-ups are bugs.
// A row that breaks the header's documented promises (a label id that does not match its
// emotion, text that is not valid UTF-8) aborts, so libFuzzer records the input.
//
// Build and run: see tests/fuzz/run_fuzz.sh (cmake --preset fuzz).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "mlsan/data/corpus.h"
#include "mlsan/data/meld_csv.h"

using namespace mlsan::data;

namespace {

bool validUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t len;
    if (c < 0x80) len = 1;
    else if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) len = 3;
    else if (c >= 0xF0 && c <= 0xF4) len = 4;
    else return false;
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

[[noreturn]] void broken(const MeldRow& r, const char* what) {
  std::fprintf(stderr, "fuzz_meld_csv: row at line %d: %s\n", r.line, what);
  std::abort();
}

void checkTimestamp(std::string_view text) {
  const double t = parseMeldTimestamp(text);
  if (!(t == -1.0 || (t >= 0.0 && std::isfinite(t)))) {
    std::fprintf(stderr, "fuzz_meld_csv: parseMeldTimestamp gave %g\n", t);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  // The helpers on the raw bytes (they take any text; the repair expects valid UTF-8 but
  // must not misbehave on other bytes).
  try {
    (void)repairCp1252Mojibake(std::string(bytes.substr(0, 4096)));
    checkTimestamp(bytes.substr(0, 64));
    (void)canonicalMeldSpeaker(std::string(bytes.substr(0, 256)));
  } catch (const std::exception&) {
  }

  MeldCsv csv;
  try {
    csv = parseMeldCsv(bytes, "<fuzz>");
  } catch (const std::exception&) {
    return 0;
  }

  const LabelSet labels = meldLabels();
  int lastLine = 0;
  for (const MeldRow& r : csv.rows) {
    if (r.line < 1 || r.line < lastLine) broken(r, "line numbers out of order");
    lastLine = r.line;
    if (r.label < 0 || r.label >= labels.size()) broken(r, "label id out of range");
    if (labels.indexOf(r.emotion) != r.label) broken(r, "label id does not match the emotion");
    if (!validUtf8(r.utterance) || !validUtf8(r.speaker)) broken(r, "text is not valid UTF-8");
    if (r.startSeconds != -1.0 && !(r.startSeconds >= 0.0 && std::isfinite(r.startSeconds))) broken(r, "bad start time");
    if (r.endSeconds != -1.0 && !(r.endSeconds >= 0.0 && std::isfinite(r.endSeconds))) broken(r, "bad end time");
    try {
      // Repairing repaired text changes nothing (the repair maps C1 controls away).
      if (repairCp1252Mojibake(r.utterance) != r.utterance) broken(r, "utterance is not fully repaired");
      const std::string who = canonicalMeldSpeaker(r.speaker);
      if (!validUtf8(who)) broken(r, "canonical speaker is not valid UTF-8");
      checkTimestamp(r.utterance.substr(0, 64));
    } catch (const std::exception&) {
    }
  }
  for (const auto& p : csv.problems)
    if (p.empty()) std::abort();
  return 0;
}
