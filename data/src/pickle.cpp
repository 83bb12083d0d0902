// SPDX-License-Identifier: GPL-3.0-or-later
// The Python-value tree of the pickle reader: construction and access, dict keys,
// and reading a file into one buffer. The opcode machine is in pickle_unpickler.cpp, numpy in
// pickle_numpy.cpp, text in pickle_text.cpp.
#include "mlsan/data/pickle.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>

#include "pickle_internal.h"

namespace mlsan::data {

PickleError::PickleError(const std::string& file, std::size_t offset, const std::string& reason)
    : std::runtime_error(file + ": offset " + std::to_string(offset) + ": " + reason),
      file_(file), offset_(offset), reason_(reason) {}

const char* pyKindName(PyKind k) {
  switch (k) {
    case PyKind::None: return "None";
    case PyKind::Bool: return "bool";
    case PyKind::Int: return "int";
    case PyKind::Float: return "float";
    case PyKind::Str: return "str";
    case PyKind::Bytes: return "bytes";
    case PyKind::List: return "list";
    case PyKind::Tuple: return "tuple";
    case PyKind::Dict: return "dict";
    case PyKind::Set: return "set";
    case PyKind::Array: return "numpy.ndarray";
    case PyKind::DType: return "numpy.dtype";
    case PyKind::Global: return "global";
  }
  return "?";
}

PyBytes PyBytes::copyOf(std::string_view bytes) {
  auto s = std::make_shared<std::string>(bytes);
  PyBytes b;
  b.data = s->data();
  b.size = s->size();
  b.owner = std::move(s);
  return b;
}

// ---------------------------------------------------------------------------------------------
// PyValue

void PyListObj::decompact() {
  if (!compact) return;
  items.reserve(floats.size());
  for (double f : floats) items.push_back(PyValue::floating(f));
  floats = {};
  compact = false;
}

bool isContainer(PyKind k) {
  return k == PyKind::List || k == PyKind::Tuple || k == PyKind::Dict || k == PyKind::Set;
}

PyValue PyValue::str(std::string utf8) {
  auto o = std::make_shared<PyStrObj>();
  o->setText(std::move(utf8));
  return PyValue(PyKind::Str, std::move(o));
}

PyValue PyValue::bytes(std::string_view b) { return bytes(PyBytes::copyOf(b)); }

PyValue PyValue::bytes(PyBytes b) {
  auto o = std::make_shared<PyBytesObj>();
  o->bytes = std::move(b);
  return PyValue(PyKind::Bytes, std::move(o));
}

static void updateDepth(PyObject& parent, const PyValue& child) {
  if (child.object() && isContainer(child.kind()))
    parent.depth = std::max(parent.depth, child.object()->depth + 1);
}

PyValue PyValue::list(std::vector<PyValue> items) {
  auto o = std::make_shared<PyListObj>();
  bool allFloat = true;
  for (const auto& v : items) allFloat = allFloat && v.kind() == PyKind::Float;
  if (allFloat && !items.empty()) {
    for (const auto& v : items) o->floats.push_back(v.f_);
  } else if (!items.empty()) {
    o->compact = false;
    for (const auto& v : items) updateDepth(*o, v);
    o->items = std::move(items);
  }
  return PyValue(PyKind::List, std::move(o));
}

PyValue PyValue::floatList(std::vector<double> items) {
  auto o = std::make_shared<PyListObj>();
  o->floats = std::move(items);
  return PyValue(PyKind::List, std::move(o));
}

PyValue PyValue::tuple(std::vector<PyValue> items) {
  auto o = std::make_shared<PySeqObj>();
  for (const auto& v : items) updateDepth(*o, v);
  o->items = std::move(items);
  return PyValue(PyKind::Tuple, std::move(o));
}

PyValue PyValue::dict() { return PyValue(PyKind::Dict, std::make_shared<PyDictObj>()); }

PyValue PyValue::set(std::vector<PyValue> items) {
  auto o = std::make_shared<PySeqObj>();
  for (const auto& v : items) updateDepth(*o, v);
  o->items = std::move(items);
  return PyValue(PyKind::Set, std::move(o));
}

PyValue PyValue::array(PyArray a) {
  if (a.data.size != a.size() * static_cast<std::size_t>(pyDTypeSize(a.dtype)))
    throw std::invalid_argument("numpy array: data size does not match shape and dtype");
  auto o = std::make_shared<PyArrayObj>();
  o->array = std::move(a);
  o->built = true;
  return PyValue(PyKind::Array, std::move(o));
}

static PyValue rawArray(PyDType t, const std::vector<std::int64_t>& shape, const void* values) {
  PyArray a;
  a.dtype = t;
  a.shape = shape;
  a.data = PyBytes::copyOf(std::string_view(static_cast<const char*>(values), a.size() * pyDTypeSize(t)));
  return PyValue::array(std::move(a));
}
PyValue PyValue::floatArray(const std::vector<std::int64_t>& shape, const float* v) { return rawArray(PyDType::Float32, shape, v); }
PyValue PyValue::doubleArray(const std::vector<std::int64_t>& shape, const double* v) { return rawArray(PyDType::Float64, shape, v); }
PyValue PyValue::int64Array(const std::vector<std::int64_t>& shape, const std::int64_t* v) { return rawArray(PyDType::Int64, shape, v); }

const char* PyValue::typeName() const { return pyKindName(kind_); }

std::string PyValue::describe() const {
  switch (kind_) {
    case PyKind::None: return "None";
    case PyKind::Bool: return b_ ? "True" : "False";
    case PyKind::Int: return "int " + std::to_string(i_);
    case PyKind::Float: return "float " + std::to_string(f_);
    case PyKind::Str: {
      const auto& t = asStr();
      return "str '" + (t.size() > 40 ? t.substr(0, 40) + "..." : t) + "'";
    }
    case PyKind::Bytes: return "bytes of length " + std::to_string(asBytes().size());
    case PyKind::List: case PyKind::Tuple: case PyKind::Dict: case PyKind::Set:
      return std::string(typeName()) + " of " + std::to_string(size());
    case PyKind::Array: return "numpy " + asArray().describe();
    case PyKind::DType: return std::string("numpy.dtype '") + pyDTypeName(static_cast<const PyDTypeObj&>(*obj_).dtype) + "'";
    case PyKind::Global: return "global '" + globalName() + "'";
  }
  return "?";
}

[[noreturn]] static void wrongKind(const PyValue& v, const char* wanted) {
  throw std::runtime_error(std::string("expected ") + wanted + ", found " + v.describe());
}

bool PyValue::asBool() const {
  if (kind_ == PyKind::Bool) return b_;
  if (kind_ == PyKind::Int) return i_ != 0;
  wrongKind(*this, "a bool");
}
std::int64_t PyValue::asInt() const {
  if (kind_ == PyKind::Int) return i_;
  if (kind_ == PyKind::Bool) return b_ ? 1 : 0;
  wrongKind(*this, "an int");
}
double PyValue::asNumber() const {
  if (kind_ == PyKind::Float) return f_;
  if (kind_ == PyKind::Int) return static_cast<double>(i_);
  if (kind_ == PyKind::Bool) return b_ ? 1.0 : 0.0;
  wrongKind(*this, "a number");
}
const std::string& PyValue::asStr() const {
  if (kind_ != PyKind::Str) wrongKind(*this, "a str");
  return static_cast<const PyStrObj&>(*obj_).get();
}
std::string_view PyValue::latin1Source() const {
  if (kind_ != PyKind::Str) wrongKind(*this, "a str");
  return static_cast<const PyStrObj&>(*obj_).latin1.view();
}
const PyBytes& PyValue::bytesRef() const {
  if (kind_ != PyKind::Bytes) wrongKind(*this, "bytes");
  return static_cast<const PyBytesObj&>(*obj_).bytes;
}
std::string_view PyValue::asBytes() const { return bytesRef().view(); }
const PyArray& PyValue::asArray() const {
  if (kind_ != PyKind::Array) wrongKind(*this, "a numpy array");
  return static_cast<const PyArrayObj&>(*obj_).array;
}
std::string PyValue::globalName() const {
  if (kind_ != PyKind::Global) wrongKind(*this, "a global");
  const auto& g = static_cast<const PyGlobalObj&>(*obj_);
  return g.module + "." + g.name;
}

std::size_t PyValue::size() const {
  switch (kind_) {
    case PyKind::List: return static_cast<const PyListObj&>(*obj_).size();
    case PyKind::Tuple: case PyKind::Set: return static_cast<const PySeqObj&>(*obj_).items.size();
    case PyKind::Dict: return static_cast<const PyDictObj&>(*obj_).items.size();
    case PyKind::Str: return asStr().size();
    case PyKind::Bytes: return asBytes().size();
    default: wrongKind(*this, "a container");
  }
}

PyValue PyValue::at(std::size_t i) const {
  if (kind_ == PyKind::List) {
    const auto& l = static_cast<const PyListObj&>(*obj_);
    if (i >= l.size()) throw std::out_of_range("list index out of range");
    return l.compact ? floating(l.floats[i]) : l.items[i];
  }
  const auto& it = items();
  if (i >= it.size()) throw std::out_of_range(std::string(typeName()) + " index out of range");
  return it[i];
}

const std::vector<double>* PyValue::floatItems() const {
  if (kind_ != PyKind::List) return nullptr;
  const auto& l = static_cast<const PyListObj&>(*obj_);
  return l.compact ? &l.floats : nullptr;
}

const std::vector<PyValue>& PyValue::items() const {
  if (kind_ == PyKind::Tuple || kind_ == PyKind::Set) return static_cast<const PySeqObj&>(*obj_).items;
  if (kind_ == PyKind::List) {
    const auto& l = static_cast<const PyListObj&>(*obj_);
    if (!l.compact) return l.items;
    static const std::vector<PyValue> empty;
    if (l.floats.empty()) return empty;
    throw std::logic_error("items() on a compact float list: use floatItems() or at()");
  }
  wrongKind(*this, "a list, tuple or set");
}

const std::vector<std::pair<PyValue, PyValue>>& PyValue::dictItems() const {
  if (kind_ != PyKind::Dict) wrongKind(*this, "a dict");
  return static_cast<const PyDictObj&>(*obj_).items;
}

const PyValue* PyValue::get(const PyValue& key) const {
  if (kind_ != PyKind::Dict) wrongKind(*this, "a dict");
  const auto& d = static_cast<const PyDictObj&>(*obj_);
  const auto it = d.index.find(hashKey(key));
  return it == d.index.end() ? nullptr : &d.items[it->second].second;
}

void PyValue::append(PyValue item) {
  if (kind_ == PyKind::List) {
    auto& l = static_cast<PyListObj&>(*obj_);
    if (l.compact && item.kind_ == PyKind::Float) {
      l.floats.push_back(item.f_);
      return;
    }
    l.decompact();
    updateDepth(l, item);
    l.items.push_back(std::move(item));
  } else if (kind_ == PyKind::Set) {
    auto& s = static_cast<PySeqObj&>(*obj_);
    updateDepth(s, item);
    s.items.push_back(std::move(item));
  } else {
    wrongKind(*this, "a list or set");
  }
}

void PyValue::setItem(PyValue key, PyValue value) {
  if (kind_ != PyKind::Dict) wrongKind(*this, "a dict");
  if (!static_cast<PyDictObj&>(*obj_).set(std::move(key), std::move(value)))
    throw std::invalid_argument("unhashable dict key");
}

bool PyDictObj::set(PyValue key, PyValue value) {
  std::string h = hashKey(key);
  if (h.empty()) return false;
  updateDepth(*this, key);
  updateDepth(*this, value);
  const auto [it, fresh] = index.emplace(std::move(h), items.size());
  if (fresh) items.emplace_back(std::move(key), std::move(value));
  else items[it->second].second = std::move(value);
  return true;
}

namespace {
/// Appends the canonical form of `key`; false when unhashable or when the key is absurdly large
/// (a tuple that shares itself at every level would grow exponentially).
bool appendKey(const PyValue& key, std::string& out, std::size_t& nodes) {
  if (++nodes > 100000 || out.size() > (16u << 20)) return false;
  switch (key.kind()) {
    case PyKind::None: out += 'N'; return true;
    case PyKind::Bool: case PyKind::Int: out += 'i' + std::to_string(key.asInt()); return true;
    case PyKind::Float: {
      const double f = key.asNumber();
      if (std::nearbyint(f) == f && std::fabs(f) < 9.2e18) {  // 1.0 == 1 == True, as in Python
        out += 'i' + std::to_string(static_cast<std::int64_t>(f));
      } else {
        std::uint64_t bits;
        std::memcpy(&bits, &f, 8);
        out += 'f' + std::to_string(bits);
      }
      return true;
    }
    case PyKind::Str: {
      const std::string& t = key.asStr();
      out += 's' + std::to_string(t.size()) + ':';
      out += t;
      return true;
    }
    case PyKind::Bytes: {
      const std::string_view b = key.asBytes();
      out += 'b' + std::to_string(b.size()) + ':';
      out.append(b.data(), b.size());
      return true;
    }
    case PyKind::Tuple:
      out += 't' + std::to_string(key.size()) + '(';
      for (const auto& v : key.items())
        if (!appendKey(v, out, nodes)) return false;
      out += ')';
      return true;
    default: return false;
  }
}
}  // namespace

std::string hashKey(const PyValue& key) {
  std::string out;
  std::size_t nodes = 0;
  return appendKey(key, out, nodes) ? out : std::string();
}

// ---------------------------------------------------------------------------------------------
// loading

PyValue loadPickleBuffer(std::shared_ptr<const void> owner, const char* data, std::size_t size,
                         const std::string& name, const PickleLimits& limits) {
  return unpickle(std::move(owner), data, size, name, limits);
}

PyValue loadPickleBytes(std::string bytes, const std::string& name, const PickleLimits& limits) {
  auto owner = std::make_shared<std::string>(std::move(bytes));
  const char* data = owner->data();
  const std::size_t size = owner->size();
  return unpickle(std::move(owner), data, size, name, limits);
}

PyValue loadPickleFile(const std::string& path, const PickleLimits& limits) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  struct ::stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw std::runtime_error("cannot read " + path + ": not a regular file");
  }
  const std::int64_t mtime = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  auto file = std::make_shared<const PyFileHandle>(fd, path, static_cast<std::uint64_t>(st.st_size), mtime);
  return unpickleFile(std::move(file), limits);
}

