// SPDX-License-Identifier: GPL-3.0-or-later
// The opcode machine of the safe pickle reader (see pickle.h). It mirrors CPython's _pickle.c
// stack discipline (an object stack plus a mark stack) but builds PyValue trees, resolves only
// the allowed globals and "calls" them by interpreting their arguments as data.
#include <algorithm>
#include <charconv>
#include <cstring>
#include <unordered_map>

#include "pickle_internal.h"
#include "pickle_numpy.h"

namespace mlsan::data {

namespace {
const char* opName(unsigned char op) { return pickleOpName(op); }

}  // namespace

class Unpickler {
 public:
  /// Bytes in memory.
  Unpickler(std::shared_ptr<const void> owner, const char* data, std::size_t size, const std::string& name,
            const PickleLimits& limits, PickleHooks* hooks = nullptr)
      : owner_(std::move(owner)),
        base_(reinterpret_cast<const unsigned char*>(data)),
        p_(base_),
        end_(base_ + size),
        total_(size),
        name_(name),
        limits_(limits),
        copyBudget_(4 * size + (64u << 20)),
        hooks_(hooks) {}
  /// A file, read in chunks; big bytes payloads are left in it (PyFileSlice).
  Unpickler(std::shared_ptr<const PyFileHandle> file, const PickleLimits& limits)
      : base_(nullptr), p_(nullptr), end_(nullptr), total_(file->size), name_(file->path), limits_(limits),
        copyBudget_(4 * file->size + (64u << 20)), file_(std::move(file)) {}

  /// Bytes read so far: after run(), where the data after the STOP opcode begins.
  std::size_t position() const { return pos(); }

  PyValue run() {
    try {
      PyValue result = loop();
      if (!shared_.empty()) {
        checkPickleStructure(result, limits_.maxDepth, [this](const std::string& why) { fail(why); });
        releaseUnreachable(shared_);
      }
      return result;
    } catch (const PickleError&) {
      breakSharedLinks(shared_);
      throw;
    } catch (const std::exception& e) {  // e.g. a lazy str that is not UTF-8, out of memory
      breakSharedLinks(shared_);
      throw PickleError(name_, opStart_, e.what());
    }
  }

 private:
  std::shared_ptr<const void> owner_;  ///< keeps the bytes of [base_, end_) alive
  const unsigned char* base_;          ///< the data in memory: all of it, or the current chunk of the file
  const unsigned char* p_;
  const unsigned char* end_;
  std::size_t baseOffset_ = 0;         ///< offset in the data of base_[0]
  std::size_t total_;                  ///< size of the data (the file)
  std::string name_;
  PickleLimits limits_;
  std::size_t opStart_ = 0;
  std::vector<PyValue> stack_;
  std::vector<std::size_t> marks_;
  std::vector<PyValue> memo_;
  std::vector<std::uint8_t> memoSet_;
  std::unordered_map<std::uint64_t, PyValue> sparseMemo_;
  std::vector<std::shared_ptr<PyObject>> shared_;  ///< containers with more than one reference
  std::size_t copyBudget_;  ///< bytes REDUCE/BUILD may still copy (see NumpyContext)
  PickleHooks* hooks_ = nullptr;              ///< extra globals and persistent ids (torch files)
  std::shared_ptr<const PyFileHandle> file_;  ///< file mode only
  std::size_t chunk_ = 64 * 1024;             ///< file mode: bytes to read at the next refill
  unsigned char op_ = 0;                      ///< the opcode being interpreted
  static constexpr std::size_t kInFile = 16 * 1024;  ///< file mode: bytes payloads this big stay in the file

  [[noreturn]] void fail(const std::string& why) const { throw PickleError(name_, opStart_, why); }

