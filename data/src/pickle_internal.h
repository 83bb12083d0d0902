// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Internal to mlsan_data: the heap objects behind PyValue, shared by the pickle reader, the
// value model and the writer. Not installed, not for other targets.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "mlsan/data/pickle.h"

namespace mlsan::data {

/// An open pickle file, shared by the payloads parsed from it that still sit in the file.
struct PyFileHandle {
  PyFileHandle(int fd, std::string path, std::uint64_t size, std::int64_t mtimeNs)
      : fd(fd), path(std::move(path)), size(size), mtimeNs(mtimeNs) {}
  ~PyFileHandle();
  PyFileHandle(const PyFileHandle&) = delete;
  PyFileHandle& operator=(const PyFileHandle&) = delete;
  int fd;
  std::string path;
  std::uint64_t size;   ///< as it was when parsing started
  std::int64_t mtimeNs;
  /// Reads exactly `n` bytes at `offset`; throws std::runtime_error naming the file when the
  /// file changed (size or modification time) since it was opened, or is short.
  void readAt(char* dst, std::size_t n, std::uint64_t offset) const;
};

/// A bytes payload left in the file by the reader (see PyBytes): read on first use.
struct PyFileSlice {
  PyFileSlice(std::shared_ptr<const PyFileHandle> f, std::uint64_t off, std::size_t n) : file(std::move(f)), offset(off), size(n) {}
  std::shared_ptr<const PyFileHandle> file;
  std::uint64_t offset;
  std::size_t size;
  /// The whole payload in memory (read once; thread-safe).
  const char* load() const;
  /// Bytes [from, from + n) into `dst`: straight from the file unless already loaded.
  void readInto(char* dst, std::size_t from, std::size_t n) const;

 private:
  mutable std::once_flag once_;
  mutable std::unique_ptr<char[]> buf_;
  mutable std::atomic<bool> loaded_{false};
};

/// Which allowed global a PyKind::Global refers to.
enum class PyGlobalId : std::uint8_t {
  Reconstruct,  ///< numpy.core.multiarray._reconstruct
  Ndarray,      ///< numpy.ndarray
  DTypeType,    ///< numpy.dtype
  Scalar,       ///< numpy.core.multiarray.scalar
  FromBuffer,   ///< numpy.core.numeric._frombuffer (protocol 5)
  CodecsEncode, ///< _codecs.encode
  Bytes,        ///< builtins.bytes
  ByteArray,    ///< builtins.bytearray
  Set,          ///< builtins.set
  FrozenSet,    ///< builtins.frozenset
  Extension,    ///< a global of the PickleHooks in use (torch files)
};

/// Decodes latin-1 bytes to UTF-8.
std::string latin1ToUtf8(std::string_view bytes);

struct PyObject {
  virtual ~PyObject() = default;
  std::uint32_t depth = 0;  ///< containers: 1 + deepest child container (0 for leaves)
  std::uint8_t visit = 0;   ///< scratch for the reader's cycle / depth check
};

/// A str. Big strings (which are mostly numpy data on its way through _codecs.encode) stay a view
/// of the file until someone asks for the text.
struct PyStrObj : PyObject {
  PyBytes latin1;    ///< the original bytes of a Python 2 str (else empty)
  PyBytes utf8View;  ///< UTF-8 not yet validated nor copied into the text (lazy big str), else empty
  bool lazy = false; ///< `text` is filled on first use, from utf8View or latin1
  /// The text as UTF-8 (thread-safe). A lazy str is validated here; throws std::runtime_error
  /// if it is not UTF-8.
  const std::string& get() const;
  void setText(std::string t) { text_ = std::move(t); }

 private:
  mutable std::string text_;
  mutable std::once_flag once_;
};

struct PyBytesObj : PyObject {
  PyBytes bytes;
};

/// A list: compact (all floats, in `floats`) until a non-float arrives, then `items`.
struct PyListObj : PyObject {
  PyListObj() { depth = 1; }
  bool compact = true;
  std::vector<double> floats;
  std::vector<PyValue> items;
  std::size_t size() const { return compact ? floats.size() : items.size(); }
  void decompact();  ///< moves `floats` into `items`
};

/// Tuple and set: a plain item vector.
struct PySeqObj : PyObject {
  PySeqObj() { depth = 1; }
  std::vector<PyValue> items;
};

struct PyDictObj : PyObject {
  PyDictObj() { depth = 1; }
  std::vector<std::pair<PyValue, PyValue>> items;
  std::unordered_map<std::string, std::size_t> index;  ///< hashKey(key) -> position in items
  /// Inserts or replaces; returns false (and does nothing) when the key is unhashable.
  bool set(PyValue key, PyValue value);
};

struct PyArrayObj : PyObject {
  PyArray array;
  bool built = false;  ///< _reconstruct gives an empty shell that BUILD fills
};

struct PyDTypeObj : PyObject {
  PyDType dtype = PyDType::Float32;
  bool bigEndian = false;
};

struct PyGlobalObj : PyObject {
  PyGlobalId id = PyGlobalId::Bytes;
  std::string module, name;
};

/// A canonical string for a hashable key (Python equality: 1 == 1.0 == True); "" if unhashable.
std::string hashKey(const PyValue& key);
bool isContainer(PyKind k);
/// After parsing, when some container had several references (pickle_structure.cpp): checks that
/// the tree has no cycle and is at most `maxDepth` deep (calls `fail`, which throws, otherwise).
void checkPickleStructure(const PyValue& root, std::size_t maxDepth, const std::function<void(const std::string&)>& fail);
/// Empties the shared containers the result does not reach (after checkPickleStructure).
void releaseUnreachable(std::vector<std::shared_ptr<PyObject>>& shared);
/// Empties every shared container (after a failure), so that cycles are freed.
void breakSharedLinks(std::vector<std::shared_ptr<PyObject>>& shared);
/// Encodes UTF-8 text whose code points are all <= U+00FF as latin-1 bytes into `out` (which
/// must hold utf8.size() bytes); returns the number written, or SIZE_MAX on a code point above
/// U+00FF or malformed UTF-8.
std::size_t utf8ToLatin1(std::string_view utf8, char* out);

/// Strict UTF-8 validation (no overlongs, no surrogates).
bool validUtf8(const unsigned char* s, std::size_t n);
/// The bytes of a protocol-0 STRING argument (a quoted Python 2 str literal with escapes);
/// throws std::runtime_error when malformed.
std::string decodeStringLiteral(std::string_view line);
/// The UTF-8 text of a protocol-0 UNICODE argument (raw-unicode-escape); throws when malformed.
std::string decodeRawUnicodeEscape(std::string_view line);
/// pickletools' name of an opcode ("BINUNICODE"), or "opcode" when unknown.
const char* pickleOpName(unsigned char op);

struct PickleHooks;
/// The reader proper (pickle_unpickler.cpp), on bytes in memory. `hooks` (pickle_numpy.h) adds
/// globals and persistent ids (torch files); `consumed`, when given, receives where the data
/// after the STOP opcode begins (files that hold several pickles in a row).
PyValue unpickle(std::shared_ptr<const void> owner, const char* data, std::size_t size, const std::string& name,
                 const PickleLimits& limits, PickleHooks* hooks = nullptr, std::size_t* consumed = nullptr);
/// ...or streaming from an open file (big bytes payloads stay in the file until used).
PyValue unpickleFile(std::shared_ptr<const PyFileHandle> file, const PickleLimits& limits);

}  // namespace mlsan::data
