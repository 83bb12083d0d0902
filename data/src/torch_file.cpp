// SPDX-License-Identifier: GPL-3.0-or-later
// torch.save files (see torch_file.h): a minimal zip reader (stored entries, as torch.save writes
// them; zip64 records understood; CRC-32 checked), the legacy layout, and the pickle hooks that
// turn torch's storages and tensors into PyArrays.
#include "mlsan/data/torch_file.h"

#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>

#include "mlsan/data/atomic_file.h"
#include "pickle_numpy.h"

namespace mlsan::data {

namespace {

[[noreturn]] void failFile(const std::string& path, const std::string& why) { throw std::runtime_error(path + ": " + why); }

std::uint32_t crc32(const char* data, std::size_t n) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < n; ++i) c = table[(c ^ static_cast<unsigned char>(data[i])) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

/// Little-endian reads with bounds checks over the whole file.
struct Bytes {
  const std::string& s;
  const std::string& path;
  template <class T>
  T at(std::uint64_t off) const {
    if (off > s.size() || s.size() - off < sizeof(T)) failFile(path, "truncated: a zip record at byte " + std::to_string(off) + " goes past the end of the file");
    T v;
    std::memcpy(&v, s.data() + off, sizeof(T));
    return v;
  }
};

struct Entry {
  std::uint64_t offset = 0, size = 0;
};

/// The entries of a zip archive (stored, i.e. uncompressed, as torch.save writes them).
std::map<std::string, Entry> zipEntries(const std::string& s, const std::string& path) {
  const Bytes b{s, path};
  if (s.size() < 22) failFile(path, "truncated: too short for a zip archive");
  std::uint64_t eocd = std::string::npos;
  const std::uint64_t lowest = s.size() > 22 + 65535 ? s.size() - 22 - 65535 : 0;
  for (std::uint64_t i = s.size() - 22 + 1; i-- > lowest;)
    if (b.at<std::uint32_t>(i) == 0x06054b50u) { eocd = i; break; }
  if (eocd == std::string::npos) failFile(path, "truncated or damaged: the zip archive has no end-of-directory record");
  std::uint64_t count = b.at<std::uint16_t>(eocd + 10), cdSize = b.at<std::uint32_t>(eocd + 12), cdOffset = b.at<std::uint32_t>(eocd + 16);
  if ((count == 0xFFFF || cdSize == 0xFFFFFFFFu || cdOffset == 0xFFFFFFFFu) && eocd >= 20 && b.at<std::uint32_t>(eocd - 20) == 0x07064b50u) {
    const std::uint64_t z = b.at<std::uint64_t>(eocd - 12);
    if (b.at<std::uint32_t>(z) != 0x06064b50u) failFile(path, "damaged: bad zip64 end-of-directory record");
    count = b.at<std::uint64_t>(z + 32);
    cdSize = b.at<std::uint64_t>(z + 40);
    cdOffset = b.at<std::uint64_t>(z + 48);
  }
  if (cdOffset > s.size() || cdSize > s.size() - cdOffset) failFile(path, "truncated: the zip directory goes past the end of the file");
  std::map<std::string, Entry> out;
  std::uint64_t p = cdOffset;
  for (std::uint64_t i = 0; i < count; ++i) {
    if (b.at<std::uint32_t>(p) != 0x02014b50u) failFile(path, "damaged: bad zip directory entry " + std::to_string(i));
    const unsigned method = b.at<std::uint16_t>(p + 10);
    const std::uint32_t crc = b.at<std::uint32_t>(p + 16);
    std::uint64_t csize = b.at<std::uint32_t>(p + 20), usize = b.at<std::uint32_t>(p + 24);
    const unsigned nameLen = b.at<std::uint16_t>(p + 28), extraLen = b.at<std::uint16_t>(p + 30), commentLen = b.at<std::uint16_t>(p + 32);
    std::uint64_t local = b.at<std::uint32_t>(p + 42);
    if (p + 46 + nameLen > s.size()) failFile(path, "truncated: a zip entry name goes past the end of the file");
    const std::string name = s.substr(p + 46, nameLen);
    for (std::uint64_t x = p + 46 + nameLen; x + 4 <= p + 46 + nameLen + extraLen;) {  // zip64 sizes
      const unsigned id = b.at<std::uint16_t>(x), len = b.at<std::uint16_t>(x + 2);
      if (id == 0x0001) {
        std::uint64_t q = x + 4;
        if (usize == 0xFFFFFFFFu) { usize = b.at<std::uint64_t>(q); q += 8; }
        if (csize == 0xFFFFFFFFu) { csize = b.at<std::uint64_t>(q); q += 8; }
        if (local == 0xFFFFFFFFu) local = b.at<std::uint64_t>(q);
      }
      x += 4 + len;
    }
    if (method != 0)
      failFile(path, "zip entry '" + name + "' is compressed (method " + std::to_string(method) +
                         "); torch.save stores its entries uncompressed: was the file re-zipped?");
    if (csize != usize) failFile(path, "damaged: zip entry '" + name + "' has different stored and real sizes");
    if (b.at<std::uint32_t>(local) != 0x04034b50u) failFile(path, "damaged: bad local header of zip entry '" + name + "'");
    const std::uint64_t data = local + 30 + b.at<std::uint16_t>(local + 26) + b.at<std::uint16_t>(local + 28);
    if (data > s.size() || usize > s.size() - data) failFile(path, "truncated: zip entry '" + name + "' goes past the end of the file");
    if (crc32(s.data() + data, usize) != crc) failFile(path, "damaged: zip entry '" + name + "' fails its CRC-32 check");
    out[name] = Entry{data, usize};
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

struct StorageType {
  const char* name;
  PyDType dtype;
};
const StorageType kStorages[] = {
    {"FloatStorage", PyDType::Float32}, {"DoubleStorage", PyDType::Float64}, {"HalfStorage", PyDType::Float16},
    {"LongStorage", PyDType::Int64},    {"IntStorage", PyDType::Int32},      {"ShortStorage", PyDType::Int16},
    {"CharStorage", PyDType::Int8},     {"ByteStorage", PyDType::UInt8},     {"BoolStorage", PyDType::Bool},
};

/// The globals of a state_dict and the storages behind its tensors. `storage` maps a persistent
/// id's key to the storage's bytes; in a dry run (the legacy format's first pass, before the
/// storages' place in the file is known) storages are empty and tensors are not built.
class TorchHooks : public PickleHooks {
 public:
  std::function<PyBytes(const NumpyContext&, const std::string& key, PyDType dtype, std::uint64_t numel)> storage;
  bool bigEndian = false;
  bool dryRun = false;
  std::map<std::string, std::pair<PyDType, std::uint64_t>> seen;  ///< key -> dtype, elements

  bool knows(const std::string& module, const std::string& name) const override {
    if (module == "collections" && name == "OrderedDict") return true;
    if (module == "torch._utils")
      return name == "_rebuild_tensor_v2" || name == "_rebuild_parameter" || name == "_rebuild_parameter_with_state";
    return module == "torch" && storageType(name);
  }
  std::string refusalHint() const override {
    return " (a state_dict holds only tensors by name: save model.state_dict(), not the model or other objects)";
  }
  PyValue reduce(const NumpyContext& c, const std::string& global, const PyValue& args) override {
    if (!args.is(PyKind::Tuple)) c.fail("REDUCE of '" + global + "' with arguments that are not a tuple");
    const auto& a = args.items();
    if (global == "collections.OrderedDict") {
      PyValue d = PyValue::dict();
      if (a.size() == 1 && a[0].isSequence())
        for (const auto& kv : a[0].items()) {
          if (!kv.isSequence() || kv.size() != 2) c.fail("OrderedDict item is " + kv.describe() + ", not a (key, value) pair");
          d.setItem(kv.at(0), kv.at(1));
        }
      else if (!a.empty())
        c.fail("OrderedDict with unexpected arguments");
      return d;
    }
    if (global == "torch._utils._rebuild_parameter" || global == "torch._utils._rebuild_parameter_with_state") {
      if (a.empty() || !a[0].is(PyKind::Array)) c.fail("a Parameter whose data is not a tensor");
      return a[0];
    }
    if (global == "torch._utils._rebuild_tensor_v2") {
      if (a.size() < 4 || !a[0].is(PyKind::Array) || !a[1].is(PyKind::Int) || !a[2].is(PyKind::Tuple) || !a[3].is(PyKind::Tuple))
        c.fail("_rebuild_tensor_v2 with unexpected arguments (expected storage, offset, size, stride, ...)");
      if (dryRun) return a[0];
      return PyValue::array(tensor(c, a[0].asArray(), a[1].asInt(), ints(c, a[2]), ints(c, a[3])));
    }
    c.fail("REDUCE of '" + global + "' is not allowed");
  }
  bool build(const NumpyContext&, PyValue& target, const PyValue& state) override {
    // OrderedDict's attributes (state_dict's _metadata: module versions): not needed
    return target.is(PyKind::Dict) && (state.is(PyKind::Dict) || state.isNone());
  }
  PyValue persistentLoad(const NumpyContext& c, const PyValue& pid) override {
    // zip: ('storage', torch.FloatStorage, key, location, numel); legacy adds view_metadata
    if (!pid.is(PyKind::Tuple) || pid.size() < 5 || !pid.at(0).is(PyKind::Str) || pid.at(0).asStr() != "storage")
      c.fail("persistent id " + pid.describe() + " is not a torch storage");
    const PyValue type = pid.at(1), key = pid.at(2), numel = pid.at(4);
    const StorageType* st = type.is(PyKind::Global) ? storageType(globalBase(type.globalName())) : nullptr;
    if (!st) c.fail("storage of type " + type.describe() + " is not supported (float, integer and bool tensors are)");
    if (!key.is(PyKind::Str) || !numel.is(PyKind::Int) || numel.asInt() < 0) c.fail("damaged storage id " + pid.describe());
    if (pid.size() > 5 && !pid.at(5).isNone()) c.fail("storage views (files of PyTorch before 0.4) are not supported");
    const auto n = static_cast<std::uint64_t>(numel.asInt());
    seen[key.asStr()] = {st->dtype, n};
    PyArray a;
    a.dtype = st->dtype;
    a.bigEndian = bigEndian;
    a.shape = {dryRun ? 0 : static_cast<std::int64_t>(n)};
    if (!dryRun) a.data = storage(c, key.asStr(), st->dtype, n);
    return PyValue::array(std::move(a));
  }

 private:
  static std::string globalBase(const std::string& g) { return g.rfind("torch.", 0) == 0 ? g.substr(6) : g; }
  static const StorageType* storageType(const std::string& name) {
    for (const auto& s : kStorages)
      if (name == s.name) return &s;
    return nullptr;
  }
  static std::vector<std::int64_t> ints(const NumpyContext& c, const PyValue& t) {
    std::vector<std::int64_t> v;
    for (const auto& x : t.items()) {
      if (!x.is(PyKind::Int) || x.asInt() < 0) c.fail("tensor size or stride " + x.describe() + " is not a non-negative int");
      v.push_back(x.asInt());
    }
    return v;
  }
  /// The tensor (storage, offset, size, stride) as a C-ordered array: a view of the storage
  /// when contiguous, else gathered (charged to the copy budget).
  static PyArray tensor(const NumpyContext& c, const PyArray& storage, std::int64_t offset, const std::vector<std::int64_t>& size,
                        const std::vector<std::int64_t>& stride) {
    if (size.size() != stride.size()) c.fail("tensor with " + std::to_string(size.size()) + " sizes but " + std::to_string(stride.size()) + " strides");
    const auto item = static_cast<std::uint64_t>(pyDTypeSize(storage.dtype));
    const auto numelStorage = static_cast<std::uint64_t>(storage.shape[0]);
    std::uint64_t n = 1, last = static_cast<std::uint64_t>(offset), expected = 1;
    bool contiguous = true;
    for (std::size_t i = size.size(); i-- > 0;) {
      const auto sz = static_cast<std::uint64_t>(size[i]), st = static_cast<std::uint64_t>(stride[i]);
      if (__builtin_mul_overflow(n, sz, &n)) c.fail("tensor size is absurdly large");
      if (sz > 1 && st != expected) contiguous = false;
      if (sz > 0 && __builtin_add_overflow(last, (sz - 1) * st, &last)) c.fail("tensor stride is absurdly large");
      expected *= std::max<std::uint64_t>(sz, 1);
    }
    if (n > 0 && last >= numelStorage)
      c.fail("tensor reaches element " + std::to_string(last) + " of a storage of " + std::to_string(numelStorage));
    PyArray a;
    a.dtype = storage.dtype;
    a.bigEndian = storage.bigEndian;
    a.shape = size;
    if (n == 0) return a;
    const std::string_view bytes = storage.data.view();
    if (bytes.size() < numelStorage * item) c.fail("storage holds fewer bytes than its elements need");
    if (contiguous) {
      a.data = storage.data;
      a.data.data = bytes.data() + offset * item;
      a.data.size = n * item;
      a.data.file.reset();
      return a;
    }
    c.charge(n * item);
    std::string out(n * item, '\0');
    std::vector<std::uint64_t> idx(size.size(), 0);
    for (std::uint64_t k = 0; k < n; ++k) {
      std::uint64_t src = static_cast<std::uint64_t>(offset);
      for (std::size_t d = 0; d < size.size(); ++d) src += idx[d] * static_cast<std::uint64_t>(stride[d]);
      std::memcpy(out.data() + k * item, bytes.data() + src * item, item);
      for (std::size_t d = size.size(); d-- > 0;)
        if (++idx[d] < static_cast<std::uint64_t>(size[d])) break;
        else idx[d] = 0;
    }
    a.data = PyBytes::copyOf(out);
    return a;
  }
};

void collect(const PyValue& v, const std::string& prefix, TorchStateDict& out, int depth) {
  for (const auto& [k, value] : v.dictItems()) {
    const std::string name = prefix + (k.is(PyKind::Str) ? k.asStr() : k.describe());
    if (value.is(PyKind::Array)) out.tensors.emplace_back(name, value.asArray());
    else if (value.is(PyKind::Dict) && depth < 8) collect(value, name + ".", out, depth + 1);
  }
}

constexpr unsigned char kLegacyMagic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e};

}  // namespace

const PyArray* TorchStateDict::find(const std::string& name) const {
  for (const auto& [n, a] : tensors)
    if (n == name) return &a;
  return nullptr;
}

TorchStateDict readTorchStateDict(const std::string& path) {
  auto bytes = std::make_shared<std::string>(readFile(path));
  const std::string& s = *bytes;
  TorchStateDict out;
  TorchHooks hooks;
  PyValue root;
  if (s.size() >= 4 && s.compare(0, 4, "PK\x03\x04") == 0) {
    out.format = "zip";
    const auto entries = zipEntries(s, path);
    std::string prefix;
    for (const auto& [name, e] : entries)
      if (name.size() >= 8 && name.compare(name.size() - 8, 8, "data.pkl") == 0 && (name.size() == 8 || name[name.size() - 9] == '/'))
        prefix = name.substr(0, name.size() - 8);
    const auto pkl = entries.find(prefix + "data.pkl");
    if (pkl == entries.end()) failFile(path, "a zip archive without data.pkl: not a torch.save file");
    if (const auto order = entries.find(prefix + "byteorder"); order != entries.end())
      hooks.bigEndian = s.compare(order->second.offset, order->second.size, "big") == 0;
    hooks.storage = [&](const NumpyContext& c, const std::string& key, PyDType dtype, std::uint64_t numel) {
      const auto e = entries.find(prefix + "data/" + key);
      if (e == entries.end()) c.fail("storage '" + key + "' is missing from the archive");
      if (e->second.size / static_cast<std::uint64_t>(pyDTypeSize(dtype)) < numel)
        c.fail("storage '" + key + "' holds " + std::to_string(e->second.size) + " bytes, too few for " + std::to_string(numel) + " elements");
      PyBytes b;
      b.owner = bytes;
      b.data = s.data() + e->second.offset;
      b.size = e->second.size;
      return b;
    };
    root = unpickle(bytes, s.data() + pkl->second.offset, pkl->second.size, path + ": " + prefix + "data.pkl", PickleLimits{}, &hooks);
  } else if (s.size() >= sizeof kLegacyMagic && std::memcmp(s.data(), kLegacyMagic, sizeof kLegacyMagic) == 0) {
    // Legacy: magic, protocol version, sys_info, the object, the storage keys, then per storage
    // its element count (int64) and its bytes. The object is parsed twice: once to find where it
    // ends (and which storages it needs), once with the storages in place.
    out.format = "legacy";
    std::size_t at = sizeof kLegacyMagic, used = 0;
    auto next = [&](PickleHooks* h, const char* what) {
      PyValue v = unpickle(bytes, s.data() + at, s.size() - at, path + ": " + what, PickleLimits{}, h, &used);
      at += used;
      return v;
    };
    const PyValue protocol = next(nullptr, "protocol version");
    if (!protocol.is(PyKind::Int) || protocol.asInt() != 1001) failFile(path, "legacy torch file with an unknown protocol version " + protocol.describe());
    const PyValue info = next(nullptr, "sys_info");
    if (const PyValue* le = info.is(PyKind::Dict) ? info.get("little_endian") : nullptr) hooks.bigEndian = le->is(PyKind::Bool) && !le->asBool();
    const std::size_t objectAt = at;
    hooks.dryRun = true;
    next(&hooks, "object");
    const PyValue keys = next(nullptr, "storage keys");
    if (!keys.isSequence()) failFile(path, "legacy torch file: the storage keys are " + keys.describe());
    std::map<std::string, PyBytes> storages;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const PyValue k = keys.at(i);
      const auto seen = k.is(PyKind::Str) ? hooks.seen.find(k.asStr()) : hooks.seen.end();
      if (seen == hooks.seen.end()) failFile(path, "legacy torch file: storage key " + k.describe() + " is not used by the object");
      if (s.size() - at < 8) failFile(path, "truncated: storage '" + k.asStr() + "' is missing");
      std::uint64_t numel;
      std::memcpy(&numel, s.data() + at, 8);
      const auto item = static_cast<std::uint64_t>(pyDTypeSize(seen->second.first));
      at += 8;
      if (numel != seen->second.second || numel > (s.size() - at) / item)
        failFile(path, "truncated or damaged: storage '" + k.asStr() + "' should hold " + std::to_string(seen->second.second) + " elements");
      PyBytes b;
      b.owner = bytes;
      b.data = s.data() + at;
      b.size = numel * item;
      at += b.size;
      storages[k.asStr()] = b;
    }
    hooks.dryRun = false;
    hooks.storage = [&](const NumpyContext& c, const std::string& key, PyDType, std::uint64_t) {
      const auto it = storages.find(key);
      if (it == storages.end()) c.fail("storage '" + key + "' is not in the file");
      return it->second;
    };
    at = objectAt;
    root = next(&hooks, "object");
  } else {
    failFile(path, "not a torch.save file (neither a zip archive nor a legacy torch pickle)");
  }
  if (!root.is(PyKind::Dict)) failFile(path, "holds a " + std::string(root.typeName()) + ", not a state_dict (a dict of tensors)");
  collect(root, "", out, 0);
  if (out.tensors.empty()) failFile(path, "holds no tensors");
  return out;
}

}  // namespace mlsan::data