  // --- raw input ---
  std::size_t pos() const { return baseOffset_ + static_cast<std::size_t>(p_ - base_); }
  std::size_t left() const { return total_ - pos(); }                           ///< in the whole data
  std::size_t buffered() const { return static_cast<std::size_t>(end_ - p_); }  ///< in memory now
  // Checks on the hot path stay inline; their messages and the file reads are out of line.
  void need(std::size_t n, const char* what) {
    if (__builtin_expect(buffered() < n, 0)) {
      if (left() < n) failTruncated(n, what);
      refill(n);
    }
  }
  [[noreturn]] __attribute__((noinline, cold)) void failTruncated(std::size_t n, const char* what) const {
    fail(std::string("truncated: ") + what + " needs " + std::to_string(n) + " bytes, only " + std::to_string(left()) + " left");
  }
  [[noreturn]] __attribute__((noinline, cold)) void failStack() const {
    if (stack_.size() >= limits_.maxStack) fail("stack exceeds " + std::to_string(limits_.maxStack) + " items");
    fail(std::string("stack underflow in ") + opName(op_));
  }
  /// File mode: a new chunk holding the unread rest of the current one and at least `n` bytes.
  /// Chunks grow while the data is all opcodes (lists of floats) and shrink after a payload was
  /// left in the file, so that the next payload is not read into a chunk either.
  __attribute__((noinline)) void refill(std::size_t n) {
    const std::size_t keep = buffered(), at = pos();
    const std::size_t want = std::min(std::max(n, chunk_), total_ - at);
    std::shared_ptr<unsigned char[]> chunk(new unsigned char[want]);
    if (keep) std::memcpy(chunk.get(), p_, keep);
    try {
      file_->readAt(reinterpret_cast<char*>(chunk.get()) + keep, want - keep, at + keep);
    } catch (const std::exception& e) {
      fail(e.what());
    }
    base_ = p_ = chunk.get();
    end_ = base_ + want;
    baseOffset_ = at;
    owner_ = std::shared_ptr<const void>(chunk, chunk.get());
    chunk_ = std::min<std::size_t>(chunk_ * 2, 4u << 20);
  }
  template <class T>
  T readLE() {
    need(sizeof(T), opName(op_));
    T v;
    std::memcpy(&v, p_, sizeof(T));
    p_ += sizeof(T);
    return v;
  }
  std::size_t readLength(std::size_t width) {
    std::uint64_t n = 0;
    if (width == 1) n = readLE<std::uint8_t>();
    else if (width == 4) n = readLE<std::uint32_t>();
    else n = readLE<std::uint64_t>();
    if (n > left())
      fail(std::string(opName(op_)) + " length " + std::to_string(n) + " goes past the end of the data (" +
           std::to_string(left()) + " bytes left)");
    return static_cast<std::size_t>(n);
  }
  /// The next `n` bytes (n <= left()) as a view kept alive by their chunk.
  PyBytes view(std::size_t n) {
    need(n, opName(op_));
    PyBytes b{owner_, reinterpret_cast<const char*>(p_), n, nullptr};
    p_ += n;
    return b;
  }
  std::string_view readLine() {
    for (;;) {
      if (const void* nl = std::memchr(p_, '\n', buffered())) {
        std::string_view line(reinterpret_cast<const char*>(p_), static_cast<std::size_t>(static_cast<const unsigned char*>(nl) - p_));
        p_ = static_cast<const unsigned char*>(nl) + 1;
        return line;
      }
      if (left() <= buffered()) fail(std::string("truncated: ") + opName(op_) + " argument has no end of line");
      need(buffered() + 1, opName(op_));
    }
  }
  std::int64_t parseDecimal(std::string_view s, const char* what) {
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    std::int64_t v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size() || s.empty())
      fail(std::string("bad ") + what + " '" + std::string(s.substr(0, 40)) + "'");
    return v;
  }

