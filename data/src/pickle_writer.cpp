// SPDX-License-Identifier: GPL-3.0-or-later
// Writes PyValue trees as pickles, opcode for opcode as Python 3's pickler would for the same
// data, except that only globals and dtypes are memoized (Python memoizes every container).
#include "mlsan/data/pickle_writer.h"

#include <cstring>
#include <map>
#include <unordered_map>
#include <sstream>
#include <stdexcept>

#include "mlsan/data/atomic_file.h"
#include "pickle_internal.h"

namespace mlsan::data {

class PickleWriter {
 public:
  PickleWriter(std::ostream& out, const PickleWriteOptions& o) : out_(out), proto_(o.protocol), frames_(o.frames && o.protocol >= 4) {
    if (proto_ < 2 || proto_ > 5) throw std::invalid_argument("pickle protocol " + std::to_string(proto_) + " is not supported (2 to 5)");
  }

  void dump(const PyValue& v) {
    const char proto[2] = {static_cast<char>(0x80), static_cast<char>(proto_)};
    out_.write(proto, 2);
    save(v);
    buf_.push_back('.');
    commit();
    if (!out_) throw std::runtime_error("pickle writer: stream failure");
  }

 private:
  static constexpr std::size_t kFrameTarget = 64 * 1024;
  static constexpr std::size_t kBatch = 1000;  // items per APPENDS / SETITEMS, as Python
  std::ostream& out_;
  int proto_;
  bool frames_;
  std::string buf_;  ///< the current frame (or output buffer when not framing)
  std::map<std::string, std::uint32_t> memo_;                  ///< globals and dtypes
  std::unordered_map<const PyObject*, std::uint32_t> shared_;  ///< objects referenced more than once
  std::uint32_t nextMemo_ = 0;

  void commit() {
    if (buf_.empty()) return;
    if (frames_) {
      char h[9];
      h[0] = static_cast<char>(0x95);
      const std::uint64_t n = buf_.size();
      std::memcpy(h + 1, &n, 8);
      out_.write(h, 9);
    }
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
  }
  void maybeCommit() {
    if (buf_.size() >= (frames_ ? kFrameTarget : 1u << 20)) commit();
  }
  void op(unsigned char c) { buf_.push_back(static_cast<char>(c)); }
  template <class T>
  void le(T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    buf_.append(b, sizeof(T));
  }
  /// Opcode + length header, then a payload: big payloads bypass the frame (as Python does).
  void large(const std::string& header, const char* data, std::size_t n) {
    if (frames_ && n >= kFrameTarget) {
      commit();
      out_.write(header.data(), static_cast<std::streamsize>(header.size()));
      out_.write(data, static_cast<std::streamsize>(n));
    } else {
      buf_ += header;
      buf_.append(data, n);
    }
  }
  static std::string header(unsigned char opcode, std::uint64_t n, int width) {
    std::string h(1, static_cast<char>(opcode));
    char b[8];
    std::memcpy(b, &n, 8);
    h.append(b, static_cast<std::size_t>(width));
    return h;
  }

  // --- memo ---
  std::uint32_t memoize() {  // emits the op that stores the stack top; returns its index
    if (proto_ >= 4) {
      op(0x94);  // MEMOIZE
    } else if (nextMemo_ < 256) {
      op('q');
      le<std::uint8_t>(static_cast<std::uint8_t>(nextMemo_));
    } else {
      op('r');
      le<std::uint32_t>(nextMemo_);
    }
    return nextMemo_++;
  }
  void fetch(std::uint32_t index) {
    if (index < 256) {
      op('h');
      le<std::uint8_t>(static_cast<std::uint8_t>(index));
    } else {
      op('j');
      le<std::uint32_t>(index);
    }
  }
  void put(const std::string& key) { memo_[key] = memoize(); }
  bool get(const std::string& key) {
    const auto it = memo_.find(key);
    if (it == memo_.end()) return false;
    fetch(it->second);
    return true;
  }

