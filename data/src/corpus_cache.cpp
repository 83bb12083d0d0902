// SPDX-License-Identifier: GPL-3.0-or-later
// The binary corpus cache (see corpus_cache.h).
#include "mlsan/data/corpus_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "mlsan/data/atomic_file.h"

namespace mlsan::data {
namespace fs = std::filesystem;

namespace {
constexpr char kMagic[8] = {'M', 'L', 'S', 'A', 'N', 'C', 'C', '\0'};
/// Bump when the layout, the checksums, or what the readers put into a Corpus, change.
/// 2: checksums by XXH3 (1 used a hand-written hash).
constexpr std::uint32_t kVersion = 2;
constexpr std::size_t kHeader = 64;

// Checksums: xxHash's XXH3 (libxxhash), several GB/s.
std::uint64_t hash64(const void* data, std::size_t n, std::uint64_t seed = 0) { return XXH3_64bits_withSeed(data, n, seed); }

std::uint64_t featureHash(const Corpus& c) {
  std::uint64_t h = 0;
  for (const auto* m : {&c.text, &c.audio, &c.visual}) h = hash64(m->data(), m->size() * sizeof(float), h);
  return h;
}

// --- metadata serialisation ---
struct Out {
  std::string s;
  template <class T> void pod(T v) { s.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void str(const std::string& v) { pod<std::uint32_t>(static_cast<std::uint32_t>(v.size())); s += v; }
  void strs(const std::vector<std::string>& v) { pod<std::uint32_t>(static_cast<std::uint32_t>(v.size())); for (const auto& x : v) str(x); }
};

struct In {
  const char* p;
  const char* end;
  void need(std::size_t n) const {
    if (static_cast<std::size_t>(end - p) < n) throw std::runtime_error("metadata is truncated");
  }
  template <class T> T pod() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, p, sizeof v);
    p += sizeof v;
    return v;
  }
  std::string str() {
    const auto n = pod<std::uint32_t>();
    need(n);
    std::string v(p, n);
    p += n;
    return v;
  }
  std::size_t count(std::size_t minBytesEach) {
    const auto n = pod<std::uint32_t>();
    if (static_cast<std::size_t>(end - p) < n * minBytesEach) throw std::runtime_error("metadata count is out of range");
    return n;
  }
  std::vector<std::string> strs() {
    std::vector<std::string> v(count(4));
    for (auto& x : v) x = str();
    return v;
  }
};

std::string encodeMeta(const Corpus& c, const std::string& key) {
  Out o;
  o.str(key);
  o.str(c.name);
  o.str(c.dataset);
  o.str(c.labels.name);
  o.strs(c.labels.labels);
  o.strs(c.speakers);
  o.pod<std::int32_t>(c.dimText);
  o.pod<std::int32_t>(c.dimAudio);
  o.pod<std::int32_t>(c.dimVisual);
  o.strs(c.problems);
  o.str(c.speakerSource);
  o.pod<std::uint32_t>(static_cast<std::uint32_t>(c.dialogues.size()));
  for (const auto& d : c.dialogues) {
    o.str(d.key);
    o.pod<std::uint8_t>(static_cast<std::uint8_t>(d.split));
    o.pod<std::int32_t>(d.season);
    o.pod<std::int32_t>(d.episode);
    o.pod<std::uint32_t>(static_cast<std::uint32_t>(d.utterances.size()));
    for (const auto& u : d.utterances) {
      o.pod<std::int32_t>(u.speaker);
      o.pod<std::int32_t>(u.party);
      o.pod<std::int32_t>(u.label);
      o.pod<std::int32_t>(u.utteranceId);
      o.str(u.transcript);
      o.pod<double>(u.startSeconds);
      o.pod<double>(u.endSeconds);
      o.str(u.clipPath);
    }
  }
  o.pod<std::uint64_t>(c.numUtterances());
  return std::move(o.s);
}

Corpus decodeMeta(In in, const std::string& key) {
  if (in.str() != key) throw std::runtime_error("stale (made from other source files, or from other versions of them)");
  Corpus c;
  c.name = in.str();
  c.dataset = in.str();
  c.labels.name = in.str();
  c.labels.labels = in.strs();
  c.speakers = in.strs();
  c.dimText = in.pod<std::int32_t>();
  c.dimAudio = in.pod<std::int32_t>();
  c.dimVisual = in.pod<std::int32_t>();
  c.problems = in.strs();
  c.speakerSource = in.str();
  c.dialogues.resize(in.count(17));
  for (auto& d : c.dialogues) {
    d.key = in.str();
    const auto split = in.pod<std::uint8_t>();
    if (split > 2) throw std::runtime_error("bad split");
    d.split = static_cast<Split>(split);
    d.season = in.pod<std::int32_t>();
    d.episode = in.pod<std::int32_t>();
    d.utterances.resize(in.count(40));
    for (auto& u : d.utterances) {
      u.speaker = in.pod<std::int32_t>();
      u.party = in.pod<std::int32_t>();
      u.label = in.pod<std::int32_t>();
      u.utteranceId = in.pod<std::int32_t>();
      u.transcript = in.str();
      u.startSeconds = in.pod<double>();
      u.endSeconds = in.pod<double>();
      u.clipPath = in.str();
    }
  }
  if (in.pod<std::uint64_t>() != c.numUtterances()) throw std::runtime_error("utterance count mismatch");
  if (in.p != in.end) throw std::runtime_error("metadata has trailing bytes");
  if (c.dimText < 0 || c.dimAudio < 0 || c.dimVisual < 0 || c.dimText > (1 << 24) || c.dimAudio > (1 << 24) ||
      c.dimVisual > (1 << 24))
    throw std::runtime_error("bad dims");
  return c;
}

struct Header {
  char magic[8];
  std::uint32_t version;
  std::uint32_t headerBytes;
  std::uint64_t metaBytes;
  std::uint64_t metaHash;
  std::uint64_t featureFloats;
  std::uint64_t featureHash;
  std::uint64_t reserved;
  std::uint64_t headerHash;  ///< of the 56 bytes before it
};
static_assert(sizeof(Header) == kHeader, "cache header must be 64 bytes");

std::size_t padTo64(std::size_t n) { return (64 - n % 64) % 64; }

void readExactly(int fd, char* dst, std::size_t n, std::size_t offset) {
  while (n > 0) {
    const ssize_t got = ::pread(fd, dst, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) throw std::runtime_error(got == 0 ? "truncated" : std::strerror(errno));
    dst += got;
    n -= static_cast<std::size_t>(got);
    offset += static_cast<std::size_t>(got);
  }
}

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}
}  // namespace

