// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target: the safe pickle reader (pickle.h), both from memory (loadPickleBytes) and
// from a file (loadPickleFile, which streams the file in chunks and may leave big payloads in it;
// the input is written to a memfd and opened through /proc/self/fd), and, when the parse
// succeeds, the interpretation of the value as a DialogueRNN/COSMIC or MultiEMO annotation layout
// (readAnnotations, the in-memory core of readDialogueRnnPickle) and a write/read round trip.
//
// Expected failures are exceptions (PickleError, std::runtime_error, std::invalid_argument):
// they are caught. Crashes, sanitizer reports, hangs (-timeout) and memory blow-ups
// (-rss_limit_mb / -malloc_limit_mb) are bugs. An inconsistency the reader must never produce
// (a value it wrote that it cannot read back) aborts, so libFuzzer records the input.
//
// Build and run: see tests/fuzz/run_fuzz.sh (cmake --preset fuzz).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#include "mlsan/data/pickle.h"
#include "mlsan/data/pickle_writer.h"

#if __has_include("multiemo_internal.h")
#include "mlsan/data/corpus.h"
#include "mlsan/data/multiemo_corpus.h"
#include "multiemo_internal.h"  // data/src: readAnnotations(const PyValue&, file, options)
#define MLSAN_FUZZ_LAYOUTS 1
#endif

using namespace mlsan::data;

namespace {

// Values are DAGs (memo GETs share nodes), so a walk can be exponential in the input size:
// the walk of the harness itself is bounded by a visit budget (the reader's own work is not).
struct Walker {
  std::size_t budget = 20000;
  volatile double sink = 0;  // keeps the reads from being optimised away

