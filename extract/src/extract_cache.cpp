// SPDX-License-Identifier: GPL-3.0-or-later
#include "extract_cache.h"

#include <xxhash.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "mlsan/data/atomic_file.h"

namespace mlsan::extract::detail {
namespace fs = std::filesystem;
namespace {

constexpr char kMagic[8] = {'M', 'L', 'X', 'C', '1', 0, 0, 0};

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

template <typename T>
void put(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

long long mtimeOf(const fs::path& p, std::error_code& ec) {
  return static_cast<long long>(fs::last_write_time(p, ec).time_since_epoch().count());
}

}  // namespace

ExtractCache::ExtractCache(std::string dir, bool useIndex) : dir_(std::move(dir)) {
  fs::create_directories(dir_);
  if (!useIndex) return;
  try {
    const auto j = nlohmann::json::parse(data::readFile((fs::path(dir_) / "files.json").string()));
    for (const auto& [path, v] : j.at("files").items())
      index_[path] = {v.at("size").get<unsigned long long>(), v.at("mtime").get<long long>(), v.at("hash").get<std::string>()};
  } catch (const std::exception&) {
    index_.clear();  // no index, or a damaged one: every file is hashed again
  }
}

std::string ExtractCache::key(const std::string& fileHash, double start, double end, const std::string& identity) {
  std::string bytes = fileHash;
  bytes.push_back('\0');
  put(bytes, start);
  put(bytes, end);
  bytes += identity;
  const XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
  return hex64(h.high64) + hex64(h.low64);
}

bool ExtractCache::load(const std::string& key, CacheEntry* entry) const {
  std::string bytes;
  try {
    const fs::path p = fs::path(dir_) / key.substr(0, 2) / (key + ".bin");
    std::error_code ec;
    if (!fs::exists(p, ec)) return false;
    bytes = data::readFile(p.string());
  } catch (const std::exception&) {
    return false;
  }
  // magic, status, dim, seconds, reason length, reason, values, checksum
  const std::size_t fixed = 8 + 4 + 4 + 8 + 4;
  if (bytes.size() < fixed + 8 || std::memcmp(bytes.data(), kMagic, 8) != 0) return false;
  std::uint64_t sum;
  std::memcpy(&sum, bytes.data() + bytes.size() - 8, 8);
  if (XXH3_64bits(bytes.data(), bytes.size() - 8) != sum) return false;
  std::int32_t status, dim;
  std::uint32_t reasonLen;
  double seconds;
  std::memcpy(&status, bytes.data() + 8, 4);
  std::memcpy(&dim, bytes.data() + 12, 4);
  std::memcpy(&seconds, bytes.data() + 16, 8);
  std::memcpy(&reasonLen, bytes.data() + 24, 4);
  if (dim < 0 || bytes.size() != fixed + reasonLen + static_cast<std::size_t>(dim) * 4 + 8) return false;
  entry->status = status;
  entry->seconds = seconds;
  entry->reason.assign(bytes.data() + fixed, reasonLen);
  entry->values.resize(static_cast<std::size_t>(dim));
  if (dim > 0) std::memcpy(entry->values.data(), bytes.data() + fixed + reasonLen, static_cast<std::size_t>(dim) * 4);
  return true;
}

bool ExtractCache::store(const std::string& key, const CacheEntry& entry) const {
  std::string bytes(kMagic, 8);
  put(bytes, static_cast<std::int32_t>(entry.status));
  put(bytes, static_cast<std::int32_t>(entry.values.size()));
  put(bytes, entry.seconds);
  put(bytes, static_cast<std::uint32_t>(entry.reason.size()));
  bytes += entry.reason;
  bytes.append(reinterpret_cast<const char*>(entry.values.data()), entry.values.size() * 4);
  put(bytes, static_cast<std::uint64_t>(XXH3_64bits(bytes.data(), bytes.size())));
  try {
    const fs::path folder = fs::path(dir_) / key.substr(0, 2);
    fs::create_directories(folder);
    data::atomicWriteFile((folder / (key + ".bin")).string(), bytes);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

std::string ExtractCache::fileHash(const std::string& path, std::string* error) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) {
    *error = "cannot read the file (" + ec.message() + ")";
    return {};
  }
  const long long mtime = mtimeOf(path, ec);
  std::promise<std::pair<std::string, std::string>> mine;
  std::shared_future<std::pair<std::string, std::string>> wait;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto known = index_.find(path);
    if (known != index_.end() && known->second.size == size && known->second.mtime == mtime && !known->second.hash.empty())
      return known->second.hash;
    const auto p = pending_.find(path);
    if (p != pending_.end()) wait = p->second;
    else pending_[path] = mine.get_future().share();
  }
  if (wait.valid()) {
    const auto r = wait.get();
    if (r.first.empty()) *error = r.second;
    return r.first;
  }
  std::pair<std::string, std::string> result;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    result.second = "cannot open the file";
  } else {
    XXH3_state_t* state = XXH3_createState();
    XXH3_64bits_reset(state);
    std::vector<char> buf(1 << 20);
    while (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      if (in.gcount() > 0) XXH3_64bits_update(state, buf.data(), static_cast<std::size_t>(in.gcount()));
    }
    if (in.bad()) result.second = "a read error in the file";
    else result.first = hex64(XXH3_64bits_digest(state));
    XXH3_freeState(state);
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!result.first.empty()) index_[path] = {size, mtime, result.first};
  }
  mine.set_value(result);
  if (result.first.empty()) *error = result.second;
  return result.first;
}

void ExtractCache::saveIndex() const {
  nlohmann::json files = nlohmann::json::object();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [path, k] : index_) files[path] = {{"size", k.size}, {"mtime", k.mtime}, {"hash", k.hash}};
  }
  try {
    data::atomicWriteFile((fs::path(dir_) / "files.json").string(), nlohmann::json{{"files", files}}.dump(1) + "\n");
  } catch (const std::exception&) {
    // Only the hashes are lost: the next run hashes the files again.
  }
}

}  // namespace mlsan::extract::detail
