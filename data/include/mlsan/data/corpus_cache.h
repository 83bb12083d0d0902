// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// A binary cache of corpora that are slow to parse (MultiEMO pickles, DialogueRNN pickles): the
// first open parses the sources and writes the whole Corpus (metadata and features) to one file
// in a cache folder; later opens read it back in one pass (a MELD-sized corpus in well under
// 0.3 s). The cache is keyed by the sources' absolute paths, sizes and modification times, the
// reader options and a format version, so changing any source invalidates it. A cache file that
// is stale, truncated or corrupt (magic, sizes, header/metadata/feature checksums, corpus
// validation) is never trusted: it is ignored and rebuilt. Files are written atomically.
//
// Cache file: 64-byte header ("MLSANCC\0", version, sizes, 64-bit checksums of the metadata, the
// features and the header itself), the metadata (the key, then every field of Corpus), padding
// to 64 bytes, then the text, audio and visual matrices as little-endian float32.
//
// Any thread may call these; concurrent opens of the same corpus (threads or processes) are
// safe: the last writer wins, readers see a whole file or none.
#include <functional>
#include <string>
#include <vector>

#include "mlsan/data/corpus.h"
#include "mlsan/data/multiemo_corpus.h"

namespace mlsan::data {

/// Where caches go: $MLSAN_CACHE_DIR if set, else $XDG_CACHE_HOME/mlsan-studio, else
/// ~/.cache/mlsan-studio.
std::string defaultCacheDir();

/// What openCached did, for messages and tests. Plain data.
struct CacheReport {
  bool hit = false;      ///< the corpus came from the cache
  bool written = false;  ///< a new cache file was written
  std::string file;      ///< the cache file used or written ("" when caching was not possible)
  std::string note;      ///< why the cache was not used or not written (stale, corrupt, unwritable, ...)
};

/// Opens a corpus through the cache. `sources`: the files the corpus is read from; `variant`:
/// anything else that changes the result (reader options); `loader`: the slow path. `cacheDir`
/// "" means defaultCacheDir(). The cache never makes an open fail: a bad cache is rebuilt, an
/// unwritable cache folder is only noted in the report. Throws whatever `loader` throws.
Corpus openCached(const std::vector<std::string>& sources, const std::string& variant,
                  const std::function<Corpus()>& loader, const std::string& cacheDir = "",
                  CacheReport* report = nullptr);

/// readPickleCorpus (multiemo_corpus.h) through the cache.
Corpus openPickleCorpusCached(const std::string& path, const MultiEmoOptions& options = {},
                              const std::string& cacheDir = "", CacheReport* report = nullptr);

/// The cache key of `sources` + `variant` (format version, absolute paths, sizes, mtimes).
/// Throws std::runtime_error when a source cannot be stat'ed.
std::string corpusCacheKey(const std::vector<std::string>& sources, const std::string& variant);
/// Writes `corpus` under `key` to `path` atomically; throws std::runtime_error naming the file.
void writeCorpusCache(const std::string& path, const Corpus& corpus, const std::string& key);
/// Reads a cache file written under `key`; throws std::runtime_error naming the file when it is
/// not one, is stale (another key), truncated or corrupt.
Corpus readCorpusCache(const std::string& path, const std::string& key);

}  // namespace mlsan::data
