// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/experiments/cluster.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "mlsan/data/atomic_file.h"
#include "mlsan/experiments/process.h"
#include "mlsan/model/run.h"

namespace mlsan::experiments {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

std::string utcNow() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string slurmDir(const std::string& root) { return (fs::path(root) / "slurm").string(); }

/// How a task's script ended, from its exit file.
struct ExitInfo {
  bool present = false;
  int rc = 0, restarts = 0;
  bool requeued = false;
};

ExitInfo readExit(const std::string& path) {
  ExitInfo x;
  std::error_code ec;
  if (!fs::exists(path, ec)) return x;
  try {
    const json j = json::parse(data::readFile(path));
    x.rc = j.at("rc");
    x.restarts = j.value("restarts", 0);
    x.requeued = j.value("requeued", false);
    x.present = true;
  } catch (const std::exception&) {
    // a file cut short: as if absent
  }
  return x;
}

bool oneOf(const std::string& s, std::initializer_list<const char*> names) {
  return std::any_of(names.begin(), names.end(), [&](const char* n) { return s == n; });
}

/// The run folder's progress: epochs done (curves.csv), of how many (config.json).
void readProgress(const std::string& dir, TaskStatus& st, std::vector<model::EpochRecord>* curve = nullptr) {
  const model::RunPaths p(dir);
  std::error_code ec;
  try {
    if (fs::exists(p.config(), ec)) st.epochs = model::readRunConfig(dir).train.epochs;
    if (fs::exists(p.curves(), ec)) {
      auto c = model::readCurves(p.curves());
      if (!c.empty()) {
        st.epoch = c.back().epoch;
        st.valF1 = c.back().valWeightedF1;
        for (const auto& r : c) st.seconds += r.seconds;
      }
      if (curve) *curve = std::move(c);
    }
  } catch (const std::exception&) {
    // being written, or damaged: the next poll reads it again
  }
}

void markDone(const std::string& dir, TaskStatus& st) {
  st.state = TaskState::Done;
  try {
    st.testF1 = model::readTestWeightedF1(dir);
    st.bestEpoch = json::parse(data::readFile(model::RunPaths(dir).metrics())).value("best_epoch", 0);
  } catch (const std::exception& e) {
    st.message = e.what();
  }
}

void markFailed(ClusterTask& t, const std::string& why) {
  t.status.state = TaskState::Failed;
  const std::string tail = logTail(t.log);
  t.status.message = why + (tail.empty() ? "" : "; the log " + t.log + " ends:\n" + tail);
}

}  // namespace

std::string slurmProgram(const std::string& name) {
  if (const char* dir = std::getenv("MLSAN_SLURM_BIN"); dir && *dir) return (fs::path(dir) / name).string();
  return name;
}

json Submission::toJson() const {
  return {{"format", "mlsan-slurm-submission"}, {"version", 1}, {"kind", kind}, {"job_id", jobId}, {"tasks", tasks},
          {"script", script}, {"submitted_at", submittedAt}, {"slurm_conf", cluster}, {"options", options.toJson()}};
}

Submission Submission::fromJson(const json& j, const std::string& file) {
  if (!j.is_object() || j.value("format", "") != "mlsan-slurm-submission")
    throw std::runtime_error(file + ": not a Slurm submission of ML-SAN Studio");
  try {
    Submission s;
    s.kind = j.at("kind");
    s.jobId = j.at("job_id");
    s.tasks = j.at("tasks").get<std::vector<int>>();
    s.script = j.value("script", "");
    s.submittedAt = j.value("submitted_at", "");
    s.cluster = j.value("slurm_conf", "");
    s.options = SlurmOptions::fromJson(j.value("options", json::object()));
    return s;
  } catch (const json::exception& e) {
    throw std::runtime_error(file + ": damaged submission record (" + e.what() + ")");
  }
}

std::string submissionFile(const std::string& root, const std::string& kind) {
  return (fs::path(slurmDir(root)) / (kind + ".submission.json")).string();
}

std::vector<Submission> submissionsIn(const std::string& root) {
  std::vector<Submission> out;
  std::error_code ec;
  if (!fs::is_directory(slurmDir(root), ec)) return out;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(slurmDir(root), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 16 && name.compare(name.size() - 16, 16, ".submission.json") == 0) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    try {
      out.push_back(Submission::fromJson(json::parse(data::readFile(f.string())), f.string()));
    } catch (const std::exception&) {
      // not ours or damaged: loadSubmission names it when asked for that kind
    }
  }
  return out;
}