PyFileHandle::~PyFileHandle() { ::close(fd); }

void PyFileHandle::readAt(char* dst, std::size_t n, std::uint64_t offset) const {
  struct ::stat st {};
  const bool same = ::fstat(fd, &st) == 0 && static_cast<std::uint64_t>(st.st_size) == size &&
                    static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec == mtimeNs;
  if (!same) throw std::runtime_error(path + ": the file changed while it was being read");
  while (n > 0) {
    const ssize_t got = ::pread(fd, dst, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0)
      throw std::runtime_error(path + ": " + (got == 0 ? std::string("the file changed while it was being read") : std::strerror(errno)));
    dst += got;
    n -= static_cast<std::size_t>(got);
    offset += static_cast<std::uint64_t>(got);
  }
}

const char* PyFileSlice::load() const {
  std::call_once(once_, [this] {
    std::unique_ptr<char[]> b(new char[size ? size : 1]);
    file->readAt(b.get(), size, offset);
    buf_ = std::move(b);
    loaded_.store(true, std::memory_order_release);
  });
  return buf_.get();
}

void PyFileSlice::readInto(char* dst, std::size_t from, std::size_t n) const {
  if (from + n > size || from + n < from) throw std::out_of_range("bytes range out of range");
  if (loaded_.load(std::memory_order_acquire)) std::memcpy(dst, buf_.get() + from, n);
  else file->readAt(dst, n, offset + from);
}

std::string_view PyBytes::view() const {
  if (data || !file) return {data, size};
  return {file->load(), size};
}

}  // namespace mlsan::data