  // --- scalars ---
  void saveInt(std::int64_t i) {
    if (i >= 0 && i < 256) { op('K'); le<std::uint8_t>(static_cast<std::uint8_t>(i)); }
    else if (i >= 0 && i < 65536) { op('M'); le<std::uint16_t>(static_cast<std::uint16_t>(i)); }
    else if (i >= INT32_MIN && i <= INT32_MAX) { op('J'); le<std::int32_t>(static_cast<std::int32_t>(i)); }
    else {  // LONG1: minimal little-endian two's complement
      unsigned char b[8];
      std::memcpy(b, &i, 8);
      int n = 8;
      while (n > 1 && ((b[n - 1] == 0x00 && !(b[n - 2] & 0x80)) || (b[n - 1] == 0xFF && (b[n - 2] & 0x80)))) --n;
      op(0x8a);
      le<std::uint8_t>(static_cast<std::uint8_t>(n));
      buf_.append(reinterpret_cast<const char*>(b), static_cast<std::size_t>(n));
    }
  }
  void saveFloat(double d) {
    std::uint64_t bits;
    std::memcpy(&bits, &d, 8);
    bits = __builtin_bswap64(bits);
    char b[9];
    b[0] = 'G';
    std::memcpy(b + 1, &bits, 8);
    buf_.append(b, 9);
  }
  void saveStr(std::string_view s) {
    if (proto_ >= 4 && s.size() < 256) {
      op(0x8c);
      le<std::uint8_t>(static_cast<std::uint8_t>(s.size()));
      buf_.append(s.data(), s.size());
    } else if (s.size() <= UINT32_MAX) {
      large(header('X', s.size(), 4), s.data(), s.size());
    } else if (proto_ >= 4) {
      large(header(0x8d, s.size(), 8), s.data(), s.size());
    } else {
      throw std::invalid_argument("a string over 4 GiB needs pickle protocol 4");
    }
  }
  /// Protocol 2: bytes as _codecs.encode(bytes decoded as latin-1, 'latin1'), as Python 3 does.
  void saveLatin1Str(std::string_view bytes) {
    std::size_t n = bytes.size();
    for (unsigned char c : bytes) n += c >= 0x80;
    if (n > UINT32_MAX) throw std::invalid_argument("bytes over 2 GiB cannot be written at pickle protocol 2");
    const std::string h = header('X', n, 4);
    if (n < (1u << 20)) {
      large(h, latin1ToUtf8(bytes).data(), n);
      return;
    }
    commit();
    out_.write(h.data(), static_cast<std::streamsize>(h.size()));
    for (std::size_t pos = 0; pos < bytes.size(); pos += (1u << 20)) {
      const std::string chunk = latin1ToUtf8(bytes.substr(pos, 1u << 20));
      out_.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    }
  }
  void saveBytes(std::string_view b) {
    if (proto_ < 3) {
      if (b.empty()) {
        saveGlobal("__builtin__", "bytes");
        op(')');
        op('R');
        return;
      }
      saveGlobal("_codecs", "encode");
      saveLatin1Str(b);
      saveStr("latin1");
      op(0x86);
      op('R');
      return;
    }
    if (b.size() < 256) {
      op('C');
      le<std::uint8_t>(static_cast<std::uint8_t>(b.size()));
      buf_.append(b.data(), b.size());
    } else if (b.size() <= UINT32_MAX) {
      large(header('B', b.size(), 4), b.data(), b.size());
    } else if (proto_ >= 4) {
      large(header(0x8e, b.size(), 8), b.data(), b.size());
    } else {
      throw std::invalid_argument("bytes over 4 GiB need pickle protocol 4");
    }
  }
  void saveGlobal(std::string module, const std::string& name) {
    if (proto_ < 3 && module == "builtins") module = "__builtin__";
    const std::string key = "g:" + module + "\n" + name;
    if (get(key)) return;
    if (proto_ >= 4) {
      saveStr(module);
      saveStr(name);
      op(0x93);
    } else {
      op('c');
      buf_ += module + "\n" + name + "\n";
    }
    put(key);
  }

  // --- numpy ---
  void saveDType(PyDType t, bool bigEndian) {
    const int w = pyDTypeSize(t);
    const std::string order = w == 1 ? "|" : bigEndian ? ">" : "<";
    const std::string key = std::string("d:") + pyDTypeName(t) + order;
    if (get(key)) return;
    saveGlobal("numpy", "dtype");
    saveStr(pyDTypeName(t));
    op(0x89);
    op(0x88);
    op(0x87);
    op('R');
    put(key);
    op('(');
    saveInt(3);
    saveStr(order);
    op('N'); op('N'); op('N');
    saveInt(-1);
    saveInt(-1);
    saveInt(0);
    op('t');
    op('b');
  }
  void saveShape(const std::vector<std::int64_t>& shape) {
    if (shape.empty()) { op(')'); return; }
    if (shape.size() > 3) op('(');
    for (auto d : shape) saveInt(d);
    op(shape.size() > 3 ? 't' : static_cast<unsigned char>(0x84 + shape.size()));
  }
  void saveArray(const PyArray& a) {
    if (proto_ >= 5) {  // numpy's protocol-5 form: _frombuffer(bytearray, dtype, shape, order)
      saveGlobal("numpy.core.numeric", "_frombuffer");
      op('(');
      large(header(0x96, a.data.size, 8), a.data.view().data(), a.data.size);
      saveDType(a.dtype, a.bigEndian);
      saveShape(a.shape);
      saveStr(a.fortran ? "F" : "C");
      op('t');
      op('R');
      return;
    }
    saveGlobal("numpy.core.multiarray", "_reconstruct");
    saveGlobal("numpy", "ndarray");
    saveInt(0);
    op(0x85);
    saveBytes("b");
    op(0x87);
    op('R');
    op('(');
    saveInt(1);
    saveShape(a.shape);
    saveDType(a.dtype, a.bigEndian);
    op(a.fortran ? 0x88 : 0x89);
    saveBytes(a.data.view());
    op('t');
    op('b');
  }