Submission loadSubmission(const std::string& root, const std::string& kindIn) {
  std::string kind = kindIn;
  if (kind.empty()) {
    const auto all = submissionsIn(root);
    if (all.size() == 1) return all.front();
    kind = Experiment::load(root).kindName();
  }
  const std::string file = submissionFile(root, kind);
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    std::string have;
    for (const auto& s : submissionsIn(root)) have += (have.empty() ? "" : ", ") + s.kind;
    throw std::runtime_error(file + ": no " + kind + " experiment of " + root + " was submitted to a cluster" +
                             (have.empty() ? "" : " (submitted: " + have + "; choose one with --kind)"));
  }
  try {
    return Submission::fromJson(json::parse(data::readFile(file)), file);
  } catch (const json::parse_error& e) {
    throw std::runtime_error(file + ": not JSON (" + std::string(e.what()) + ")");
  }
}

std::map<int, std::pair<std::string, std::string>> parseSqueue(const std::string& text, const std::string& jobId) {
  std::map<int, std::pair<std::string, std::string>> out;
  std::istringstream in(text);
  std::string line;
  const std::string prefix = jobId + "_";
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.rfind(prefix, 0) != 0) continue;
    std::vector<std::string> f;
    std::string part;
    std::istringstream fields(line);
    while (std::getline(fields, part, '|')) f.push_back(trim(part));
    if (f.size() < 2) continue;
    const std::string index = f[0].substr(prefix.size());
    if (index.empty() || !std::all_of(index.begin(), index.end(), ::isdigit)) continue;  // "1234_[5-9]": not expanded
    const std::string state = f[1];
    std::string detail = f.size() > 2 ? f[2] : "";
    if (oneOf(state, {"RUNNING", "COMPLETING", "CONFIGURING"}) && f.size() > 3 && !f[3].empty()) detail = f[3];
    if (detail == "None" || detail == "(null)") detail.clear();
    out[std::stoi(index)] = {state, detail};
  }
  return out;
}

std::vector<ClusterTask> clusterStatus(const Experiment& e, const std::string& root, const Submission& s) {
  std::map<int, std::pair<std::string, std::string>> queue;
  if (!s.jobId.empty()) {
    const auto r = runCommand({slurmProgram("squeue"), "-h", "-r", "-t", "all", "-j", s.jobId, "-o", "%i|%T|%r|%N"}, 60);
    if (r.timedOut) throw std::runtime_error("squeue did not answer within 60 s");
    if (r.status == 0) queue = parseSqueue(r.out, s.jobId);
    else if (r.err.find("Invalid job id") == std::string::npos)  // a job the controller has forgotten: read from the files
      throw std::runtime_error("squeue failed (status " + std::to_string(r.status) + "): " + trim(r.err));
  }
  const std::set<int> inArray(s.tasks.begin(), s.tasks.end());
  std::vector<ClusterTask> out(e.tasks.size());
  for (std::size_t i = 0; i < e.tasks.size(); ++i) {
    ClusterTask& t = out[i];
    const std::string dir = (fs::path(root) / e.tasks[i].dir).string();
    readProgress(dir, t.status);
    std::error_code ec;
    const bool finished = fs::exists(model::RunPaths(dir).metrics(), ec);
    if (s.jobId.empty() || !inArray.count(static_cast<int>(i))) {
      if (finished) {
        markDone(dir, t.status);
        t.status.reused = true;
        t.status.message = "finished before the submission";
      } else {
        t.status.state = TaskState::Failed;
        t.status.message = "not finished, and not part of " + (s.jobId.empty() ? std::string("any job") : "job " + s.jobId) +
                           ": submit the experiment again";
      }
      continue;
    }
    t.jobId = s.jobId + "_" + std::to_string(i);
    t.log = (fs::path(slurmDir(root)) / (t.jobId + ".out")).string();
    const ExitInfo x = readExit((fs::path(slurmDir(root)) / (t.jobId + ".exit")).string());
    t.restarts = x.restarts + (x.requeued ? 1 : 0);
    const auto q = queue.find(static_cast<int>(i));
    const bool listed = q != queue.end();
    if (listed) {
      t.slurmState = q->second.first;
      t.reason = q->second.second;
    }
    const std::string& st = t.slurmState;
    if (listed && oneOf(st, {"PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD", "SUSPENDED", "PREEMPTED"})) {
      t.status.state = TaskState::Queued;
      t.requeued = t.restarts > 0;
      t.status.message = (t.requeued ? "requeued after " + std::to_string(t.restarts) + " interruption(s), " : std::string()) +
                         "waiting" + (t.reason.empty() ? "" : " (" + t.reason + ")");
    } else if (listed && oneOf(st, {"RUNNING", "COMPLETING", "CONFIGURING", "SIGNALING", "STAGE_OUT", "RESIZING"})) {
      t.status.state = TaskState::Running;
      t.status.message = std::string(st == "RUNNING" ? "running" : "running (" + st + ")") + (t.reason.empty() ? "" : " on " + t.reason);
    } else if (x.present) {
      // The script's own word on how mlsan ended, when the scheduler lists it as ended or no longer at all.
      if (x.rc == 0 && finished) {
        markDone(dir, t.status);
      } else if (x.rc == 3) {
        t.status.state = TaskState::Cancelled;
        t.status.message = listed && st == "CANCELLED" ? "cancelled (its last batch is kept: submit again to continue)"
                         : "stopped by a signal after " + std::to_string(x.restarts) +
                               " requeue(s) and not requeued again; submit again to continue from where it stopped";
      } else {
        markFailed(t, "mlsan train exited with status " + std::to_string(x.rc));
      }
    } else if (listed && st == "COMPLETED") {
      if (finished) markDone(dir, t.status);
      else markFailed(t, "the job completed but the run has no metrics.json");
    } else if (listed && st == "CANCELLED") {
      t.status.state = TaskState::Cancelled;
      t.status.message = "cancelled before it started";
    } else if (listed) {
      markFailed(t, "Slurm says " + st + (t.reason.empty() ? "" : " (" + t.reason + ")"));
    } else if (finished) {
      markDone(dir, t.status);
    } else {
      markFailed(t, "the scheduler no longer lists " + t.jobId +
                        " and it left no exit status (killed before it could write one: a node failure, an out-of-memory "
                        "kill, or a time limit with no warning signal)");
    }
  }
  return out;
}

