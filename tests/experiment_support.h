// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Helpers of the experiment tests (test_experiments.cpp, test_experiment_runs.cpp): temporary
// folders, text files, the real mlsan binary as a child process (MLSAN_BIN_PATH), and a run
// folder's curves read back.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "mlsan/data/atomic_file.h"
#include "mlsan/experiments/experiment.h"
#include "mlsan/experiments/results.h"
#include "mlsan/experiments/runner.h"
#include "mlsan/experiments/slurm.h"
#include "mlsan/experiments/train_args.h"
#include "mlsan/model/run.h"

namespace experiment_test {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kMlsan = MLSAN_BIN_PATH;

/// A fresh folder under the system's temp dir, removed at the end of the test (unless
/// MLSAN_KEEP_TEST_DIRS is set).
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "mlsan-exp-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    if (std::getenv("MLSAN_KEEP_TEST_DIRS")) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string str(const std::string& sub = "") const { return sub.empty() ? path_.string() : (path_ / sub).string(); }

 private:
  fs::path path_;
};

inline std::string readText(const fs::path& p) { return mlsan::data::readFile(p.string()); }
inline void writeText(const fs::path& p, const std::string& s) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << s;
}

/// Runs a shell command; returns its exit status and fills `out` with its stdout.
inline int shell(const std::string& cmd, std::string* out = nullptr) {
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) return -1;
  std::string text;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  const int st = ::pclose(f);
  if (out) *out = text;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/// One `mlsan` child with its stdout on a pipe (read line by line) and its stderr in a file.
struct Child {
  pid_t pid = -1;
  int fd = -1;
  std::string buffer;

  /// `fsizeLimit` > 0: RLIMIT_FSIZE for the child (with SIGXFSZ ignored, so writes fail with EFBIG).
  static Child start(const std::vector<std::string>& args, const std::string& stderrFile, rlim_t fsizeLimit = 0) {
    int p[2];
    if (::pipe(p) != 0) throw std::runtime_error("pipe failed");
    Child c;
    c.pid = ::fork();
    if (c.pid < 0) throw std::runtime_error("fork failed");
    if (c.pid == 0) {
      ::dup2(p[1], 1);
      ::close(p[0]);
      ::close(p[1]);
      const int err = ::open(stderrFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (err >= 0) ::dup2(err, 2);
      if (fsizeLimit > 0) {
        ::signal(SIGXFSZ, SIG_IGN);
        rlimit rl{fsizeLimit, fsizeLimit};
        ::setrlimit(RLIMIT_FSIZE, &rl);
      }
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(kMlsan.c_str()));
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(kMlsan.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(p[1]);
    c.fd = p[0];
    return c;
  }
  /// The next line of stdout; false at end of file.
  bool readLine(std::string& line) {
    for (;;) {
      const auto nl = buffer.find('\n');
      if (nl != std::string::npos) {
        line = buffer.substr(0, nl);
        buffer.erase(0, nl + 1);
        return true;
      }
      char buf[4096];
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (buffer.empty()) return false;
        line.swap(buffer);
        buffer.clear();
        return true;
      }
      buffer.append(buf, static_cast<std::size_t>(n));
    }
  }
  /// Reads `--events` lines into `events` until the "batch" event of (epoch, batch), then sends
  /// `signal`; false if the child ended first.
  bool signalAtBatch(int epoch, int batch, int signal, std::vector<json>* events = nullptr) {
    std::string line;
    while (readLine(line)) {
      json ev;
      try {
        ev = json::parse(line);
      } catch (const std::exception&) {
        continue;
      }
      if (events) events->push_back(ev);
      if (ev.value("event", "") == "batch" && ev.value("epoch", 0) == epoch && ev.value("batch", 0) == batch) {
        ::kill(pid, signal);
        return true;
      }
    }
    return false;
  }
  /// Reads the rest of stdout and waits; returns the raw wait status.
  int finish(std::vector<json>* events = nullptr) {
    std::string line;
    while (readLine(line))
      if (events) {
        try {
          events->push_back(json::parse(line));
        } catch (const std::exception&) {
        }
      }
    ::close(fd);
    fd = -1;
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return st;
  }
  ~Child() {
    if (fd >= 0) {
      ::kill(pid, SIGKILL);
      finish();
    }
  }
};

inline std::vector<std::string> trainArgs(const std::string& out, int epochs, int seed) {
  return {"train", "--corpus", "demo", "--epochs", std::to_string(epochs), "--threads", "1", "--seed", std::to_string(seed),
          "--out", out};
}

/// Every "*.tmp-*" file under `dir`.
inline std::vector<std::string> leftovers(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().filename().string().find(".tmp-") != std::string::npos) out.push_back(e.path().string());
  return out;
}

/// curves.csv as rows of numbers (header dropped); each row must have the header's width.
inline std::vector<std::vector<double>> readCurves(const fs::path& file, std::vector<std::string>* header = nullptr) {
  std::istringstream in(readText(file));
  std::string line;
  std::vector<std::vector<double>> rows;
  std::vector<std::string> head;
  if (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string f;
    while (std::getline(ss, f, ',')) head.push_back(f);
  }
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<double> row;
    std::stringstream ss(line);
    std::string f;
    while (std::getline(ss, f, ',')) row.push_back(std::stod(f));
    EXPECT_EQ(row.size(), head.size()) << file << ": " << line;
    rows.push_back(row);
  }
  if (header) *header = head;
  return rows;
}

/// The curves and metrics of two runs are equal (the seconds column aside).
inline void expectSameRun(const fs::path& a, const fs::path& b) {
  std::vector<std::string> ha, hb;
  const auto ca = readCurves(a / "curves.csv", &ha), cb = readCurves(b / "curves.csv", &hb);
  ASSERT_EQ(ha, hb);
  ASSERT_EQ(ca.size(), cb.size());
  for (std::size_t r = 0; r < ca.size(); ++r)
    for (std::size_t c = 0; c < ha.size(); ++c) {
      if (ha[c] == "seconds") continue;
      EXPECT_DOUBLE_EQ(ca[r][c], cb[r][c]) << "curves.csv row " << r + 1 << " column " << ha[c];
    }
  const json ma = json::parse(readText(a / "metrics.json")), mb = json::parse(readText(b / "metrics.json"));
  EXPECT_DOUBLE_EQ(ma.at("weighted_f1").get<double>(), mb.at("weighted_f1").get<double>());
  EXPECT_EQ(ma.at("best_epoch"), mb.at("best_epoch"));
}

inline std::string fileBytes(const fs::path& p) { return readText(p); }

/// A finished run folder as collectResults reads it: config.json and metrics.json only.
inline void fakeRun(const fs::path& dir, bool film, bool gate, bool aux, double lambda, std::uint64_t seed, double f1) {
  fs::create_directories(dir);
  mlsan::model::RunConfig c;
  c.model.film = film;
  c.model.gate = gate;
  c.model.aux = aux;
  c.model.lambda = lambda;
  c.train.seed = seed;
  c.variant = c.model.variantName();
  c.corpusSource = "demo";
  mlsan::model::writeRunConfig(dir.string(), c);
  writeText(dir / "metrics.json", json{{"weighted_f1", f1}}.dump(2));
}

}  // namespace experiment_test
