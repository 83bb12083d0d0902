// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/experiments/runner.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <deque>
#include <filesystem>
#include <stdexcept>

namespace mlsan::experiments {
namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

QueueProgress queueProgress(const std::vector<TaskStatus>& tasks) {
  QueueProgress q;
  q.tasks = static_cast<int>(tasks.size());
  double done = 0;
  for (const auto& s : tasks) {
    if (s.state == TaskState::Done || s.state == TaskState::Failed || s.state == TaskState::Cancelled) {
      done += 1;
      ++q.ended;
      q.failed += s.state == TaskState::Failed;
    } else if (s.state == TaskState::Running && s.epochs > 0) {
      ++q.running;
      done += (s.epoch + (s.batches > 0 ? static_cast<double>(s.batch) / s.batches : 0.0)) / s.epochs;
    }
  }
  q.fraction = tasks.empty() ? 0 : done / static_cast<double>(tasks.size());
  return q;
}

double QueueProgress::remainingSeconds(double elapsed) const {
  return fraction > 0.02 ? elapsed * (1 - fraction) / fraction : std::nan("");
}

const char* stateName(TaskState s) {
  switch (s) {
    case TaskState::Queued: return "queued";
    case TaskState::Running: return "running";
    case TaskState::Done: return "done";
    case TaskState::Failed: return "failed";
    case TaskState::Cancelled: return "cancelled";
  }
  return "?";
}

std::vector<std::string> trainCommand(const TrainArgs& args, const std::string& outDir, bool resume) {
  std::vector<std::string> a{"train"};
  const auto opts = args.toArgs();
  a.insert(a.end(), opts.begin(), opts.end());
  a.push_back("--out");
  a.push_back(outDir);
  if (resume) a.push_back("--resume");
  a.push_back("--events");
  return a;
}

std::vector<ChildTask> experimentChildren(const Experiment& e, const std::string& root) {
  std::vector<ChildTask> out;
  for (const auto& t : e.tasks) out.push_back({trainCommand(t.args, (fs::path(root) / t.dir).string()), t.label()});
  return out;
}

std::string findMlsan() {
  if (const char* env = std::getenv("MLSAN_BIN"); env && *env) return env;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const auto& candidate : {self.parent_path() / "mlsan", self.parent_path().parent_path() / "app" / "mlsan"})
      if (fs::exists(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  if (const char* path = std::getenv("PATH")) {
    std::string p = path;
    std::size_t start = 0;
    while (start <= p.size()) {
      const auto end = p.find(':', start);
      const std::string dir = p.substr(start, end == std::string::npos ? std::string::npos : end - start);
      if (!dir.empty()) {
        const fs::path c = fs::path(dir) / "mlsan";
        if (::access(c.c_str(), X_OK) == 0) return c.string();
      }
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  return "";
}

namespace {

struct Child {
  int task = -1;
  pid_t pid = -1;
  int out = -1, err = -1;
  std::string outBuf, errBuf;
  std::deque<std::string> errTail;
  std::string errorEvent;
  Clock::time_point started, lastReport{}, termSent{};
  bool terminated = false;
};

void closeFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

/// Starts PROGRAM ARGS with stdout and stderr on pipes. A third close-on-exec pipe reports
/// whether exec itself worked: it reaches end of file when exec succeeds, and carries the
/// child's errno when it fails, so the error names the program and the reason.
pid_t spawn(const std::string& program, const std::vector<std::string>& args, int& outFd, int& errFd) {
  int pipes[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};  // stdout, stderr, exec status
  auto fail = [&](const char* what) {
    const int e = errno;
    for (auto& p : pipes) { closeFd(p[0]); closeFd(p[1]); }
    throw std::runtime_error(std::string(what) + std::strerror(e));
  };
  for (auto& p : pipes)
    if (::pipe2(p, O_CLOEXEC) != 0) fail("cannot create a pipe: ");
  auto& outPipe = pipes[0];
  auto& errPipe = pipes[1];
  auto& execPipe = pipes[2];
  std::vector<std::string> all{program};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) fail("cannot start a process: ");
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(126);
    ::dup2(outPipe[1], 1);
    ::dup2(errPipe[1], 2);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGPIPE, SIG_DFL);
    ::execv(program.c_str(), argv.data());
    const int e = errno;
    [[maybe_unused]] auto n = ::write(execPipe[1], &e, sizeof e);
    ::_exit(127);
  }
  ::close(outPipe[1]);
  ::close(errPipe[1]);
  ::close(execPipe[1]);
  int childErrno = 0;
  ssize_t got;
  do got = ::read(execPipe[0], &childErrno, sizeof childErrno);
  while (got < 0 && errno == EINTR);
  ::close(execPipe[0]);
  if (got == static_cast<ssize_t>(sizeof childErrno)) {
    int ws = 0;
    while (::waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    ::close(outPipe[0]);
    ::close(errPipe[0]);
    throw std::runtime_error("cannot run '" + program + "': " + std::strerror(childErrno));
  }
  ::fcntl(outPipe[0], F_SETFL, ::fcntl(outPipe[0], F_GETFL) | O_NONBLOCK);
  ::fcntl(errPipe[0], F_SETFL, ::fcntl(errPipe[0], F_GETFL) | O_NONBLOCK);
  outFd = outPipe[0];
  errFd = errPipe[0];
  return pid;
}

/// Reads what is available; returns false at end of file.
bool drain(int fd, std::string& buf) {
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n > 0) {
      buf.append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

std::vector<std::string> takeLines(std::string& buf, bool all) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (;;) {
    const auto nl = buf.find('\n', start);
    if (nl == std::string::npos) break;
    lines.push_back(buf.substr(start, nl - start));
    start = nl + 1;
  }
  buf.erase(0, start);
  if (all && !buf.empty()) {
    lines.push_back(buf);
    buf.clear();
  }
  return lines;
}

}  // namespace

std::vector<TaskStatus> runChildren(const std::string& program, const std::vector<ChildTask>& tasks, int parallel,
                                    RunnerObserver& observer, const std::function<bool()>& cancelled) {
  if (program.empty() || ::access(program.c_str(), X_OK) != 0)
    throw std::runtime_error("cannot run '" + (program.empty() ? std::string("mlsan") : program) +
                             "': the mlsan program was not found (set MLSAN_BIN or put mlsan on PATH)");
  parallel = std::max(1, parallel);
  std::vector<TaskStatus> status(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i) observer.taskChanged(static_cast<int>(i), status[i]);
  std::vector<Child> running;
  std::size_t next = 0;
  bool cancelling = false;

  auto finish = [&](Child& c) {
    int ws = 0;
    while (::waitpid(c.pid, &ws, 0) < 0 && errno == EINTR) {
    }
    TaskStatus& s = status[c.task];
    s.seconds = std::chrono::duration<double>(Clock::now() - c.started).count();
    s.pid = 0;
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0) {
      s.state = TaskState::Done;
      if (s.message.empty()) s.message = "finished";
    } else if (WIFEXITED(ws) && WEXITSTATUS(ws) == 3) {
      s.state = TaskState::Cancelled;
      s.message = "cancelled after epoch " + std::to_string(s.epoch) + "; Resume continues it";
    } else {
      s.state = cancelling && WIFSIGNALED(ws) ? TaskState::Cancelled : TaskState::Failed;
      std::string why = c.errorEvent;
      if (why.empty())
        for (auto it = c.errTail.rbegin(); it != c.errTail.rend(); ++it)
          if (it->rfind("mlsan: error: ", 0) == 0) { why = it->substr(14); break; }
      if (why.empty()) {
        if (WIFSIGNALED(ws)) why = std::string("killed by signal ") + std::to_string(WTERMSIG(ws)) + " (" + strsignal(WTERMSIG(ws)) + ")";
        else why = "exited with status " + std::to_string(WEXITSTATUS(ws));
        if (!c.errTail.empty()) why += ": " + c.errTail.back();
      }
      s.message = why;
    }
    observer.taskLog(c.task, std::string(stateName(s.state)) + ": " + s.message);
    observer.taskChanged(c.task, s);
  };

  auto handleEvent = [&](Child& c, const std::string& line) {
    TaskStatus& s = status[c.task];
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception&) {
      observer.taskLog(c.task, line);
      return;
    }
    const std::string ev = j.value("event", "");
    const auto now = Clock::now();
    s.seconds = std::chrono::duration<double>(now - c.started).count();
    if (ev == "start") {
      s.epochs = j.value("epochs", 0);
      s.epoch = j.value("first_epoch", 1) - 1;
      observer.taskChanged(c.task, s);
    } else if (ev == "batch") {
      s.batch = j.value("batch", 0);
      s.batches = j.value("batches", 0);
      if (now - c.lastReport > std::chrono::milliseconds(100) || s.batch == s.batches) {
        c.lastReport = now;
        observer.taskChanged(c.task, s);
      }
    } else if (ev == "epoch") {
      s.epoch = j.value("epoch", 0);
      s.epochs = j.value("epochs", s.epochs);
      s.valF1 = j.value("val_weighted_f1", std::nan(""));
      s.batch = 0;
      observer.taskEpoch(c.task, j);
      observer.taskChanged(c.task, s);
    } else if (ev == "message") {
      s.message = j.value("text", "");
      observer.taskLog(c.task, s.message);
      observer.taskChanged(c.task, s);
    } else if (ev == "done") {
      s.testF1 = j.value("test_weighted_f1", std::nan(""));
      s.bestEpoch = j.value("best_epoch", 0);
      s.epoch = j.value("epochs", s.epoch);
      s.reused = j.value("reused", false);
      s.message = s.reused ? "already finished (reused)" : "finished";
    } else if (ev == "cancelled") {
      s.epoch = j.value("epochs_done", s.epoch);
    } else if (ev == "error") {
      c.errorEvent = j.value("message", "");
    }
  };