  // --- stacks ---
  std::size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  void push(PyValue v) {
    if (__builtin_expect(stack_.size() >= limits_.maxStack, 0)) failStack();
    stack_.push_back(std::move(v));
  }
  PyValue pop() {
    if (__builtin_expect(stack_.size() <= floor(), 0)) failStack();
    PyValue v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  PyValue& top() {
    if (__builtin_expect(stack_.size() <= floor(), 0)) failStack();
    return stack_.back();
  }
  std::size_t popMark() {
    if (marks_.empty()) fail(std::string("MARK missing for ") + opName(op_));
    const std::size_t m = marks_.back();
    marks_.pop_back();
    return m;
  }
  std::vector<PyValue> takeFrom(std::size_t m) {
    std::vector<PyValue> items(std::make_move_iterator(stack_.begin() + static_cast<std::ptrdiff_t>(m)),
                               std::make_move_iterator(stack_.end()));
    stack_.resize(m);
    return items;
  }
  /// The container an APPENDS/SETITEMS/ADDITEMS after MARK at `m` adds to.
  PyValue& containerBelow(std::size_t m) {
    if (m == 0 || m <= floor()) fail(std::string("stack underflow in ") + opName(op_));
    return stack_[m - 1];
  }

  // --- containers ---
  void adopt(PyObject& parent, const PyValue& child) {
    if (!child.obj_ || !isContainer(child.kind_)) return;
    const std::uint32_t d = child.obj_->depth + 1;
    if (d > parent.depth) {
      if (d > limits_.maxDepth) fail("containers nested deeper than " + std::to_string(limits_.maxDepth) + " levels");
      parent.depth = d;
    }
  }
  PyValue makeSeq(PyKind kind, std::vector<PyValue> items) {
    auto o = std::make_shared<PySeqObj>();
    for (const auto& v : items) adopt(*o, v);
    o->items = std::move(items);
    return PyValue(kind, std::move(o));
  }
  void appendItems(PyValue& target, std::size_t from) {
    if (target.kind_ == PyKind::List) {
      auto& l = static_cast<PyListObj&>(*target.obj_);
      if (l.compact) {
        bool allFloat = true;
        for (std::size_t i = from; i < stack_.size() && allFloat; ++i) allFloat = stack_[i].kind_ == PyKind::Float;
        if (allFloat) {
          const std::size_t want = l.floats.size() + (stack_.size() - from);
          if (want > l.floats.capacity()) l.floats.reserve(std::max(want, 2 * l.floats.capacity()));
          for (std::size_t i = from; i < stack_.size(); ++i) l.floats.push_back(stack_[i].f_);
          return;
        }
        l.decompact();
      }
      for (std::size_t i = from; i < stack_.size(); ++i) {
        adopt(l, stack_[i]);
        l.items.push_back(std::move(stack_[i]));
      }
    } else if (target.kind_ == PyKind::Set) {
      auto& s = static_cast<PySeqObj&>(*target.obj_);
      for (std::size_t i = from; i < stack_.size(); ++i) {
        adopt(s, stack_[i]);
        s.items.push_back(std::move(stack_[i]));
      }
    } else {
      fail(std::string(opName(op_)) + " to a " + target.typeName() + " is not supported");
    }
  }
  void setItems(PyValue& target, std::size_t from) {
    if (target.kind_ != PyKind::Dict)
      fail(std::string(opName(op_)) + " on a " + target.typeName() + " is not supported");
    if ((stack_.size() - from) % 2) fail("odd number of stack items for SETITEMS");
    auto& d = static_cast<PyDictObj&>(*target.obj_);
    for (std::size_t i = from; i < stack_.size(); i += 2) {
      adopt(d, stack_[i]);
      adopt(d, stack_[i + 1]);
      if (!d.set(std::move(stack_[i]), std::move(stack_[i + 1])))
        fail("unhashable dict key (" + std::string(stack_[i].typeName()) + ")");
    }
  }
  PyValue makeDict(std::size_t from) {
    PyValue d = PyValue::dict();
    setItems(d, from);
    stack_.resize(from);
    return d;
  }
  void noteShared(const PyValue& v) {
    if (v.obj_ && isContainer(v.kind_) && !v.obj_->visit) {
      v.obj_->visit = 3;  // registered
      shared_.push_back(v.obj_);
    }
  }

  // --- memo ---
  void memoPut(std::uint64_t idx, const PyValue& v) {
    if (idx < memo_.size()) {
      memo_[idx] = v;
      memoSet_[idx] = 1;
    } else if (idx < memo_.size() + 65536 && idx < limits_.maxMemo) {
      memo_.resize(idx + 1);
      memoSet_.resize(idx + 1);
      memo_[idx] = v;
      memoSet_[idx] = 1;
    } else {
      if (sparseMemo_.size() >= limits_.maxMemo) fail("memo exceeds " + std::to_string(limits_.maxMemo) + " entries");
      sparseMemo_[idx] = v;
    }
  }
  void memoGet(std::uint64_t idx) {
    const PyValue* v = nullptr;
    if (idx < memo_.size() && memoSet_[idx]) v = &memo_[idx];
    else if (const auto it = sparseMemo_.find(idx); it != sparseMemo_.end()) v = &it->second;
    if (!v) fail("memo key " + std::to_string(idx) + " not found");
    noteShared(*v);
    push(*v);
  }

  // --- scalars ---
  std::int64_t decodeLong(const unsigned char* b, std::size_t n) {
    if (n == 0) return 0;
    std::size_t sig = n;
    const unsigned char ext = (b[n - 1] & 0x80) ? 0xFF : 0x00;
    while (sig > 8 && b[sig - 1] == ext) --sig;
    if (sig > 8 || (sig == 8 && n > 8 && ((b[7] & 0x80) != (ext & 0x80))))
      fail("integer does not fit in 64 bits");
    std::uint64_t v = (ext == 0xFF) ? ~0ULL : 0ULL;
    for (std::size_t i = 0; i < std::min<std::size_t>(sig, 8); ++i) {
      v &= ~(0xFFULL << (8 * i));
      v |= static_cast<std::uint64_t>(b[i]) << (8 * i);
    }
    return static_cast<std::int64_t>(v);
  }
  static constexpr std::size_t kLazyStr = 4096;  // numpy data on its way to _codecs.encode
  PyValue makeStr(std::size_t n) {
    need(n, opName(op_));
    if (n < kLazyStr) {
      if (!validUtf8(p_, n)) fail("string is not valid UTF-8");
      const char* s = reinterpret_cast<const char*>(p_);
      p_ += n;
      return PyValue::str(std::string(s, n));
    }
    auto o = std::make_shared<PyStrObj>();  // validated when (if ever) its text is asked for
    o->utf8View = view(n);
    o->lazy = true;
    return PyValue(PyKind::Str, std::move(o));
  }
  PyValue makePy2Str(std::size_t n) {
    auto o = std::make_shared<PyStrObj>();
    o->latin1 = view(n);
    if (n < kLazyStr) o->setText(latin1ToUtf8(o->latin1.view()));
    else o->lazy = true;
    return PyValue(PyKind::Str, std::move(o));
  }
  PyValue makeBytes(std::size_t n) {
    if (!file_ || n < kInFile || buffered() >= n) return PyValue::bytes(view(n));
    // A big payload (numpy data) not read yet: leave it in the file; PyArray::toFloat copies it
    // from there straight into its destination.
    PyBytes b;
    b.size = n;
    b.file = std::make_shared<const PyFileSlice>(file_, pos(), n);
    baseOffset_ = pos() + n;
    base_ = end_ = p_;
    chunk_ = 4096;
    return PyValue::bytes(std::move(b));
  }
  PyValue parseQuotedString(std::string_view line) {  // STRING: a Python 2 str literal, decoded as latin-1
    const std::string bytes = decodeStringLiteral(line);
    auto o = std::make_shared<PyStrObj>();
    o->latin1 = PyBytes::copyOf(bytes);
    o->setText(latin1ToUtf8(bytes));
    return PyValue(PyKind::Str, std::move(o));
  }

  // --- objects ---
  PyValue resolveGlobal(const std::string& module, const std::string& name);
  PyValue reduce(const PyValue& fn, const PyValue& args) {
    NumpyContext ctx{name_, opStart_, copyBudget_};
    if (hooks_ && fn.is(PyKind::Global) && static_cast<const PyGlobalObj&>(*fn.obj_).id == PyGlobalId::Extension)
      return hooks_->reduce(ctx, fn.globalName(), args);
    return reduceAllowed(ctx, fn, args);
  }
  void build(PyValue& target, const PyValue& state) {
    NumpyContext ctx{name_, opStart_, copyBudget_};
    if (hooks_ && hooks_->build(ctx, target, state)) return;
    buildAllowed(ctx, target, state);
  }
  PyValue persistent(const PyValue& pid) {
    if (!hooks_) fail(std::string("opcode ") + opName(op_) + " (persistent id) is not allowed");
    NumpyContext ctx{name_, opStart_, copyBudget_};
    return hooks_->persistentLoad(ctx, pid);
  }

  PyValue loop();
};

PyValue Unpickler::resolveGlobal(const std::string& module, const std::string& name) {
  auto id = allowedGlobal(module, name);
  if (!id && hooks_ && hooks_->knows(module, name)) id = PyGlobalId::Extension;
  if (!id) fail("global '" + module + "." + name + "' is not allowed" + (hooks_ ? hooks_->refusalHint() : std::string()));
  auto o = std::make_shared<PyGlobalObj>();
  o->id = *id;
  o->module = module;
  o->name = name;
  return PyValue(PyKind::Global, std::move(o));
}

PyValue Unpickler::loop() {
  stack_.reserve(4096);  // Python batches list items by 1000
  for (;;) {
    opStart_ = pos();
    if (left() == 0) fail("truncated: the data ends before the STOP opcode");
    need(1, "opcode");
    const unsigned char op = *p_++;
    op_ = op;
    switch (op) {
      case 0x80: {  // PROTO
        const unsigned v = readLE<std::uint8_t>();
        if (v > 5) fail("unsupported pickle protocol " + std::to_string(v));
        break;
      }
      case 0x95: {  // FRAME: frames only group opcodes for buffered reading; nothing to do
        const auto n = readLE<std::uint64_t>();
        if (n > left()) fail("FRAME length " + std::to_string(n) + " goes past the end of the data");
        break;
      }
      case '.': {  // STOP
        return pop();
      }
      case '(':
        if (marks_.size() >= limits_.maxStack) fail("too many MARKs");
        marks_.push_back(stack_.size());
        break;
      case '0':  // POP: pops a mark when the stack above it is empty (as CPython does)
        if (!marks_.empty() && marks_.back() == stack_.size()) marks_.pop_back();
        else pop();
        break;
      case '1': stack_.resize(std::min(stack_.size(), popMark())); break;  // POP_MARK
      case '2': {  // DUP
        PyValue v = top();
        noteShared(v);
        push(std::move(v));
        break;
      }
      case 'N': push(PyValue()); break;
      case 0x88: push(PyValue::boolean(true)); break;
      case 0x89: push(PyValue::boolean(false)); break;
      case 'I': {
        const auto s = readLine();
        if (s == "00") push(PyValue::boolean(false));
        else if (s == "01") push(PyValue::boolean(true));
        else push(PyValue::integer(parseDecimal(s, "INT")));
        break;
      }
      case 'L': {
        auto s = readLine();
        if (!s.empty() && s.back() == 'L') s.remove_suffix(1);
        push(PyValue::integer(parseDecimal(s, "LONG")));
        break;
      }
      case 'J': push(PyValue::integer(readLE<std::int32_t>())); break;
      case 'K': push(PyValue::integer(readLE<std::uint8_t>())); break;
      case 'M': push(PyValue::integer(readLE<std::uint16_t>())); break;
      case 0x8a: case 0x8b: {  // LONG1, LONG4
        std::size_t n;
        if (op == 0x8a) {
          n = readLength(1);
        } else {
          const auto raw = readLE<std::int32_t>();
          if (raw < 0) fail("LONG4 with negative length");
          if (static_cast<std::size_t>(raw) > left()) fail("LONG4 length goes past the end of the data");
          n = static_cast<std::size_t>(raw);
        }
        need(n, opName(op));
        const std::int64_t v = decodeLong(p_, n);
        p_ += n;
        push(PyValue::integer(v));
        break;
      }
      case 'F': {
        const auto s = readLine();
        double d = 0;
        const auto r = std::from_chars(s.data(), s.data() + s.size(), d);
        if (r.ec != std::errc() || r.ptr != s.data() + s.size()) fail("bad FLOAT '" + std::string(s.substr(0, 40)) + "'");
        push(PyValue::floating(d));
        break;
      }
      case 'G': {  // BINFLOAT: big-endian IEEE double; lists of floats are runs of these
        need(8, "BINFLOAT");
        for (;;) {
          std::uint64_t bits;
          std::memcpy(&bits, p_, 8);
          p_ += 8;
          bits = __builtin_bswap64(bits);
          double d;
          std::memcpy(&d, &bits, 8);
          push(PyValue::floating(d));
          if (buffered() < 9 || *p_ != 'G') break;
          opStart_ = pos();
          ++p_;
        }
        break;
      }
      case 'S': push(parseQuotedString(readLine())); break;
      case 'V': push(PyValue::str(decodeRawUnicodeEscape(readLine()))); break;
      case 'T': {  // BINSTRING: signed 32-bit length
        const auto raw = readLE<std::int32_t>();
        if (raw < 0) fail("BINSTRING with negative length");
        if (static_cast<std::size_t>(raw) > left()) fail("BINSTRING length " + std::to_string(raw) + " goes past the end of the data");
        push(makePy2Str(static_cast<std::size_t>(raw)));
        break;
      }
      case 'U': push(makePy2Str(readLength(1))); break;
      case 0x8c: push(makeStr(readLength(1))); break;  // SHORT_BINUNICODE
      case 'X': push(makeStr(readLength(4))); break;   // BINUNICODE
      case 0x8d: push(makeStr(readLength(8))); break;  // BINUNICODE8
      case 'C': push(makeBytes(readLength(1))); break;  // SHORT_BINBYTES
      case 'B': push(makeBytes(readLength(4))); break;  // BINBYTES
      case 0x8e: case 0x96: push(makeBytes(readLength(8))); break;  // BINBYTES8, BYTEARRAY8
      case 0x98:  // READONLY_BUFFER
        if (top().kind_ != PyKind::Bytes) fail("READONLY_BUFFER on a " + std::string(top().typeName()));
        break;
      case 0x97: fail("out-of-band buffers (NEXT_BUFFER) are not supported");
      case ']': push(PyValue(PyKind::List, std::make_shared<PyListObj>())); break;
      case '}': push(PyValue::dict()); break;
      case ')': push(makeSeq(PyKind::Tuple, {})); break;
      case 0x8f: push(makeSeq(PyKind::Set, {})); break;  // EMPTY_SET
      case 'l': {  // LIST
        const std::size_t m = popMark();
        PyValue l(PyKind::List, std::make_shared<PyListObj>());
        appendItems(l, m);
        stack_.resize(m);
        push(std::move(l));
        break;
      }
      case 't': { const std::size_t m = popMark(); push(makeSeq(PyKind::Tuple, takeFrom(m))); break; }
      case 0x91: { const std::size_t m = popMark(); push(makeSeq(PyKind::Set, takeFrom(m))); break; }  // FROZENSET
      case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
        const std::size_t n = op - 0x84u;
        if (stack_.size() < floor() + n) fail(std::string("stack underflow in ") + opName(op));
        push(makeSeq(PyKind::Tuple, takeFrom(stack_.size() - n)));
        break;
      }
      case 'd': { const std::size_t m = popMark(); push(makeDict(m)); break; }
      case 'a': {  // APPEND
        if (stack_.size() < floor() + 2) fail("stack underflow in APPEND");
        appendItems(stack_[stack_.size() - 2], stack_.size() - 1);
        stack_.pop_back();
        break;
      }
      case 'e': case 0x90: {  // APPENDS, ADDITEMS
        const std::size_t m = popMark();
        PyValue& target = containerBelow(m);
        if (op == 0x90 && target.kind_ != PyKind::Set) fail("ADDITEMS to a " + std::string(target.typeName()));
        appendItems(target, m);
        stack_.resize(m);
        break;
      }
      case 's': {  // SETITEM
        if (stack_.size() < floor() + 3) fail("stack underflow in SETITEM");
        setItems(stack_[stack_.size() - 3], stack_.size() - 2);
        stack_.resize(stack_.size() - 2);
        break;
      }
      case 'u': {  // SETITEMS
        const std::size_t m = popMark();
        setItems(containerBelow(m), m);
        stack_.resize(m);
        break;
      }
      case 'g': memoGet(static_cast<std::uint64_t>(parseDecimal(readLine(), "GET index"))); break;
      case 'h': memoGet(readLE<std::uint8_t>()); break;
      case 'j': memoGet(readLE<std::uint32_t>()); break;
      case 'p': {
        const auto idx = parseDecimal(readLine(), "PUT index");
        if (idx < 0) fail("negative PUT index");
        memoPut(static_cast<std::uint64_t>(idx), top());
        break;
      }
      case 'q': memoPut(readLE<std::uint8_t>(), top()); break;
      case 'r': memoPut(readLE<std::uint32_t>(), top()); break;
      case 0x94: memoPut(memo_.size(), top()); break;  // MEMOIZE
      case 'c': {  // GLOBAL "module\nname\n"
        const std::string module(readLine());
        const std::string name(readLine());
        push(resolveGlobal(module, name));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        const PyValue name = pop();
        const PyValue module = pop();
        if (name.kind_ != PyKind::Str || module.kind_ != PyKind::Str) fail("STACK_GLOBAL needs two strings");
        push(resolveGlobal(module.asStr(), name.asStr()));
        break;
      }
      case 'R': {
        PyValue args = pop();
        PyValue fn = pop();
        push(reduce(fn, args));
        break;
      }
      case 'b': {
        PyValue state = pop();
        build(top(), state);
        break;
      }
      case 0x81: case 0x92: case 'i': case 'o':
        fail(std::string("opcode ") + opName(op) + " (creates an arbitrary object) is not allowed");
      case 0x82: case 0x83: case 0x84:
        fail(std::string("opcode ") + opName(op) + " (copyreg extension registry) is not allowed");
      case 'P': push(persistent(PyValue::str(std::string(readLine())))); break;  // PERSID
      case 'Q': push(persistent(pop())); break;                                // BINPERSID
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        fail(std::string("unknown opcode ") + hex);
      }
    }
  }
}

PyValue unpickle(std::shared_ptr<const void> owner, const char* data, std::size_t size, const std::string& name,
                 const PickleLimits& limits, PickleHooks* hooks, std::size_t* consumed) {
  Unpickler u(std::move(owner), data, size, name, limits, hooks);
  PyValue v = u.run();
  if (consumed) *consumed = u.position();
  return v;
}

PyValue unpickleFile(std::shared_ptr<const PyFileHandle> file, const PickleLimits& limits) {
  Unpickler u(std::move(file), limits);
  return u.run();
}

}  // namespace mlsan::data