std::string defaultCacheDir() {
  if (const char* d = std::getenv("MLSAN_CACHE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x == '/') return (fs::path(x) / "mlsan-studio").string();
  if (const char* h = std::getenv("HOME"); h && *h) return (fs::path(h) / ".cache" / "mlsan-studio").string();
  return (fs::temp_directory_path() / "mlsan-studio-cache").string();
}

std::string corpusCacheKey(const std::vector<std::string>& sources, const std::string& variant) {
  std::string key = "mlsan corpus cache v" + std::to_string(kVersion) + "\n" + variant + "\n";
  for (const auto& s : sources) {
    const std::string abs = fs::absolute(s).lexically_normal().string();
    struct ::stat st {};
    if (::stat(abs.c_str(), &st) != 0) throw std::runtime_error("cannot stat " + abs + ": " + std::strerror(errno));
    const long long mtimeNs = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
    key += abs + "\t" + std::to_string(static_cast<long long>(st.st_size)) + "\t" + std::to_string(mtimeNs) + "\n";
  }
  return key;
}

void writeCorpusCache(const std::string& path, const Corpus& c, const std::string& key) {
  const std::string meta = encodeMeta(c, key);
  Header h{};
  std::memcpy(h.magic, kMagic, 8);
  h.version = kVersion;
  h.headerBytes = kHeader;
  h.metaBytes = meta.size();
  h.metaHash = hash64(meta.data(), meta.size());
  h.featureFloats = c.text.size() + c.audio.size() + c.visual.size();
  h.featureHash = featureHash(c);
  h.headerHash = hash64(&h, offsetof(Header, headerHash));
  atomicWriteStream(path, [&](std::ostream& out) {
    out.write(reinterpret_cast<const char*>(&h), sizeof h);
    out.write(meta.data(), static_cast<std::streamsize>(meta.size()));
    const std::string pad(padTo64(kHeader + meta.size()), '\0');
    out.write(pad.data(), static_cast<std::streamsize>(pad.size()));
    for (const auto* m : {&c.text, &c.audio, &c.visual})
      out.write(reinterpret_cast<const char*>(m->data()), static_cast<std::streamsize>(m->size() * sizeof(float)));
  });
}

Corpus readCorpusCache(const std::string& path, const std::string& key) {
  struct Fd {
    int fd;
    ~Fd() { if (fd >= 0) ::close(fd); }
  } file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  const int fd = file.fd;
  if (fd < 0) throw std::runtime_error("cannot open cache " + path + ": " + std::strerror(errno));
  try {
    struct ::stat st {};
    if (::fstat(fd, &st) != 0) throw std::runtime_error(std::strerror(errno));
    const auto size = static_cast<std::size_t>(st.st_size);
    Header h{};
    if (size < kHeader) throw std::runtime_error("truncated header");
    readExactly(fd, reinterpret_cast<char*>(&h), kHeader, 0);
    if (std::memcmp(h.magic, kMagic, 8) != 0) throw std::runtime_error("not a corpus cache (bad magic)");
    if (h.version != kVersion) throw std::runtime_error("cache format version " + std::to_string(h.version));
    if (h.headerBytes != kHeader || h.headerHash != hash64(&h, offsetof(Header, headerHash)))
      throw std::runtime_error("header checksum mismatch");
    if (h.metaBytes > size || h.featureFloats > size / sizeof(float) ||
        size != kHeader + h.metaBytes + padTo64(kHeader + h.metaBytes) + h.featureFloats * sizeof(float))
      throw std::runtime_error("file size does not match its header (truncated?)");
    std::string meta(h.metaBytes, '\0');
    readExactly(fd, meta.data(), meta.size(), kHeader);
    if (hash64(meta.data(), meta.size()) != h.metaHash) throw std::runtime_error("metadata checksum mismatch");
    Corpus c = decodeMeta(In{meta.data(), meta.data() + meta.size()}, key);
    const std::size_t rows = c.numUtterances();
    for (const int dim : {c.dimText, c.dimAudio, c.dimVisual})
      if (dim > 0 && rows > h.featureFloats / static_cast<std::size_t>(dim)) throw std::runtime_error("feature size does not match the metadata");
    const std::size_t floats[3] = {rows * c.dimText, rows * c.dimAudio, rows * c.dimVisual};
    if (floats[0] + floats[1] + floats[2] != h.featureFloats) throw std::runtime_error("feature size does not match the metadata");
    std::size_t offset = kHeader + meta.size() + padTo64(kHeader + meta.size());
    std::vector<float>* mats[3] = {&c.text, &c.audio, &c.visual};
    for (int m = 0; m < 3; ++m) {
      mats[m]->resize(floats[m]);
      readExactly(fd, reinterpret_cast<char*>(mats[m]->data()), floats[m] * sizeof(float), offset);
      offset += floats[m] * sizeof(float);
    }
    if (featureHash(c) != h.featureHash) throw std::runtime_error("feature checksum mismatch");
    c.reindexRows();
    c.validate();
    return c;
  } catch (const std::exception& e) {
    throw std::runtime_error("cache " + path + ": " + e.what());
  }
}

Corpus openCached(const std::vector<std::string>& sources, const std::string& variant, const std::function<Corpus()>& loader,
                  const std::string& cacheDir, CacheReport* report) {
  CacheReport local;
  CacheReport& r = report ? *report : local;
  r = CacheReport{};
  std::string key;
  try {
    if (sources.empty()) throw std::runtime_error("no source files to key the cache");
    key = corpusCacheKey(sources, variant);
  } catch (const std::exception& e) {
    r.note = std::string("not cached: ") + e.what();
    return loader();
  }
  // The file name depends on the paths and options only, so a changed source overwrites its
  // stale cache instead of leaving it behind.
  std::string identity = variant;
  for (const auto& s : sources) identity += "\n" + fs::absolute(s).lexically_normal().string();
  const fs::path dir = cacheDir.empty() ? defaultCacheDir() : cacheDir;
  r.file = (dir / ("corpus-" + hex64(hash64(identity.data(), identity.size())) + ".mlsc")).string();
  std::error_code ec;
  if (fs::exists(r.file, ec)) {
    try {
      Corpus c = readCorpusCache(r.file, key);
      r.hit = true;
      return c;
    } catch (const std::exception& e) {
      r.note = std::string(e.what()) + "; rebuilt";
    }
  }
  Corpus c = loader();
  try {
    if (corpusCacheKey(sources, variant) != key) throw std::runtime_error("a source changed while it was read");
    fs::create_directories(dir);
    writeCorpusCache(r.file, c, key);
    r.written = true;
  } catch (const std::exception& e) {
    r.note += (r.note.empty() ? "" : "; ") + std::string("cache not written: ") + e.what();
  }
  return c;
}

Corpus openPickleCorpusCached(const std::string& path, const MultiEmoOptions& options, const std::string& cacheDir,
                              CacheReport* report) {
  const std::string variant = "pickle corpus; dataset=" + options.dataset + "; dims=" + std::to_string(options.dimText) + "/" +
                              std::to_string(options.dimAudio) + "/" + std::to_string(options.dimVisual) + "; name=" + options.name;
  return openCached(pickleCorpusSources(path), variant, [&] { return readPickleCorpus(path, options); }, cacheDir, report);
}

}  // namespace mlsan::data