  while (next < tasks.size() || !running.empty()) {
    if (cancelled && cancelled() && !cancelling) {
      cancelling = true;
      for (auto& c : running) {
        ::kill(c.pid, SIGTERM);
        c.terminated = true;
        c.termSent = Clock::now();
        observer.taskLog(c.task, "cancelling: stopping at the next batch");
      }
      for (; next < tasks.size(); ++next) {
        status[next].state = TaskState::Cancelled;
        status[next].message = "cancelled before it started";
        observer.taskChanged(static_cast<int>(next), status[next]);
      }
    }
    while (!cancelling && next < tasks.size() && static_cast<int>(running.size()) < parallel) {
      Child c;
      c.task = static_cast<int>(next);
      c.started = Clock::now();
      TaskStatus& s = status[next];
      try {
        c.pid = spawn(program, tasks[next].args, c.out, c.err);
      } catch (const std::exception& e) {
        s.state = TaskState::Failed;
        s.message = e.what();
        observer.taskChanged(c.task, s);
        ++next;
        continue;
      }
      s.state = TaskState::Running;
      s.pid = c.pid;
      s.message = "started";
      std::string cmd = program;
      for (const auto& a : tasks[next].args) cmd += " " + shellQuote(a);
      observer.taskLog(c.task, "$ " + cmd);
      observer.taskChanged(c.task, s);
      running.push_back(std::move(c));
      ++next;
    }
    if (running.empty()) continue;

    std::vector<pollfd> fds;
    for (auto& c : running) {
      if (c.out >= 0) fds.push_back({c.out, POLLIN, 0});
      if (c.err >= 0) fds.push_back({c.err, POLLIN, 0});
    }
    if (!fds.empty()) ::poll(fds.data(), fds.size(), 100);

    for (auto it = running.begin(); it != running.end();) {
      Child& c = *it;
      if (c.out >= 0 && !drain(c.out, c.outBuf)) closeFd(c.out);
      for (const auto& line : takeLines(c.outBuf, c.out < 0))
        if (!line.empty()) handleEvent(c, line);
      if (c.err >= 0 && !drain(c.err, c.errBuf)) closeFd(c.err);
      for (const auto& line : takeLines(c.errBuf, c.err < 0)) {
        if (line.empty()) continue;
        observer.taskLog(c.task, line);
        c.errTail.push_back(line);
        if (c.errTail.size() > 40) c.errTail.pop_front();
      }
      if (c.terminated && Clock::now() - c.termSent > std::chrono::seconds(30)) {
        ::kill(c.pid, SIGKILL);
        c.termSent = Clock::now();
      }
      if (c.out < 0 && c.err < 0) {
        finish(c);
        it = running.erase(it);
      } else {
        ++it;
      }
    }
  }
  return status;
}

}  // namespace mlsan::experiments
