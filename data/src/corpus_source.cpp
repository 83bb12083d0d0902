// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/data/corpus_source.h"

#include <cctype>
#include <chrono>
#include <filesystem>
#include <stdexcept>

#include <map>
#include <nlohmann/json.hpp>

#include "mlsan/data/atomic_file.h"
#include "mlsan/data/corpus_cache.h"
#include "mlsan/data/corpus_io.h"
#include "mlsan/data/demo_corpus.h"
#include "mlsan/data/meld_csv.h"

namespace mlsan::data {
namespace fs = std::filesystem;

namespace {
std::string absolute(const std::string& p) {
  if (p.empty()) return p;
  std::error_code ec;
  const fs::path a = fs::absolute(p, ec);
  return ec ? p : a.lexically_normal().string();
}

/// The demo family's name in `path` ("demo-null" for "demo-null:3"), or "" when it names none.
std::string demoFamilyOf(const std::string& path) {
  for (const auto& f : demoFamilies())
    if (path == f || path.rfind(f + ":", 0) == 0) return f;
  return "";
}

bool isDemo(const std::string& path) { return !demoFamilyOf(path).empty(); }

/// The MELD CSVs beside a pickle corpus: in the folder itself or the pickle's folder.
std::string csvBeside(const std::string& path) {
  std::error_code ec;
  fs::path dir = fs::is_directory(path, ec) ? fs::path(path) : fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  if (fs::exists(dir / "train_sent_emo.csv", ec)) return dir.string();
  return "";
}

/// A demo family's corpus: "demo", "demo-iemocap", "demo-null", "demo-fingerprint", each alone
/// or with ":SEED".
Corpus openDemo(const std::string& path, OpenReport& rep) {
  const std::string base = demoFamilyOf(path);
  DemoConfig cfg;
  demoFamilyConfig(base, cfg);
  if (path == base) {
    rep.demoConfig = cfg;
    return makeDemoCorpus(cfg, &rep.demoTruth);
  }
  const std::size_t from = base.size() + 1;
  try {
    std::size_t used = 0;
    if (path.size() <= from || !std::isdigit(static_cast<unsigned char>(path[from]))) throw std::invalid_argument("");
    cfg.seed = std::stoull(path.substr(from), &used);
    if (used != path.size() - from) throw std::invalid_argument("");
  } catch (const std::exception&) {
    throw std::runtime_error("corpus '" + path + "': expected " + base + ":SEED with a whole number");
  }
  rep.demoConfig = cfg;
  return makeDemoCorpus(cfg, &rep.demoTruth);
}

/// A demo corpus folder's recipe: regenerates the corpus with its truth and keeps the truth when the
/// corpus is the one the recipe makes. A recipe that does not fit is a problem, not an error.
void readDemoRecipe(const std::string& dir, Corpus& c, OpenReport& rep) {
  const fs::path path = fs::path(dir) / "demo.json";
  std::error_code ec;
  if ((c.dataset != "demo" && c.dataset != "iemocap") || !fs::exists(path, ec)) return;
  try {
    const auto j = nlohmann::json::parse(readFile(path.string()));
    const DemoConfig cfg = demoConfigFromKnobs(j.at("knobs").get<std::map<std::string, std::string>>());
    DemoTruth truth;
    const Corpus again = makeDemoCorpus(cfg, &truth);
    if (again.signature() != c.signature()) {
      c.problems.push_back(path.string() + ": the corpus is not the one its recipe generates (edited?): the speaker types are unknown");
      return;
    }
    rep.demoConfig = cfg;
    rep.demoTruth = std::move(truth);
    rep.demoTruthKnown = true;
  } catch (const std::exception& e) {
    c.problems.push_back(path.string() + ": not a demo recipe (" + e.what() + "): the speaker types are unknown");
  }
}
}  // namespace

void writeDemoRecipe(const std::string& dir, const DemoConfig& config) {
  nlohmann::json j{{"format", "mlsan-demo-recipe"}, {"knobs", demoKnobs(config)}};
  atomicWriteFile((fs::path(dir) / "demo.json").string(), j.dump(1) + "\n");
}

std::string CorpusSource::toString() const {
  std::string s = isDemo(path) ? path : absolute(path);
  if (!csvDir.empty()) s += ";csv=" + absolute(csvDir);
  if (!clipsDir.empty()) s += ";clips=" + absolute(clipsDir);
  if (minSpeakerUtterances != 20) s += ";min-speaker=" + std::to_string(minSpeakerUtterances);
  if (!useCache) s += ";nocache";
  return s;
}

CorpusSource CorpusSource::parse(const std::string& text) {
  CorpusSource src;
  std::size_t start = 0;
  bool first = true;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(';', start), text.size());
    const std::string part = text.substr(start, end - start);
    start = end + 1;
    if (first) {
      src.path = part;
      first = false;
    } else if (part.rfind("csv=", 0) == 0) {
      src.csvDir = part.substr(4);
    } else if (part.rfind("clips=", 0) == 0) {
      src.clipsDir = part.substr(6);
    } else if (part.rfind("min-speaker=", 0) == 0) {
      try {
        src.minSpeakerUtterances = std::stoi(part.substr(12));
      } catch (const std::exception&) {
        throw std::invalid_argument("corpus '" + text + "': min-speaker expects a whole number");
      }
    } else if (part == "nocache") {
      src.useCache = false;
    } else if (!part.empty()) {
      throw std::invalid_argument("corpus '" + text + "': unknown part '" + part + "' (expected csv=, clips=, min-speaker= or nocache)");
    }
    if (end == text.size()) break;
  }
  if (src.path.empty()) throw std::invalid_argument("corpus '" + text + "': no path");
  return src;
}