Submission submitExperiment(const Experiment& e, const std::string& root, SlurmOptions options) {
  std::set<std::string> dirs;
  for (const auto& t : e.tasks) dirs.insert(t.dir);
  // A run folder must never be trained by two jobs at once: refuse while an earlier submission
  // of this root still has it queued or running.
  for (const auto& other : submissionsIn(root)) {
    if (other.jobId.empty()) continue;
    Experiment oe;
    try {
      oe = Experiment::load(root, other.kind);
    } catch (const std::exception&) {
      continue;
    }
    const auto status = clusterStatus(oe, root, other);
    for (std::size_t i = 0; i < status.size(); ++i) {
      const auto st = status[i].status.state;
      if ((st == TaskState::Queued || st == TaskState::Running) && dirs.count(oe.tasks[i].dir))
        throw std::runtime_error((fs::path(root) / oe.tasks[i].dir).string() + " is still " + stateName(st) + " in job " +
                                 status[i].jobId + " (the " + other.kind + " experiment submitted " + other.submittedAt +
                                 "): follow it with `mlsan cluster status " + root + " --kind " + other.kind +
                                 "` or cancel it with `mlsan cluster cancel " + root + " --kind " + other.kind + "`");
    }
  }
  options.tasks.clear();
  for (std::size_t i = 0; i < e.tasks.size(); ++i)
    if (!fs::exists(model::RunPaths((fs::path(root) / e.tasks[i].dir).string()).metrics()))
      options.tasks.push_back(static_cast<int>(i));
  Submission s;
  s.kind = e.kindName();
  s.submittedAt = utcNow();
  if (const char* conf = std::getenv("SLURM_CONF")) s.cluster = conf;
  fs::create_directories(slurmDir(root));  // Slurm writes the logs there but does not create it
  if (options.tasks.empty()) {
    e.save(root);
  } else {
    s.script = writeSlurm(e, root, options);
    const auto r = runCommand({slurmProgram("sbatch"), "--parsable", s.script}, 120);
    if (r.timedOut) throw std::runtime_error("sbatch did not answer within 120 s; nothing was submitted by this command");
    if (r.status != 0)
      throw std::runtime_error("sbatch refused " + s.script + " (status " + std::to_string(r.status) + "): " + trim(r.err + r.out));
    s.jobId = trim(r.out.substr(0, r.out.find(';')));
    if (s.jobId.empty() || !std::all_of(s.jobId.begin(), s.jobId.end(), ::isdigit))
      throw std::runtime_error("sbatch answered '" + trim(r.out) + "', not a job id");
  }
  s.tasks = options.tasks;
  s.options = options;
  data::atomicWriteFile(submissionFile(root, s.kind), s.toJson().dump(2));
  return s;
}

void cancelSubmission(const std::string& root, const Submission& s) {
  if (s.jobId.empty()) return;
  // First the mark, so that no task stopped by the scancel below requeues itself.
  fs::create_directories(slurmDir(root));
  data::atomicWriteFile((fs::path(slurmDir(root)) / ("cancelled-" + s.jobId)).string(), utcNow() + "\n");
  const auto r = runCommand({slurmProgram("scancel"), s.jobId}, 60);
  if (r.status != 0 && r.err.find("Invalid job id") == std::string::npos &&
      r.err.find("already completing or completed") == std::string::npos)
    throw std::runtime_error("scancel " + s.jobId + " failed (status " + std::to_string(r.status) + "): " + trim(r.err));
}

