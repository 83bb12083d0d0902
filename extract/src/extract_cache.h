// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Internal to mlsan_extract: the per-utterance cache of an extraction folder. One file per
// utterance and modality, cache/<2 hex>/<32 hex>.bin, named by the XXH3-128 of the video's
// content hash, the span and the extractor's identity; each file carries its own checksum, so a
// damaged one is recomputed, never trusted. The content hashes of the videos are remembered in
// cache/files.json by path, size and modification time. Any thread.
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace mlsan::extract::detail {

struct CacheEntry {
  enum Status : int { Ok = 0, NoFace = 1, Failed = 2 };
  int status = Ok;
  double seconds = 0;   ///< the span's length as decoded
  std::string reason;   ///< why it failed (or the no-face note)
  std::vector<float> values;
};

class ExtractCache {
 public:
  /// `dir`: the cache folder (created). `useIndex`: trust files.json's remembered hashes.
  ExtractCache(std::string dir, bool useIndex);
  static std::string key(const std::string& fileHash, double start, double end, const std::string& identity);
  bool load(const std::string& key, CacheEntry* entry) const;
  /// Writes the entry atomically; false (and nothing written) when it cannot.
  bool store(const std::string& key, const CacheEntry& entry) const;
  /// The XXH3-64 of the file's content, in hex; "" with `error` when it cannot be read. Each
  /// file is hashed once per run (concurrent callers wait for the first).
  std::string fileHash(const std::string& path, std::string* error);
  /// Writes files.json.
  void saveIndex() const;

 private:
  struct Known {
    unsigned long long size = 0;
    long long mtime = 0;
    std::string hash;
  };
  std::string dir_;
  std::map<std::string, Known> index_;  // from files.json, then this run's
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_future<std::pair<std::string, std::string>>> pending_;
};

}  // namespace mlsan::extract::detail
