// SPDX-License-Identifier: GPL-3.0-or-later
// The pickle reader's allowed globals: numpy arrays, dtypes and scalars, Python 3's protocol-2
// bytes (_codecs.encode), builtins.bytes/bytearray/set/frozenset. Arguments and states are
// checked and interpreted as data; nothing is called. Also PyArray: element access and conversion.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>

#include "pickle_numpy.h"

namespace mlsan::data {

namespace {
struct AllowedGlobal {
  const char* module;
  const char* name;
  PyGlobalId id;
};
const AllowedGlobal kAllowed[] = {
    {"numpy.core.multiarray", "_reconstruct", PyGlobalId::Reconstruct},
    {"numpy._core.multiarray", "_reconstruct", PyGlobalId::Reconstruct},
    {"numpy", "ndarray", PyGlobalId::Ndarray},
    {"numpy", "dtype", PyGlobalId::DTypeType},
    {"numpy.core.multiarray", "scalar", PyGlobalId::Scalar},
    {"numpy._core.multiarray", "scalar", PyGlobalId::Scalar},
    {"numpy.core.numeric", "_frombuffer", PyGlobalId::FromBuffer},
    {"numpy._core.numeric", "_frombuffer", PyGlobalId::FromBuffer},
    {"_codecs", "encode", PyGlobalId::CodecsEncode},
    {"codecs", "encode", PyGlobalId::CodecsEncode},
    {"__builtin__", "bytes", PyGlobalId::Bytes},
    {"builtins", "bytes", PyGlobalId::Bytes},
    {"__builtin__", "bytearray", PyGlobalId::ByteArray},
    {"builtins", "bytearray", PyGlobalId::ByteArray},
    {"__builtin__", "set", PyGlobalId::Set},
    {"builtins", "set", PyGlobalId::Set},
    {"__builtin__", "frozenset", PyGlobalId::FrozenSet},
    {"builtins", "frozenset", PyGlobalId::FrozenSet},
};

[[noreturn]] void failReduce(const NumpyContext& c, const std::string& name, const std::string& what) {
  c.fail("REDUCE of '" + name + "' " + what);
}

PyGlobalId globalId(const PyValue& v) { return static_cast<const PyGlobalObj&>(*v.object()).id; }

struct TypeStr {
  PyDType dtype;
  bool bigEndian;
};

std::optional<TypeStr> parseTypeStr(std::string s) {
  bool big = false;
  if (!s.empty() && (s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '=')) {
    big = s[0] == '>';
    s.erase(0, 1);
  }
  static const struct { const char* code; PyDType t; } codes[] = {
      {"b1", PyDType::Bool}, {"?", PyDType::Bool}, {"i1", PyDType::Int8}, {"u1", PyDType::UInt8},
      {"i2", PyDType::Int16}, {"u2", PyDType::UInt16}, {"i4", PyDType::Int32}, {"u4", PyDType::UInt32},
      {"i8", PyDType::Int64}, {"u8", PyDType::UInt64}, {"f2", PyDType::Float16}, {"f4", PyDType::Float32},
      {"f8", PyDType::Float64}};
  for (const auto& c : codes)
    if (s == c.code) return TypeStr{c.t, big};
  return std::nullopt;
}

/// The bytes of a bytes value, or of a str encoded as latin-1 (numpy accepts both as raw data:
/// Python 2 pickles carry array data in a str, which `encoding='latin1'` decodes).
PyBytes rawBytes(const NumpyContext& c, const PyValue& v, const char* what) {
  if (v.is(PyKind::Bytes)) return v.bytesRef();
  if (!v.is(PyKind::Str)) c.fail(std::string(what) + " is a " + v.typeName() + ", expected bytes");
  const auto& s = static_cast<const PyStrObj&>(*v.object());
  if (s.latin1.data) return s.latin1;
  const std::string_view utf8 = s.utf8View.data ? s.utf8View.view() : std::string_view(s.get());
  c.charge(utf8.size());
  std::shared_ptr<char[]> buf(new char[utf8.size() ? utf8.size() : 1]);
  const std::size_t n = utf8ToLatin1(utf8, buf.get());
  if (n == static_cast<std::size_t>(-1)) c.fail(std::string(what) + ": text has characters above U+00FF, not latin-1 bytes");
  return PyBytes{std::shared_ptr<const void>(buf, buf.get()), buf.get(), n, nullptr};
}

PyValue encodeStr(const NumpyContext& c, const PyValue& str, const PyValue* encoding) {
  if (!str.is(PyKind::Str)) c.fail("_codecs.encode of a " + std::string(str.typeName()) + ", expected a str");
  std::string enc = "utf-8";
  if (encoding) {
    if (!encoding->is(PyKind::Str)) c.fail("_codecs.encode: the encoding is not a str");
    enc = encoding->asStr();
  }
  for (auto& ch : enc) ch = static_cast<char>(ch == '_' ? '-' : std::tolower(static_cast<unsigned char>(ch)));
  if (enc == "latin1" || enc == "latin-1" || enc == "iso-8859-1" || enc == "iso8859-1" || enc == "l1")
    return PyValue::bytes(rawBytes(c, str, "_codecs.encode"));
  if (enc == "utf-8" || enc == "utf8") {
    const auto& s = static_cast<const PyStrObj&>(*str.object());
    if (s.utf8View.data) return PyValue::bytes(s.utf8View);
    c.charge(s.get().size());
    return PyValue::bytes(std::string_view(s.get()));
  }
  c.fail("_codecs.encode with encoding '" + enc + "' is not supported");
}

std::vector<std::int64_t> parseShape(const NumpyContext& c, const PyValue& v) {
  if (!v.is(PyKind::Tuple) && !v.is(PyKind::List)) c.fail("numpy array shape is a " + std::string(v.typeName()) + ", expected a tuple");
  if (v.size() > 32) c.fail("numpy array has more than 32 dimensions");
  std::vector<std::int64_t> shape;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const PyValue d = v.at(i);
    if (!d.is(PyKind::Int) || d.asInt() < 0) c.fail("numpy array shape holds " + d.describe() + ", expected a non-negative int");
    shape.push_back(d.asInt());
  }
  return shape;
}

const PyDTypeObj& dtypeOf(const NumpyContext& c, const PyValue& v) {
  if (!v.is(PyKind::DType)) c.fail("expected a numpy.dtype, found " + v.describe());
  return static_cast<const PyDTypeObj&>(*v.object());
}

PyArray makeArray(const NumpyContext& c, std::vector<std::int64_t> shape, const PyDTypeObj& dt, bool fortran, PyBytes data) {
  PyArray a;
  a.dtype = dt.dtype;
  a.bigEndian = dt.bigEndian;
  a.fortran = fortran;
  std::size_t n = static_cast<std::size_t>(pyDTypeSize(dt.dtype));
  for (auto d : shape)
    if (__builtin_mul_overflow(n, static_cast<std::size_t>(d), &n)) c.fail("numpy array shape is absurdly large");
  a.shape = std::move(shape);
  if (n != data.size)
    c.fail("numpy " + a.describe() + " needs " + std::to_string(n) + " bytes of data, found " + std::to_string(data.size));
  a.data = std::move(data);
  return a;
}

PyValue scalarValue(const NumpyContext& c, const PyDTypeObj& dt, const PyBytes& data) {
  const int w = pyDTypeSize(dt.dtype);
  if (data.size != static_cast<std::size_t>(w)) c.fail("numpy scalar of " + std::string(pyDTypeName(dt.dtype)) + " with " + std::to_string(data.size) + " bytes");
  PyArray a;
  a.dtype = dt.dtype;
  a.bigEndian = dt.bigEndian;
  a.data = data;
  switch (dt.dtype) {
    case PyDType::Float16: case PyDType::Float32: case PyDType::Float64: return PyValue::floating(a.at(0));
    case PyDType::Bool: return PyValue::boolean(data.view()[0] != 0);
    case PyDType::Int64: case PyDType::UInt64: {
      unsigned char b[8];
      std::memcpy(b, data.view().data(), 8);
      if (dt.bigEndian) std::reverse(b, b + 8);
      std::uint64_t u;
      std::memcpy(&u, b, 8);
      if (dt.dtype == PyDType::UInt64 && u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        c.fail("numpy uint64 scalar does not fit in 64-bit signed int");
      return PyValue::integer(static_cast<std::int64_t>(u));
    }
    default: return PyValue::integer(static_cast<std::int64_t>(a.at(0)));  // exact for <= 32-bit ints
  }
}
}  // namespace

std::optional<PyGlobalId> allowedGlobal(const std::string& module, const std::string& name) {
  for (const auto& g : kAllowed)
    if (module == g.module && name == g.name) return g.id;
  return std::nullopt;
}

PyValue reduceAllowed(const NumpyContext& c, const PyValue& fn, const PyValue& args) {
  if (!fn.is(PyKind::Global)) c.fail("REDUCE of " + fn.describe() + " is not allowed (only a few numpy and builtin globals are)");
  const std::string name = fn.globalName();
  if (!args.is(PyKind::Tuple)) failReduce(c, name, "with arguments that are a " + std::string(args.typeName()) + ", not a tuple");
  const auto& a = args.items();
  switch (globalId(fn)) {
    case PyGlobalId::Reconstruct: {
      if (a.size() != 3 || !a[0].is(PyKind::Global) || globalId(a[0]) != PyGlobalId::Ndarray)
        failReduce(c, name, "with unexpected arguments (expected numpy.ndarray, shape, typecode)");
      auto o = std::make_shared<PyArrayObj>();
      o->array.shape = {0};  // an empty array until BUILD gives it its state
      return PyValue(PyKind::Array, std::move(o));
    }
    case PyGlobalId::DTypeType: {
      if (a.empty() || !a[0].is(PyKind::Str)) failReduce(c, name, "without a type string");
      const auto t = parseTypeStr(a[0].asStr());
      if (!t) failReduce(c, name, "with dtype '" + a[0].asStr() + "': only bool, integer and float dtypes are supported");
      auto o = std::make_shared<PyDTypeObj>();
      o->dtype = t->dtype;
      o->bigEndian = t->bigEndian;
      return PyValue(PyKind::DType, std::move(o));
    }
    case PyGlobalId::Scalar:
      if (a.size() != 2) failReduce(c, name, "with " + std::to_string(a.size()) + " arguments (expected dtype, data)");
      return scalarValue(c, dtypeOf(c, a[0]), rawBytes(c, a[1], "numpy scalar data"));
    case PyGlobalId::FromBuffer: {
      if (a.size() != 4) failReduce(c, name, "with " + std::to_string(a.size()) + " arguments (expected buffer, dtype, shape, order)");
      if (!a[3].is(PyKind::Str) || (a[3].asStr() != "C" && a[3].asStr() != "F")) failReduce(c, name, "with an order other than 'C' or 'F'");
      if (!a[0].is(PyKind::Bytes)) failReduce(c, name, "with a buffer that is a " + std::string(a[0].typeName()));
      return PyValue::array(makeArray(c, parseShape(c, a[2]), dtypeOf(c, a[1]), a[3].asStr() == "F", a[0].bytesRef()));
    }
    case PyGlobalId::CodecsEncode:
      if (a.empty() || a.size() > 3) failReduce(c, name, "with " + std::to_string(a.size()) + " arguments");
      return encodeStr(c, a[0], a.size() > 1 ? &a[1] : nullptr);
    case PyGlobalId::Bytes: case PyGlobalId::ByteArray:
      if (a.empty()) return PyValue::bytes(std::string_view());
      if (a.size() == 1 && a[0].is(PyKind::Bytes)) return a[0];
      if (a.size() == 2 && a[0].is(PyKind::Str)) return encodeStr(c, a[0], &a[1]);
      failReduce(c, name, "with unexpected arguments");
    case PyGlobalId::Set: case PyGlobalId::FrozenSet: {
      if (a.empty()) return PyValue::set();
      if (a.size() != 1 || !a[0].isSequence()) failReduce(c, name, "with unexpected arguments (expected one list)");
      c.charge(a[0].size() * sizeof(PyValue));
      std::vector<PyValue> items;
      items.reserve(a[0].size());
      for (std::size_t i = 0; i < a[0].size(); ++i) items.push_back(a[0].at(i));
      return PyValue::set(std::move(items));
    }
    case PyGlobalId::Ndarray: failReduce(c, name, "is not allowed (numpy arrays come through _reconstruct or _frombuffer)");
    case PyGlobalId::Extension: break;  // the hooks' globals never get here (Unpickler::reduce)
  }
  failReduce(c, name, "is not allowed");
}

void buildAllowed(const NumpyContext& c, PyValue& target, const PyValue& state) {
  if (target.is(PyKind::Array)) {
    auto& o = static_cast<PyArrayObj&>(*target.object());
    if (o.built) c.fail("BUILD on a numpy array that already has its data");
    if (!state.is(PyKind::Tuple) || (state.size() != 5 && state.size() != 4))
      c.fail("numpy array state is " + state.describe() + ", expected (version, shape, dtype, is_fortran, data)");
    const auto& s = state.items();
    const std::size_t b = s.size() == 5 ? 1 : 0;
    if (b && !s[0].is(PyKind::Int)) c.fail("numpy array state version is " + s[0].describe());
    if (!s[b + 2].is(PyKind::Bool) && !s[b + 2].is(PyKind::Int)) c.fail("numpy array is_fortran flag is " + s[b + 2].describe());
    if (s[b + 3].is(PyKind::List)) c.fail("numpy arrays of Python objects (dtype object) are not supported");
    o.array = makeArray(c, parseShape(c, s[b]), dtypeOf(c, s[b + 1]), s[b + 2].asBool(), rawBytes(c, s[b + 3], "numpy array data"));
    o.built = true;
  } else if (target.is(PyKind::DType)) {
    if (!state.is(PyKind::Tuple) || state.size() < 2 || !state.at(1).is(PyKind::Str))
      c.fail("numpy dtype state is " + state.describe() + ", expected (version, byte order, ...)");
    const auto& s = state.items();
    for (std::size_t i = 2; i < std::min<std::size_t>(s.size(), 5); ++i)
      if (!s[i].isNone()) c.fail("structured numpy dtypes (with fields or subarrays) are not supported");
    const std::string& order = s[1].asStr();
    auto& o = static_cast<PyDTypeObj&>(*target.object());
    if (order == ">") o.bigEndian = true;
    else if (order == "<" || order == "|" || order == "=") o.bigEndian = false;
    else c.fail("numpy dtype byte order '" + order + "' is not understood");
  } else {
    c.fail("BUILD on " + target.describe() + " is not allowed");
  }
}

// --- dtypes and arrays (declared in pickle.h) ---

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
  return elementAt(data.view().data() + storageIndex(*this, i) * w, dtype, bigEndian && w > 1);
}

void PyArray::toFloat(float* out, std::size_t first, std::size_t count) const {
  if (first + count > size() || first + count < first) throw std::out_of_range("numpy array range out of range");
  if (count == 0) return;  // an empty array may have no data pointer at all
  if (fortran && shape.size() >= 2) {
    for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<float>(at(first + i));
    return;
  }
  const int w = pyDTypeSize(dtype);
  const bool swap = bigEndian && w > 1;
  if (dtype == PyDType::Float32 && !swap && !data.data && data.file) {  // straight from the file
    data.file->readInto(reinterpret_cast<char*>(out), first * sizeof(float), count * sizeof(float));
    return;
  }
  const char* p = data.view().data() + first * w;
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

}  // namespace mlsan::data
