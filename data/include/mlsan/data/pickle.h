// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// A safe, native reader for Python pickles (protocols 0 to 5) and the small Python-value tree it
// builds. It knows the opcodes of plain data (None, bool, int, float, str, bytes, list, tuple,
// dict, set) and exactly the few globals that numpy arrays, numpy scalars and Python 3's
// protocol-2 bytes need (numpy.core.multiarray._reconstruct / scalar, numpy.core.numeric._frombuffer
// and their numpy-2 names under numpy._core, numpy.ndarray, numpy.dtype, _codecs.encode,
// builtins.bytes / bytearray / set / frozenset). Everything else is refused with a PickleError
// naming the file and the byte offset. It never executes anything.
//
// Speed: a file is read in chunks; bytes and numpy array data are views into them (no copy)
// except where an encoding has to be undone (protocol-2 bytes); big bytes payloads (numpy data)
// are not even read while parsing: PyArray::toFloat copies them from the file straight into
// their destination, once. A list whose items are all floats is stored compactly as
// std::vector<double>, with no node per float.
//
// Thread-safety: loading is reentrant (any thread, any number at once). A PyValue tree may be
// read from several threads once built; the mutators (append, setItem) are for one thread only.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mlsan::data {

/// What a malformed, truncated or unsafe pickle throws: "<file>: offset <n>: <reason>".
/// An ordinary exception value: any thread.
class PickleError : public std::runtime_error {
 public:
  PickleError(const std::string& file, std::size_t offset, const std::string& reason);
  const std::string& file() const { return file_; }
  std::size_t offset() const { return offset_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string file_;
  std::size_t offset_;
  std::string reason_;
};

enum class PyKind : std::uint8_t {
  None, Bool, Int, Float, Str, Bytes, List, Tuple, Dict, Set,
  Array,   ///< numpy.ndarray
  DType,   ///< numpy.dtype (appears inside arrays; rarely alone)
  Global,  ///< a reference to one of the allowed globals (never called by the caller)
};
const char* pyKindName(PyKind k);

struct PyFileSlice;  // internal: a payload still in the file (see PyBytes)

/// Bytes kept alive by their owner (the file buffer or a decoded copy): a view, never copied.
/// A big bytes payload of a pickle read from a file (numpy array data) may instead still sit in
/// the file: `data` is then null and view() reads it on first use (once, thread-safe), while
/// PyArray::toFloat copies it straight from the file into its destination. Such a read throws
/// std::runtime_error naming the file if the file changed since it was parsed.
/// Immutable once made: any thread may read it.
struct PyBytes {
  std::shared_ptr<const void> owner;
  const char* data = nullptr;
  std::size_t size = 0;
  std::shared_ptr<const PyFileSlice> file;  ///< set when the bytes are still in the file
  std::string_view view() const;
  static PyBytes copyOf(std::string_view bytes);
};

/// numpy element types the reader understands.
enum class PyDType : std::uint8_t { Bool, Int8, UInt8, Int16, UInt16, Int32, UInt32, Int64, UInt64, Float16, Float32, Float64 };
int pyDTypeSize(PyDType t);
const char* pyDTypeName(PyDType t);  ///< numpy's short code: "f4", "i8", "b1", ...

/// A numpy array: element type, shape and raw element bytes (a view, see PyBytes). Plain data:
/// any thread may read it.
struct PyArray {
  PyDType dtype = PyDType::Float32;
  bool bigEndian = false;  ///< '>' byte order: converted when read
  bool fortran = false;    ///< column-major element order
  std::vector<std::int64_t> shape;
  PyBytes data;

  std::size_t size() const;  ///< number of elements
  int ndim() const { return static_cast<int>(shape.size()); }
  /// Element `i` in C (row-major) order, converted to double.
  double at(std::size_t i) const;
  /// All elements in C order, converted to float32 (one pass; memcpy for little-endian f4).
  void toFloat(float* out) const;
  /// Elements [first, first + count) in C order; 1-D or C-ordered arrays only (else use toFloat).
  void toFloat(float* out, std::size_t first, std::size_t count) const;
  /// A compact description, e.g. "float32 array of shape (12, 768)".
  std::string describe() const;
};

struct PyObject;  // internal: the heap part of strings, containers and arrays

/// A Python value read from a pickle (or built in C++ for the writer). Scalars are held inline;
/// strings, bytes, containers and arrays are shared (copying a PyValue never copies them).
class PyValue {
 public:
  PyValue() = default;  ///< None