  void walk(const PyValue& v, int depth) {
    if (budget == 0 || depth > 300) return;
    --budget;
    sink = sink + static_cast<double>(v.kind()) + (v.typeName()[0]);
    switch (v.kind()) {
      case PyKind::None: break;
      case PyKind::Bool: sink = sink + v.asBool(); break;
      case PyKind::Int: sink = sink + static_cast<double>(v.asInt()) + v.asNumber(); break;
      case PyKind::Float: sink = sink + v.asNumber(); break;
      case PyKind::Str: sink = sink + static_cast<double>(v.asStr().size() + v.latin1Source().size() + v.size()); break;
      case PyKind::Bytes: sink = sink + static_cast<double>(v.asBytes().size() + v.size()); break;
      case PyKind::List: case PyKind::Tuple: case PyKind::Set: {
        const std::size_t n = v.size();
        if (const auto* f = v.floatItems()) {
          if (f->size() != n) std::abort();
          for (std::size_t i = 0; i < n && i < 64; ++i) sink = sink + v.at(i).asNumber();
        } else {
          const auto& items = v.items();
          if (items.size() != n) std::abort();
          for (std::size_t i = 0; i < n && budget; ++i) walk(v.at(i), depth + 1);
        }
        break;
      }
      case PyKind::Dict: {
        const auto& items = v.dictItems();
        if (items.size() != v.size()) std::abort();
        for (const auto& [key, value] : items) {
          if (!budget) break;
          --budget;
          // Every key the reader accepted must be found again (same hashing, same equality).
          if (!v.get(key)) std::abort();
          walk(key, depth + 1);
          walk(value, depth + 1);
        }
        break;
      }
      case PyKind::Array: {
        const PyArray& a = v.asArray();
        const std::size_t n = a.size();
        // The reader guarantees size() * element size == data bytes; check it, then read.
        if (n * static_cast<std::size_t>(pyDTypeSize(a.dtype)) != a.data.size) std::abort();
        if (n <= (1u << 20)) {
          std::vector<float> out(n + 1);  // never empty: callers pass a real buffer
          a.toFloat(out.data());
          for (std::size_t i = 0; i < n && i < 16; ++i) sink = sink + out[i] + a.at(i);
          if (!a.fortran && n) {
            a.toFloat(out.data(), n / 2, n - n / 2);
            sink = sink + out[0];
          }
        }
        sink = sink + static_cast<double>(a.describe().size());
        break;
      }
      case PyKind::DType: break;
      case PyKind::Global: sink = sink + static_cast<double>(v.globalName().size()); break;
    }
  }
};

#ifdef MLSAN_FUZZ_LAYOUTS
void layout(const PyValue& root, const char* dataset) {
  MultiEmoOptions options;
  options.dataset = dataset;
  try {
    AnnotationResult r = readAnnotations(root, "<fuzz>", options);
    Corpus& c = r.corpus;
    if (r.keys.size() != c.dialogues.size()) std::abort();
    for (const auto& k : r.keys) (void)dialogueKeyText(k);
    c.reindexRows();
    c.validate();
    (void)c.numUtterances();
    (void)c.maxParties();
    (void)c.signature();
  } catch (const std::exception&) {
  }
}
#endif

void writeAll(int fd, const void* data, std::size_t size, std::size_t at) {
  for (std::size_t done = 0; done < size;) {
    const ssize_t n = pwrite(fd, static_cast<const char*>(data) + done, size - done, static_cast<off_t>(at + done));
    if (n <= 0) std::abort();
    done += static_cast<std::size_t>(n);
  }
}

// The same bytes through the file reader: a memfd rewritten for each input, opened by path.
// With `padded`, the input follows a 72 KiB bytes payload that is popped at once
// (PROTO 4, BINBYTES, POP): the payload is bigger than the reader's first 64 KiB chunk, so it
// is left in the file and the input itself is then read in small chunks (refills at every
// boundary), which inputs of at most -max_len=65536 bytes alone never reach.
void fromFile(const std::uint8_t* data, std::size_t size, bool padded) {
  static const int fd = memfd_create("fuzz_pickle", 0);
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  static const std::string pad = [] {
    const std::uint32_t n = 72 * 1024;
    std::string p = "\x80\x04" "B";
    p.append(reinterpret_cast<const char*>(&n), 4);  // little-endian length (x86-64)
    p.append(n, '\0');
    p += '0';  // POP
    return p;
  }();
  if (fd < 0 || ftruncate(fd, 0) != 0) std::abort();
  std::size_t at = 0;
  if (padded) {
    writeAll(fd, pad.data(), pad.size(), 0);
    at = pad.size();
  }
  writeAll(fd, data, size, at);
  try {
    const PyValue root = loadPickleFile(path);
    Walker w;
    w.walk(root, 0);
    (void)root.describe();
  } catch (const std::exception&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fromFile(data, size, false);
  fromFile(data, size, true);

  PyValue root;
  try {
    root = loadPickleBytes(std::string(reinterpret_cast<const char*>(data), size), "<fuzz>");
  } catch (const PickleError& e) {
    (void)e.offset();
    return 0;
  } catch (const std::exception&) {
    return 0;  // e.g. std::bad_alloc is not expected here, but the limits make it an exception
  }

  try {  // reading a value may throw too (e.g. a big str whose UTF-8 is checked on first use)
    Walker w;
    w.walk(root, 0);
    (void)root.describe();
  } catch (const std::exception&) {
  }

#ifdef MLSAN_FUZZ_LAYOUTS
  layout(root, "");
  layout(root, "meld");
  layout(root, "iemocap");
#endif

  // Round trip: what the writer produces from a value the reader built must read back.
  for (int protocol : {2, 5}) {
    std::string out;
    try {
      PickleWriteOptions options;
      options.protocol = protocol;
      out = pickleBytes(root, options);
    } catch (const std::exception&) {
      continue;  // values the writer does not support (e.g. a bare numpy.dtype or global)
    }
    try {
      (void)loadPickleBytes(std::move(out), "<roundtrip>");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fuzz_pickle: the writer's protocol-%d pickle of a value read from this input does not read back: %s\n",
                   protocol, e.what());
      std::abort();
    }
  }
  return 0;
}