  // --- containers ---
  void saveItems(const std::vector<PyValue>& items, unsigned char one, unsigned char many) {
    for (std::size_t pos = 0; pos < items.size(); pos += kBatch) {
      const std::size_t n = std::min(kBatch, items.size() - pos);
      if (n > 1) op('(');
      for (std::size_t i = pos; i < pos + n; ++i) save(items[i]);
      op(n > 1 ? many : one);
    }
  }
  void saveList(const PyValue& v) {
    op(']');
    if (const auto* f = v.floatItems()) {
      for (std::size_t pos = 0; pos < f->size(); pos += kBatch) {
        const std::size_t n = std::min(kBatch, f->size() - pos);
        if (n > 1) op('(');
        for (std::size_t i = pos; i < pos + n; ++i) saveFloat((*f)[i]);
        op(n > 1 ? 'e' : 'a');
        maybeCommit();
      }
      return;
    }
    saveItems(v.items(), 'a', 'e');
  }
  void saveTuple(const std::vector<PyValue>& items) {
    if (items.empty()) { op(')'); return; }
    if (items.size() > 3) op('(');
    for (const auto& it : items) save(it);
    op(items.size() > 3 ? 't' : static_cast<unsigned char>(0x84 + items.size()));
  }
  void saveDict(const PyValue& v) {
    op('}');
    const auto& items = v.dictItems();
    for (std::size_t pos = 0; pos < items.size(); pos += kBatch) {
      const std::size_t n = std::min(kBatch, items.size() - pos);
      if (n > 1) op('(');
      for (std::size_t i = pos; i < pos + n; ++i) {
        save(items[i].first);
        save(items[i].second);
      }
      op(n > 1 ? 'u' : 's');
    }
  }
  void saveSet(const PyValue& v) {
    if (proto_ >= 4) {
      op(0x8f);
      const auto& items = v.items();
      for (std::size_t pos = 0; pos < items.size(); pos += kBatch) {
        op('(');
        for (std::size_t i = pos; i < std::min(items.size(), pos + kBatch); ++i) save(items[i]);
        op(0x90);
      }
      return;
    }
    saveGlobal("builtins", "set");
    op(']');
    saveItems(v.items(), 'a', 'e');
    op(0x85);
    op('R');
  }

  void save(const PyValue& v) {
    maybeCommit();
    // An object the tree references more than once (a DAG: memo GETs in the pickle it came
    // from) is written once and fetched from the memo after that, as Python's pickler does;
    // writing it out each time could grow exponentially.
    const PyObject* o = v.object().get();
    const bool shared = o && v.object().use_count() > 1;
    if (shared) {
      if (const auto it = shared_.find(o); it != shared_.end()) {
        fetch(it->second);
        return;
      }
    }
    saveValue(v);
    if (shared) shared_[o] = memoize();
  }

  void saveValue(const PyValue& v) {
    switch (v.kind()) {
      case PyKind::None: op('N'); break;
      case PyKind::Bool: op(v.b_ ? 0x88 : 0x89); break;
      case PyKind::Int: saveInt(v.i_); break;
      case PyKind::Float: saveFloat(v.f_); break;
      case PyKind::Str: saveStr(v.asStr()); break;
      case PyKind::Bytes: saveBytes(v.asBytes()); break;
      case PyKind::List: saveList(v); break;
      case PyKind::Tuple: saveTuple(v.items()); break;
      case PyKind::Dict: saveDict(v); break;
      case PyKind::Set: saveSet(v); break;
      case PyKind::Array: saveArray(v.asArray()); break;
      case PyKind::DType: {
        const auto& d = static_cast<const PyDTypeObj&>(*v.object());
        saveDType(d.dtype, d.bigEndian);
        break;
      }
      case PyKind::Global: {
        const auto& g = static_cast<const PyGlobalObj&>(*v.object());
        saveGlobal(g.module, g.name);
        break;
      }
    }
  }
};

void writePickle(std::ostream& out, const PyValue& value, const PickleWriteOptions& options) {
  PickleWriter(out, options).dump(value);
}

std::string pickleBytes(const PyValue& value, const PickleWriteOptions& options) {
  std::ostringstream out;
  writePickle(out, value, options);
  return std::move(out).str();
}

void writePickleFile(const std::string& path, const PyValue& value, const PickleWriteOptions& options) {
  atomicWriteStream(path, [&](std::ostream& out) { writePickle(out, value, options); });
}

}  // namespace mlsan::data
