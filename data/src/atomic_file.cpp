#include "mlsan/data/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mlsan::data {
namespace {
std::string tempName(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  return path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

void fsyncPath(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}
}  // namespace

void atomicWriteStream(const std::string& path, const std::function<void(std::ostream&)>& writer) {
  const std::string tmp = tempName(path);
  try {
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) throw std::runtime_error("cannot create " + tmp + ": " + std::strerror(errno));
      writer(out);
      out.flush();
      if (!out) throw std::runtime_error("write failed (disk full?)");
    }
    fsyncPath(tmp, false);
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      throw std::runtime_error(std::string("rename failed: ") + std::strerror(errno));
    const auto parent = std::filesystem::path(path).parent_path();
    fsyncPath(parent.empty() ? "." : parent.string(), true);
  } catch (const std::exception& e) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw std::runtime_error("could not write " + path + ": " + e.what());
  }
}

void atomicWriteFile(const std::string& path, const std::string& bytes) {
  atomicWriteStream(path, [&](std::ostream& out) { out.write(bytes.data(), static_cast<std::streamsize>(bytes.size())); });
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw std::runtime_error("cannot read " + path);
  return ss.str();
}

}  // namespace mlsan::data