bool mayStillRun(const Experiment& e, const std::string& root, const Submission& s) {
  if (s.jobId.empty()) return false;
  for (int i : s.tasks) {
    if (i < 0 || i >= static_cast<int>(e.tasks.size())) continue;
    std::error_code ec;
    if (fs::exists(model::RunPaths((fs::path(root) / e.tasks[static_cast<std::size_t>(i)].dir).string()).metrics(), ec)) continue;
    const ExitInfo x = readExit((fs::path(slurmDir(root)) / (s.jobId + "_" + std::to_string(i) + ".exit")).string());
    if (!x.present || x.requeued) return true;
  }
  return false;
}

std::vector<std::pair<std::string, Submission>> submissionsUnder(const std::string& runsRoot) {
  std::vector<std::pair<std::string, Submission>> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(runsRoot, ec))
    if (entry.is_directory(ec))
      for (auto& s : submissionsIn(entry.path().string())) out.emplace_back(entry.path().string(), std::move(s));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second.submittedAt > b.second.submittedAt; });
  return out;
}

bool allEnded(const std::vector<ClusterTask>& tasks) {
  return !tasks.empty() && std::all_of(tasks.begin(), tasks.end(), [](const ClusterTask& t) {
    return t.status.state == TaskState::Done || t.status.state == TaskState::Failed || t.status.state == TaskState::Cancelled;
  });
}

std::string logTail(const std::string& path, int lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff from = std::max<std::streamoff>(0, size - 16384);
  in.seekg(from);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> kept;
  std::istringstream s(text);
  std::string line;
  while (std::getline(s, line)) {
    if (const auto cr = line.find_last_of('\r'); cr != std::string::npos) line = line.substr(cr + 1);  // a redrawn progress line
    if (!trim(line).empty()) kept.push_back(line);
  }
  if (from > 0 && !kept.empty()) kept.erase(kept.begin());  // cut mid-line
  std::string out;
  for (std::size_t i = kept.size() > static_cast<std::size_t>(lines) ? kept.size() - lines : 0; i < kept.size(); ++i)
    out += kept[i] + "\n";
  return out;
}

std::vector<ClusterTask> followSubmission(const Experiment& e, const std::string& root, const Submission& s,
                                          RunnerObserver& observer, double pollSeconds, const std::function<bool()>& stop) {
  pollSeconds = std::max(2.0, pollSeconds);
  std::vector<ClusterTask> last;
  std::vector<int> epochsReported(e.tasks.size(), 0);
  for (;;) {
    std::vector<ClusterTask> now;
    try {
      now = clusterStatus(e, root, s);
    } catch (const std::exception& ex) {
      observer.taskLog(-1, std::string("cannot read the queue (trying again): ") + ex.what());
    }
    if (!now.empty()) {
      for (std::size_t i = 0; i < now.size(); ++i) {
        const TaskStatus& a = now[i].status;
        if (a.epoch > epochsReported[i]) {
          std::vector<model::EpochRecord> curve;
          TaskStatus ignored;
          readProgress((fs::path(root) / e.tasks[i].dir).string(), ignored, &curve);
          for (const auto& r : curve) {
            if (r.epoch <= epochsReported[i]) continue;
            observer.taskEpoch(static_cast<int>(i), json{{"event", "epoch"}, {"epoch", r.epoch}, {"epochs", a.epochs},
                                                         {"train_loss", r.trainLoss}, {"val_loss", r.valLoss},
                                                         {"val_weighted_f1", r.valWeightedF1}, {"test_weighted_f1", r.testWeightedF1},
                                                         {"lr", r.lr}, {"seconds", r.seconds}});
            epochsReported[i] = r.epoch;
          }
        }
        const bool changed = last.empty() || last[i].status.state != a.state || last[i].status.epoch != a.epoch ||
                             last[i].status.message != a.message || last[i].slurmState != now[i].slurmState;
        if (changed) observer.taskChanged(static_cast<int>(i), a);
        if (a.state == TaskState::Failed && (last.empty() || last[i].status.state != TaskState::Failed))
          observer.taskLog(static_cast<int>(i), a.message);
      }
      last = std::move(now);
      if (allEnded(last)) return last;
    }
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(pollSeconds);
    while (std::chrono::steady_clock::now() < until) {
      if (stop && stop()) return last;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

}  // namespace mlsan::experiments
