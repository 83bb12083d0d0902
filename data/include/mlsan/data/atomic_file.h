// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Atomic file writing: content goes to "<path>.tmp-<pid>-<n>", is flushed and fsync'd, then
// renamed over <path>. A crash or a full disk leaves either the old file or the new one,
// never half of one. Any thread may call these.
#include <functional>
#include <ostream>
#include <string>

namespace mlsan::data {

/// Writes `bytes` to `path` atomically. Throws std::runtime_error naming the file on failure
/// (the temporary file is removed and the previous content of `path` is left intact).
void atomicWriteFile(const std::string& path, const std::string& bytes);

/// Streams into `path` atomically: `writer` writes to the stream; on exception or stream
/// failure the temporary is removed and the error rethrown as std::runtime_error.
void atomicWriteStream(const std::string& path, const std::function<void(std::ostream&)>& writer);

/// Reads a whole file; throws std::runtime_error naming the file.
std::string readFile(const std::string& path);

}  // namespace mlsan::data
