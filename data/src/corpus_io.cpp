// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/data/corpus_io.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "mlsan/data/atomic_file.h"
#include "mlsan/data/corpus_source.h"

namespace mlsan::data {
namespace fs = std::filesystem;
using nlohmann::json;

static const char kMagic[8] = {'M', 'L', 'S', 'A', 'N', 'F', '1', '\0'};

void writeCorpus(const Corpus& c, const std::string& dir) {
  fs::create_directories(dir);
  json j;
  j["format"] = "mlsan-corpus";
  j["version"] = 1;
  j["name"] = c.name;
  j["dataset"] = c.dataset;
  j["label_set"] = c.labels.name;
  j["labels"] = c.labels.labels;
  j["speakers"] = c.speakers;
  j["speaker_source"] = c.speakerSource;
  if (!c.problems.empty()) j["problems"] = c.problems;
  j["dims"] = {{"text", c.dimText}, {"audio", c.dimAudio}, {"visual", c.dimVisual}};
  json dialogues = json::array();
  for (const auto& d : c.dialogues) {
    json jd{{"key", d.key}, {"split", splitName(d.split)}, {"season", d.season}, {"episode", d.episode}};
    json us = json::array();
    for (const auto& u : d.utterances) {
      json ju{{"speaker", u.speaker}, {"party", u.party}, {"label", u.label}, {"id", u.utteranceId}};
      if (!u.transcript.empty()) ju["text"] = u.transcript;
      if (u.startSeconds >= 0) ju["start"] = u.startSeconds;
      if (u.endSeconds >= 0) ju["end"] = u.endSeconds;
      if (!u.clipPath.empty()) ju["clip"] = u.clipPath;
      us.push_back(std::move(ju));
    }
    jd["utterances"] = std::move(us);
    dialogues.push_back(std::move(jd));
  }
  j["dialogues"] = std::move(dialogues);
  atomicWriteFile((fs::path(dir) / "features.f32").string(), [&] {
    std::string bytes(kMagic, 8);
    const std::uint64_t rows = c.hasFeatures() ? c.numUtterances() : 0;
    const std::int32_t dims[3] = {c.dimText, c.dimAudio, c.dimVisual};
    bytes.append(reinterpret_cast<const char*>(&rows), sizeof rows);
    bytes.append(reinterpret_cast<const char*>(dims), sizeof dims);
    if (rows) {
      for (const auto* v : {&c.text, &c.audio, &c.visual})
        bytes.append(reinterpret_cast<const char*>(v->data()), v->size() * sizeof(float));
    }
    return bytes;
  }());
  atomicWriteFile((fs::path(dir) / "corpus.json").string(), j.dump(1));
}

Corpus readCorpus(const std::string& dir) {
  const std::string metaPath = (fs::path(dir) / "corpus.json").string();
  const std::string featPath = (fs::path(dir) / "features.f32").string();
  Corpus c;
  json j;
  try {
    j = json::parse(readFile(metaPath));
  } catch (const json::exception& e) {
    throw std::runtime_error(metaPath + ": not valid JSON: " + e.what());
  }
  try {
    if (j.value("format", "") != "mlsan-corpus") throw std::runtime_error("not an mlsan corpus (missing \"format\": \"mlsan-corpus\")");
    c.name = j.at("name").get<std::string>();
    c.dataset = j.at("dataset").get<std::string>();
    c.labels.name = j.at("label_set").get<std::string>();
    c.labels.labels = j.at("labels").get<std::vector<std::string>>();
    c.speakers = j.at("speakers").get<std::vector<std::string>>();
    c.speakerSource = j.value("speaker_source", std::string("demo"));
    if (j.contains("problems")) c.problems = j.at("problems").get<std::vector<std::string>>();
    c.dimText = j.at("dims").at("text").get<int>();
    c.dimAudio = j.at("dims").at("audio").get<int>();
    c.dimVisual = j.at("dims").at("visual").get<int>();
    for (const auto& jd : j.at("dialogues")) {
      Dialogue d;
      d.key = jd.at("key").get<std::string>();
      d.split = parseSplit(jd.at("split").get<std::string>());
      d.season = jd.value("season", -1);
      d.episode = jd.value("episode", -1);
      for (const auto& ju : jd.at("utterances")) {
        Utterance u;
        u.speaker = ju.at("speaker").get<int>();
        u.party = ju.at("party").get<int>();
        u.label = ju.at("label").get<int>();
        u.utteranceId = ju.value("id", -1);
        u.transcript = ju.value("text", "");
        u.startSeconds = ju.value("start", -1.0);
        u.endSeconds = ju.value("end", -1.0);
        u.clipPath = ju.value("clip", "");
        d.utterances.push_back(std::move(u));
      }
      c.dialogues.push_back(std::move(d));
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(metaPath + ": " + e.what());
  }
  c.reindexRows();

  const std::string bytes = readFile(featPath);
  const std::size_t header = 8 + sizeof(std::uint64_t) + 3 * sizeof(std::int32_t);
  if (bytes.size() < header || std::memcmp(bytes.data(), kMagic, 8) != 0)
    throw std::runtime_error(featPath + ": not an mlsan feature file (bad magic or truncated header)");
  std::uint64_t rows;
  std::int32_t dims[3];
  std::memcpy(&rows, bytes.data() + 8, sizeof rows);
  std::memcpy(dims, bytes.data() + 16, sizeof dims);
  if (dims[0] != c.dimText || dims[1] != c.dimAudio || dims[2] != c.dimVisual)
    throw std::runtime_error(featPath + ": dims differ from corpus.json");
  if (rows != 0 && rows != c.numUtterances())
    throw std::runtime_error(featPath + ": has " + std::to_string(rows) + " rows but corpus.json lists " +
                             std::to_string(c.numUtterances()) + " utterances");
  const std::size_t floats = rows * static_cast<std::size_t>(dims[0] + dims[1] + dims[2]);
  if (bytes.size() != header + floats * sizeof(float))
    throw std::runtime_error(featPath + ": truncated or oversized (" + std::to_string(bytes.size()) + " bytes, expected " +
                             std::to_string(header + floats * sizeof(float)) + ")");
  if (rows) {
    const float* p = reinterpret_cast<const float*>(bytes.data() + header);
    c.text.assign(p, p + rows * dims[0]); p += rows * dims[0];
    c.audio.assign(p, p + rows * dims[1]); p += rows * dims[1];
    c.visual.assign(p, p + rows * dims[2]);
  } else {
    c.dimText = c.dimAudio = c.dimVisual = 0;
  }
  try {
    c.validate();
  } catch (const std::exception& e) {
    throw std::runtime_error(dir + ": " + e.what());
  }
  return c;
}

Corpus openCorpus(const std::string& spec) {
  CorpusSource src;
  try {
    src = CorpusSource::parse(spec);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
  return openCorpus(src);
}

}  // namespace mlsan::data
