// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target: the torch.save reader (torch_file.h: zip and legacy formats, on the safe
// pickle reader with torch's globals and persistent ids). The input is written to a memfd and
// read by path, as `mlsan import-multiemo` reads a file. Expected failures are exceptions
// (PickleError, std::runtime_error): caught. Crashes, sanitizer reports, hangs and memory
// blow-ups are bugs. Every tensor the reader returns must have exactly the bytes its shape and
// type need, and read.
//
// Build and run: see tests/fuzz/run_fuzz.sh (cmake --preset fuzz).
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "mlsan/data/torch_file.h"

using namespace mlsan::data;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const int fd = memfd_create("fuzz_torch_file", 0);
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  if (fd < 0 || ftruncate(fd, 0) != 0) std::abort();
  for (std::size_t done = 0; done < size;) {
    const ssize_t n = pwrite(fd, data + done, size - done, static_cast<off_t>(done));
    if (n <= 0) std::abort();
    done += static_cast<std::size_t>(n);
  }
  try {
    const TorchStateDict sd = readTorchStateDict(path);
    volatile float sink = 0;
    for (const auto& [name, a] : sd.tensors) {
      if (a.size() * static_cast<std::size_t>(pyDTypeSize(a.dtype)) != a.data.size) std::abort();
      if (a.size() > (1u << 20)) continue;
      std::vector<float> out(a.size() + 1);
      a.toFloat(out.data());
      sink = sink + out[0] + static_cast<float>(name.size()) + static_cast<float>(a.describe().size());
    }
    if (sd.tensors.empty()) std::abort();  // the reader refuses a file without tensors
  } catch (const std::exception&) {
  }
  return 0;
}
