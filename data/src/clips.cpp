// SPDX-License-Identifier: GPL-3.0-or-later
// MELD.Raw clips: one directory listing per subfolder, then a 16-byte header check per clip.
#include "mlsan/data/clips.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <unordered_map>

#include "meld_internal.h"

namespace mlsan::data {

namespace {

namespace fs = std::filesystem;

using detail::kDevOffset;
using detail::kTestOffset;
constexpr std::size_t kListed = 5; // missing / unreadable names listed in problems
const char* const kSubfolders[3] = {"train_splits", "dev_splits_complete", "output_repeated_splits_test"};

std::string lowerAscii(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

bool endsWith(const std::string& s, const char* suffix) {
  const std::size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// Lists the .mp4 files of a folder: lowercase name -> name on disk. False when the folder
// cannot be listed.
bool listClips(const fs::path& dir, std::unordered_map<std::string, std::string>& out) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return false;
  fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  if (ec) return false;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    std::string name = it->path().filename().string();
    if (name.rfind("._", 0) == 0) continue;  // macOS AppleDouble companions
    std::string key = lowerAscii(name);
    if (endsWith(key, ".mp4")) out.emplace(std::move(key), std::move(name));
  }
  return true;
}

// Reads the first bytes of a clip; empty `why` when it looks like an MP4 file.
std::string checkClip(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::string("cannot be opened: ") + std::strerror(errno);
  struct stat st {};
  std::string why;
  unsigned char head[16];
  ssize_t got = 0;
  if (::fstat(fd, &st) != 0) {
    why = "cannot be examined";
  } else if (!S_ISREG(st.st_mode)) {
    why = "not a regular file";
  } else if (st.st_size == 0) {
    why = "empty file";
  } else {
    got = ::read(fd, head, sizeof head);
    if (got < 0) why = "read error";
  }
  ::close(fd);
  if (!why.empty()) return why;
  looksLikeMp4(head, static_cast<std::size_t>(got), static_cast<unsigned long long>(st.st_size), why);
  return why;
}

}  // namespace

bool looksLikeMp4(const unsigned char* head, std::size_t headSize, unsigned long long fileSize, std::string& why) {
  if (headSize < 8) {
    why = "too short for an MP4 box header";
    return false;
  }
  const unsigned long long size32 = (static_cast<unsigned long long>(head[0]) << 24) | (head[1] << 16) |
                                    (head[2] << 8) | head[3];
  const std::string type(reinterpret_cast<const char*>(head + 4), 4);
  static const char* const kTopLevel[] = {"ftyp", "moov", "mdat", "free", "skip", "wide", "pdin", "styp", "uuid"};
  bool known = false;
  for (const char* t : kTopLevel) known = known || type == t;
  if (!known) {
    why = "not an MP4 file (first box is not 'ftyp' or another top-level box)";
    return false;
  }
  unsigned long long size = size32;
  if (size32 == 1) {  // 64-bit size follows the type
    if (headSize < 16) {
      why = "truncated MP4 box header";
      return false;
    }
    size = 0;
    for (int k = 8; k < 16; ++k) size = (size << 8) | head[k];
    if (size < 16) {
      why = "not an MP4 file (bad box size)";
      return false;
    }
  } else if (size32 != 0 && size32 < 8) {  // 0 means "to the end of the file"
    why = "not an MP4 file (bad box size)";
    return false;
  }
  if (type == "ftyp" && size != 0 && size < 16) {
    why = "not an MP4 file (ftyp box too small)";
    return false;
  }
  if (size > fileSize) {
    why = "truncated (the first box runs past the end of the file)";
    return false;
  }
  return true;
}

MeldClip meldClipOf(const std::string& dialogueKey, int utteranceId) {
  const int key = detail::meldKeyNumber(dialogueKey);
  MeldClip c;
  if (key < 0) return c;
  c.folder = key < kDevOffset ? 0 : key < kTestOffset ? 1 : 2;
  const int dialogueId = c.folder == 0 ? key : c.folder == 1 ? key - kDevOffset : key - kTestOffset;
  c.file = "dia" + std::to_string(dialogueId) + "_utt" + std::to_string(utteranceId) + ".mp4";
  return c;
}

ClipReport linkMeldClips(Corpus& corpus, const std::string& clipsDir) {
  ClipReport rep;
  auto& problems = corpus.problems;
  const fs::path root(clipsDir);
  std::error_code ec;
  const bool rootOk = fs::is_directory(root, ec);
  if (!rootOk) problems.push_back("clips: folder " + clipsDir + " does not exist; no clips linked");
  std::unordered_map<std::string, std::string> files[3];
  bool listed[3] = {false, false, false};
  long withoutFolder[3] = {0, 0, 0};
  for (int f = 0; f < 3 && rootOk; ++f) listed[f] = listClips(root / kSubfolders[f], files[f]);

  long splitMismatch = 0;
  std::string firstBadKey;
  for (Dialogue& d : corpus.dialogues) {
    const int f = meldClipOf(d.key, 0).folder;
    if (f >= 0) splitMismatch += (d.split == Split::Test) != (f == 2);
    for (Utterance& u : d.utterances) {
      u.clipPath.clear();
      if (f < 0 || u.utteranceId < 0) {
        ++rep.unknownId;
        if (f < 0 && firstBadKey.empty()) firstBadKey = d.key;
        continue;
      }
      if (!rootOk) {
        ++rep.missing;
        continue;
      }
      const std::string name = meldClipOf(d.key, u.utteranceId).file;
      const std::string rel = std::string(kSubfolders[f]) + "/" + name;
      if (!listed[f]) {
        ++rep.missing;
        ++withoutFolder[f];
        continue;
      }
      const auto it = files[f].find(name);
      if (it == files[f].end()) {
        ++rep.missing;
        if (rep.firstMissing.size() < kListed) rep.firstMissing.push_back(rel);
        continue;
      }
      const std::string path = (root / kSubfolders[f] / it->second).string();
      const std::string why = checkClip(path);
      if (!why.empty()) {
        ++rep.unreadable;
        if (rep.firstUnreadable.size() < kListed) rep.firstUnreadable.push_back(rel + " (" + why + ")");
        continue;
      }
      u.clipPath = path;
      ++rep.found;
    }
  }
  problems.push_back("clips: " + std::to_string(rep.found) + " found, " + std::to_string(rep.missing) + " missing, " +
                     std::to_string(rep.unreadable) + " unreadable under " + clipsDir);
  for (int f = 0; f < 3; ++f)
    if (rootOk && !listed[f] && withoutFolder[f] > 0)
      problems.push_back("clips: subfolder " + std::string(kSubfolders[f]) + " is missing under " + clipsDir + " (" +
                         std::to_string(withoutFolder[f]) + " utterances have no clip)");
  auto list = [](const std::vector<std::string>& v, long total) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    if (total > static_cast<long>(v.size())) s += ", ...";
    return s;
  };
  if (!rep.firstMissing.empty()) problems.push_back("clips missing: " + list(rep.firstMissing, rep.missing));
  if (!rep.firstUnreadable.empty())
    problems.push_back("clips unreadable: " + list(rep.firstUnreadable, rep.unreadable));
  if (rep.unknownId > 0)
    problems.push_back("clips: " + std::to_string(rep.unknownId) + " utterances could not be named (" +
                       (firstBadKey.empty() ? std::string("no Utterance_ID: attach the MELD CSVs first")
                                            : "dialogue key '" + firstBadKey + "' is not a MELD key") +
                       ")");
  if (splitMismatch > 0)
    problems.push_back("clips: " + std::to_string(splitMismatch) +
                       " dialogues are in the test split but not in MELD's test key range, or the reverse");
  return rep;
}

}  // namespace mlsan::data