  // --- construction (for the writer and tests) ---
  static PyValue none() { return {}; }
  static PyValue boolean(bool b) { PyValue v; v.kind_ = PyKind::Bool; v.b_ = b; return v; }
  static PyValue integer(std::int64_t i) { PyValue v; v.kind_ = PyKind::Int; v.i_ = i; return v; }
  static PyValue floating(double f) { PyValue v; v.kind_ = PyKind::Float; v.f_ = f; return v; }
  static PyValue str(std::string utf8);
  static PyValue bytes(std::string_view bytes);
  static PyValue bytes(PyBytes bytes);
  static PyValue list(std::vector<PyValue> items = {});
  /// A list of Python floats, stored compactly.
  static PyValue floatList(std::vector<double> items);
  static PyValue tuple(std::vector<PyValue> items = {});
  static PyValue dict();
  static PyValue set(std::vector<PyValue> items = {});
  static PyValue array(PyArray a);
  /// A little-endian C-ordered numpy array of float32 (copies `values`).
  static PyValue floatArray(const std::vector<std::int64_t>& shape, const float* values);
  static PyValue doubleArray(const std::vector<std::int64_t>& shape, const double* values);
  static PyValue int64Array(const std::vector<std::int64_t>& shape, const std::int64_t* values);

  // --- inspection ---
  PyKind kind() const { return kind_; }
  bool is(PyKind k) const { return kind_ == k; }
  bool isNone() const { return kind_ == PyKind::None; }
  bool isNumber() const { return kind_ == PyKind::Int || kind_ == PyKind::Float || kind_ == PyKind::Bool; }
  bool isSequence() const { return kind_ == PyKind::List || kind_ == PyKind::Tuple || kind_ == PyKind::Set; }
  /// Python-ish type name for messages: "int", "list", "numpy.ndarray", ...
  const char* typeName() const;
  /// A short human description for error messages, e.g. "list of 12", "str 'Ses01F'", "int 3".
  std::string describe() const;

  // --- scalar access; each throws std::runtime_error on the wrong kind ---
  bool asBool() const;
  std::int64_t asInt() const;   ///< int or bool
  double asNumber() const;      ///< int, float or bool
  const std::string& asStr() const;  ///< UTF-8 (Python 2 byte strings were decoded as latin-1)
  std::string_view asBytes() const;
  const PyBytes& bytesRef() const;   ///< the view behind asBytes()
  const PyArray& asArray() const;
  std::string globalName() const;    ///< "module.name" of a Global
  /// For a str decoded from a Python 2 byte string: its original bytes (else empty view).
  std::string_view latin1Source() const;

  // --- containers ---
  /// Number of items of a list, tuple, set, dict, str (bytes) or bytes; throws for others.
  std::size_t size() const;
  /// Item `i` of a list, tuple or set (a float of a compact list comes back as a Float value).
  PyValue at(std::size_t i) const;
  /// Non-null when this list holds only floats and is stored compactly.
  const std::vector<double>* floatItems() const;
  /// Items of a tuple, set or non-compact list (throws for a compact float list: use at()).
  const std::vector<PyValue>& items() const;
  /// Items of a dict, in insertion order.
  const std::vector<std::pair<PyValue, PyValue>>& dictItems() const;
  /// Dict lookup (Python equality for int/bool/float/str/bytes/None/tuple keys); nullptr if absent.
  const PyValue* get(const PyValue& key) const;
  const PyValue* get(std::int64_t key) const { return get(integer(key)); }
  const PyValue* get(const std::string& key) const { return get(str(key)); }

  // --- mutation (one thread; for building values to write) ---
  void append(PyValue item);                  ///< list or set
  void setItem(PyValue key, PyValue value);   ///< dict; replaces an equal key

  /// Internal: the shared heap part (used by the reader and writer).
  const std::shared_ptr<PyObject>& object() const { return obj_; }
  PyValue(PyKind k, std::shared_ptr<PyObject> o) : kind_(k), obj_(std::move(o)) {}

 private:
  PyKind kind_ = PyKind::None;
  union {
    bool b_;
    std::int64_t i_ = 0;
    double f_;
  };
  std::shared_ptr<PyObject> obj_;
  friend class Unpickler;
  friend class PickleWriter;
};

/// Limits that keep hostile files from exhausting memory or the C++ stack. Plain data.
struct PickleLimits {
  std::size_t maxDepth = 256;            ///< container nesting
  std::size_t maxStack = 1u << 26;       ///< items on the unpickler's stack
  std::size_t maxMemo = 1u << 26;        ///< memo entries
};

/// Reads and parses a pickle file. Throws PickleError (bad data) or std::runtime_error (the file
/// cannot be read), both naming the file. The tree keeps the file open while it holds payloads
/// still in the file (see PyBytes).
PyValue loadPickleFile(const std::string& path, const PickleLimits& limits = {});
/// Parses pickle bytes held in memory; `name` is used in error messages.
PyValue loadPickleBytes(std::string bytes, const std::string& name = "<memory>", const PickleLimits& limits = {});
/// Parses `size` bytes at `data`, kept alive by `owner` (views into it may outlive the call).
PyValue loadPickleBuffer(std::shared_ptr<const void> owner, const char* data, std::size_t size,
                         const std::string& name, const PickleLimits& limits = {});

}  // namespace mlsan::data
