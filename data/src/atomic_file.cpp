// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/data/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <streambuf>
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

/// A file sink that never shows a write error to the writer: the first failing write's errno
/// is remembered and later output dropped; atomicWriteStream reports it once the writer is done.
/// (LibTorch's zip writer finalises the archive in a destructor: a stream that fails under it
/// makes it throw from that destructor, which terminates the process instead of reporting the
/// full disk.)
class FdSinkBuf : public std::streambuf {
 public:
  explicit FdSinkBuf(int fd) : fd_(fd) { setp(buf_, buf_ + sizeof buf_); }
  int error() const { return error_; }
  /// Writes out what is buffered; false (and error() set) on failure.
  bool drain() {
    put(pbase(), static_cast<std::size_t>(pptr() - pbase()));
    setp(buf_, buf_ + sizeof buf_);
    return error_ == 0;
  }

 protected:
  int_type overflow(int_type ch) override {
    drain();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (n <= epptr() - pptr()) {
      std::memcpy(pptr(), s, static_cast<std::size_t>(n));
      pbump(static_cast<int>(n));
      return n;
    }
    drain();
    put(s, static_cast<std::size_t>(n));
    return n;
  }
  int sync() override { return drain() ? 0 : -1; }
  pos_type seekoff(off_type off, std::ios_base::seekdir dir, std::ios_base::openmode) override {
    if (off == 0 && dir == std::ios_base::cur) return pos_type(static_cast<off_type>(written_ + (pptr() - pbase())));
    return pos_type(off_type(-1));
  }

 private:
  void put(const char* p, std::size_t n) {
    written_ += n;
    while (n > 0 && error_ == 0) {
      const ssize_t w = ::write(fd_, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        error_ = w < 0 ? errno : EIO;
        break;
      }
      p += w;
      n -= static_cast<std::size_t>(w);
    }
  }
  int fd_;
  int error_ = 0;
  std::size_t written_ = 0;
  char buf_[1 << 16];
};
}  // namespace

void atomicWriteStream(const std::string& path, const std::function<void(std::ostream&)>& writer) {
  const std::string tmp = tempName(path);
  int fd = -1;
  auto closeFd = [&fd] {
    const int rc = fd >= 0 ? ::close(fd) : 0;
    fd = -1;
    return rc;
  };
  try {
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("cannot create " + tmp + ": " + std::strerror(errno));
    {
      FdSinkBuf sink(fd);
      std::ostream out(&sink);
      writer(out);
      out.flush();
      sink.drain();
      if (sink.error() != 0) throw std::runtime_error(std::string("write failed: ") + std::strerror(sink.error()));
      if (!out) throw std::runtime_error("write failed");
    }
    if (::fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
      throw std::runtime_error(std::string("fsync failed: ") + std::strerror(errno));
    if (closeFd() != 0) throw std::runtime_error(std::string("close failed: ") + std::strerror(errno));
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      throw std::runtime_error(std::string("rename failed: ") + std::strerror(errno));
    const auto parent = std::filesystem::path(path).parent_path();
    fsyncPath(parent.empty() ? "." : parent.string(), true);
  } catch (const std::exception& e) {
    closeFd();
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw std::runtime_error("could not write " + path + ": " + e.what());
  } catch (...) {
    closeFd();
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw std::runtime_error("could not write " + path + ": the writer failed with an unknown exception");
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
