// The Python-value tree of the pickle reader: construction, access, numpy array conversion,
// and reading a file into one buffer. The opcode machine is in pickle_unpickler.cpp.
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
// dtypes and arrays

int pyDTypeSize(PyDType t) {
  switch (t) {
    case PyDType::Bool: case PyDType::Int8: case PyDType::UInt8: return 1;
    case PyDType::Int16: case PyDType::UInt16: case PyDType::Float16: return 2;
    case PyDType::Int32: case PyDType::UInt32: case PyDType::Float32: return 4;
    case PyDType::Int64: case PyDType::UInt64: case PyDType::Float64: return 8;
  }
  return 1;
}

const char* pyDTypeName(PyDType t) {
  switch (t) {
    case PyDType::Bool: return "b1";
    case PyDType::Int8: return "i1";
    case PyDType::UInt8: return "u1";
    case PyDType::Int16: return "i2";
    case PyDType::UInt16: return "u2";
    case PyDType::Int32: return "i4";
    case PyDType::UInt32: return "u4";
    case PyDType::Int64: return "i8";
    case PyDType::UInt64: return "u8";
    case PyDType::Float16: return "f2";
    case PyDType::Float32: return "f4";
    case PyDType::Float64: return "f8";
  }
  return "?";
}

namespace {
const char* longDTypeName(PyDType t) {
  switch (t) {
    case PyDType::Bool: return "bool";
    case PyDType::Int8: return "int8";
    case PyDType::UInt8: return "uint8";
    case PyDType::Int16: return "int16";
    case PyDType::UInt16: return "uint16";
    case PyDType::Int32: return "int32";
    case PyDType::UInt32: return "uint32";
    case PyDType::Int64: return "int64";
    case PyDType::UInt64: return "uint64";
    case PyDType::Float16: return "float16";
    case PyDType::Float32: return "float32";
    case PyDType::Float64: return "float64";
  }
  return "?";
}

float halfToFloat(std::uint16_t h) {
  const std::uint32_t sign = (h >> 15) & 1u, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  float v;
  if (exp == 0) v = std::ldexp(static_cast<float>(mant), -24);
  else if (exp == 31) v = mant ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  else v = std::ldexp(static_cast<float>(mant | 0x400u), static_cast<int>(exp) - 25);
  return sign ? -v : v;
}

template <class T>
T loadAs(const char* p, bool swap) {
  unsigned char b[sizeof(T)];
  std::memcpy(b, p, sizeof(T));
  if (swap)
    for (std::size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(b[i], b[sizeof(T) - 1 - i]);
  T v;
  std::memcpy(&v, b, sizeof(T));
  return v;
}

double elementAt(const char* p, PyDType t, bool swap) {
  switch (t) {
    case PyDType::Bool: return *p ? 1.0 : 0.0;
    case PyDType::Int8: return static_cast<double>(static_cast<signed char>(*p));
    case PyDType::UInt8: return static_cast<double>(static_cast<unsigned char>(*p));
    case PyDType::Int16: return loadAs<std::int16_t>(p, swap);
    case PyDType::UInt16: return loadAs<std::uint16_t>(p, swap);
    case PyDType::Int32: return loadAs<std::int32_t>(p, swap);
    case PyDType::UInt32: return loadAs<std::uint32_t>(p, swap);
    case PyDType::Int64: return static_cast<double>(loadAs<std::int64_t>(p, swap));
    case PyDType::UInt64: return static_cast<double>(loadAs<std::uint64_t>(p, swap));
    case PyDType::Float16: return halfToFloat(loadAs<std::uint16_t>(p, swap));
    case PyDType::Float32: return loadAs<float>(p, swap);
    case PyDType::Float64: return loadAs<double>(p, swap);
  }
  return 0.0;
}
}  // namespace

std::size_t PyArray::size() const {
  std::size_t n = 1;
  for (auto d : shape) n *= static_cast<std::size_t>(d);
  return n;
}

static std::size_t storageIndex(const PyArray& a, std::size_t i) {
  if (!a.fortran || a.shape.size() < 2) return i;
  // C-order flat index -> multi-index -> column-major offset.
  std::size_t offset = 0, stride = 1;
  std::vector<std::size_t> idx(a.shape.size());
  for (std::size_t k = a.shape.size(); k-- > 0;) {
    const auto d = static_cast<std::size_t>(a.shape[k]);
    idx[k] = i % d;
    i /= d;
  }
  for (std::size_t k = 0; k < a.shape.size(); ++k) {
    offset += idx[k] * stride;
    stride *= static_cast<std::size_t>(a.shape[k]);
  }
  return offset;
}

double PyArray::at(std::size_t i) const {
  if (i >= size()) throw std::out_of_range("numpy array index out of range");
  const int w = pyDTypeSize(dtype);
  return elementAt(data.data + storageIndex(*this, i) * w, dtype, bigEndian && w > 1);
}

void PyArray::toFloat(float* out, std::size_t first, std::size_t count) const {
  if (first + count > size() || first + count < first) throw std::out_of_range("numpy array range out of range");
  if (fortran && shape.size() >= 2) {
    for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<float>(at(first + i));
    return;
  }
  const int w = pyDTypeSize(dtype);
  const char* p = data.data + first * w;
  const bool swap = bigEndian && w > 1;
  if (dtype == PyDType::Float32 && !swap) {
    std::memcpy(out, p, count * sizeof(float));
  } else if (dtype == PyDType::Float64 && !swap) {
    for (std::size_t i = 0; i < count; ++i) {
      double d;
      std::memcpy(&d, p + i * 8, 8);
      out[i] = static_cast<float>(d);
    }
  } else {
    for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<float>(elementAt(p + i * w, dtype, swap));
  }
}

void PyArray::toFloat(float* out) const { toFloat(out, 0, size()); }

std::string PyArray::describe() const {
  std::string s = std::string(longDTypeName(dtype)) + " array of shape (";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1) s += ",";
  return s + ")";
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

std::string hashKey(const PyValue& key) {
  switch (key.kind()) {
    case PyKind::None: return "N";
    case PyKind::Bool: case PyKind::Int: return "i" + std::to_string(key.asInt());
    case PyKind::Float: {
      const double f = key.asNumber();
      if (std::nearbyint(f) == f && std::fabs(f) < 9.2e18) return "i" + std::to_string(static_cast<std::int64_t>(f));
      std::uint64_t bits;
      std::memcpy(&bits, &f, 8);
      return "f" + std::to_string(bits);
    }
    case PyKind::Str: return "s" + key.asStr();
    case PyKind::Bytes: return "b" + std::string(key.asBytes());
    case PyKind::Tuple: {
      std::string h = "t" + std::to_string(key.size()) + ":";
      for (const auto& v : key.items()) {
        const std::string k = hashKey(v);
        if (k.empty()) return "";
        h += std::to_string(k.size()) + ":" + k;
      }
      return h;
    }
    default: return "";
  }
}

// ---------------------------------------------------------------------------------------------
// text helpers

std::string latin1ToUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  for (unsigned char c : bytes) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

std::size_t utf8ToLatin1(std::string_view utf8, char* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(utf8.data());
  const std::size_t n = utf8.size();
  auto* o = reinterpret_cast<unsigned char*>(out);
  // numpy data through _codecs.encode is about half non-ASCII bytes at random: decode 8 bytes at
  // a time without data-dependent branches (SWAR). Valid iff every lead byte is C2/C3 followed
  // by a continuation byte, and every continuation byte follows a lead byte.
  constexpr std::uint64_t H = 0x8080808080808080ULL, L3 = 0x0303030303030303ULL, L3F = 0x3F3F3F3F3F3F3F3FULL;
  std::size_t i = 0, k = 0;
  std::uint64_t bad = 0, carry = 0;  // carry: bit 7 set when the previous word ended in a lead byte
  for (; i + 9 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    const std::uint64_t hi = w & H, b6 = (w << 1) & H;
    const std::uint64_t lead = hi & b6, cont = hi & ~b6;
    bad |= cont ^ ((lead << 8) | carry);
    carry = lead >> 56;
    bad |= ((w & 0xFEFEFEFEFEFEFEFEULL) ^ 0xC2C2C2C2C2C2C2C2ULL) & ((lead >> 7) * 0xFF);
    const std::uint64_t next = (w >> 8) | (static_cast<std::uint64_t>(p[i + 8]) << 56);
    const std::uint64_t dec = ((w & L3) << 6) | (next & L3F);
    const std::uint64_t hiFull = (hi >> 7) * 0xFF;
    const std::uint64_t val = (w & ~hiFull) | (dec & hiFull);
    if (!cont) {
      std::memcpy(o + k, &val, 8);
      k += 8;
      continue;
    }
    for (int lane = 0; lane < 8; ++lane) {
      o[k] = static_cast<unsigned char>(val >> (8 * lane));
      k += 1 - ((cont >> (8 * lane + 7)) & 1);
    }
  }
  bool prevLead = carry != 0;
  for (; i < n; ++i) {
    const unsigned c = p[i];
    if ((c & 0xC0u) == 0x80u) {
      if (!prevLead) return static_cast<std::size_t>(-1);
      prevLead = false;
    } else if (c < 0x80u) {
      if (prevLead) return static_cast<std::size_t>(-1);
      o[k++] = static_cast<unsigned char>(c);
    } else {
      if (prevLead || (c & 0xFEu) != 0xC2u || i + 1 >= n) return static_cast<std::size_t>(-1);
      o[k++] = static_cast<unsigned char>(((c & 3u) << 6) | (p[i + 1] & 0x3Fu));
      prevLead = true;
    }
  }
  if (bad || prevLead) return static_cast<std::size_t>(-1);
  return k;
}

bool validUtf8(const unsigned char* s, std::size_t n) {
  std::size_t i = 0;
  while (i < n) {
    while (i + 8 <= n) {  // ASCII fast path
      std::uint64_t w;
      std::memcpy(&w, s + i, 8);
      if (w & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= n) break;
    const unsigned char c = s[i];
    if (c < 0x80) { ++i; continue; }
    std::size_t len;
    std::uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else return false;
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
      return false;
    i += len;
  }
  return true;
}

const std::string& PyStrObj::get() const {
  if (lazy) {
    std::call_once(once_, [this] {
      if (utf8View.data) {
        if (!validUtf8(reinterpret_cast<const unsigned char*>(utf8View.data), utf8View.size))
          throw std::runtime_error("a string of " + std::to_string(utf8View.size) + " bytes in the pickle is not valid UTF-8");
        text_ = std::string(utf8View.view());
      } else {
        text_ = latin1ToUtf8(latin1.view());
      }
    });
  }
  return text_;
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
  const auto size = static_cast<std::size_t>(st.st_size);
  std::shared_ptr<char[]> buf(new char[size ? size : 1]);  // uninitialised: read() fills it
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = ::read(fd, buf.get() + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      throw std::runtime_error("cannot read " + path + ": " + (n == 0 ? "file shrank while reading" : std::strerror(err)));
    }
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  const char* data = buf.get();
  return unpickle(std::shared_ptr<const void>(buf, data), data, size, path, limits);
}

}  // namespace mlsan::data