Corpus openCorpus(const CorpusSource& src, OpenReport* report) {
  const auto started = std::chrono::steady_clock::now();
  OpenReport local;
  OpenReport& rep = report ? *report : local;
  rep = OpenReport{};
  Corpus c;
  if (isDemo(src.path)) {
    rep.demo = true;
    c = openDemo(src.path, rep);
  } else {
    if (!fs::exists(src.path))
      throw std::runtime_error("corpus '" + src.path + "': no such file or folder (use 'demo' for the built-in corpus)");
    rep.kind = detectCorpusKind(src.path);
    MeldOptions meld;
    meld.minSpeakerUtterances = src.minSpeakerUtterances;
    switch (rep.kind) {
      case CorpusKind::ProjectFolder:
        c = readCorpus(src.path);
        readDemoRecipe(src.path, c, rep);
        break;
      case CorpusKind::MeldCsvFolder:
        c = readMeldCsvFolder(src.path, meld);
        break;
      case CorpusKind::MultiEmoFolder:
      case CorpusKind::AnnotationPickle: {
        if (src.useCache) {
          CacheReport cache;
          c = openPickleCorpusCached(src.path, {}, src.cacheDir, &cache);
          rep.cacheHit = cache.hit;
          rep.cacheNote = cache.note;
        } else {
          c = readPickleCorpus(src.path);
        }
        if (c.dataset == "meld") {
          const std::string csv = src.csvDir.empty() ? csvBeside(src.path) : src.csvDir;
          if (!csv.empty()) {
            attachMeldCsv(c, csv, meld);
          } else {
            c.problems.push_back("speaker identities are positions within each dialogue (party 1-9), not people: "
                                 "no MELD CSVs were given or found beside " + src.path + " (give them with --csv DIR)");
          }
        } else if (!src.csvDir.empty()) {
          throw std::runtime_error("corpus '" + src.path + "': MELD CSVs were given, but this is a " + c.dataset + " corpus");
        }
        break;
      }
      default:
        throw std::runtime_error("corpus '" + src.path + "': not a corpus this program knows: expected a MultiEMO data "
                                 "folder (Speakers.pkl and the feature pickles), a DialogueRNN/COSMIC pickle, a folder of "
                                 "MELD CSVs (*_sent_emo.csv) or a corpus folder in the mlsan format (corpus.json)");
    }
  }
  if (!src.clipsDir.empty()) {
    if (c.dataset != "meld")
      throw std::runtime_error("corpus '" + src.path + "': a clips folder was given, but MELD.Raw clips fit only MELD (this is " +
                               c.dataset + ")");
    rep.clips = linkMeldClips(c, src.clipsDir);
    rep.clipsLinked = true;
  }
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return c;
}

}  // namespace mlsan::data
