// SPDX-License-Identifier: GPL-3.0-or-later
// Text for the pickle reader: latin-1 <-> UTF-8, UTF-8 validation, the protocol-0 string
// literals (STRING, UNICODE) and the opcode names used in error messages.
#include <cstring>
#include <stdexcept>

#include "pickle_internal.h"

namespace mlsan::data {

namespace {
void appendUtf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

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

std::string decodeStringLiteral(std::string_view line) {
  if (line.size() < 2 || (line.front() != '\'' && line.front() != '"') || line.back() != line.front())
    throw std::runtime_error("STRING argument is not quoted");
  line = line.substr(1, line.size() - 2);
  std::string bytes;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c != '\\' || i + 1 == line.size()) { bytes.push_back(c); continue; }
    c = line[++i];
    switch (c) {
      case 'n': bytes.push_back('\n'); break;
      case 'r': bytes.push_back('\r'); break;
      case 't': bytes.push_back('\t'); break;
      case 'a': bytes.push_back('\a'); break;
      case 'b': bytes.push_back('\b'); break;
      case 'f': bytes.push_back('\f'); break;
      case 'v': bytes.push_back('\v'); break;
      case '\\': case '\'': case '"': bytes.push_back(c); break;
      case 'x': {
        const int h = i + 2 < line.size() ? hexDigit(line[i + 1]) : -1, l = h >= 0 ? hexDigit(line[i + 2]) : -1;
        if (l < 0) throw std::runtime_error("bad \\x escape in STRING");
        bytes.push_back(static_cast<char>(h * 16 + l));
        i += 2;
        break;
      }
      default:
        if (c >= '0' && c <= '7') {
          int v = c - '0';
          for (int k = 0; k < 2 && i + 1 < line.size() && line[i + 1] >= '0' && line[i + 1] <= '7'; ++k) v = v * 8 + (line[++i] - '0');
          bytes.push_back(static_cast<char>(v & 0xFF));
        } else {
          bytes.push_back('\\');
          bytes.push_back(c);
        }
    }
  }
  return bytes;
}

std::string decodeRawUnicodeEscape(std::string_view line) {
  std::string out;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    if (c == '\\' && i + 1 < line.size() && (line[i + 1] == 'u' || line[i + 1] == 'U')) {
      const std::size_t digits = line[i + 1] == 'u' ? 4 : 8;
      if (i + 2 + digits > line.size()) throw std::runtime_error("bad \\u escape in UNICODE");
      std::uint32_t cp = 0;
      for (std::size_t k = 0; k < digits; ++k) {
        const int h = hexDigit(line[i + 2 + k]);
        if (h < 0) throw std::runtime_error("bad \\u escape in UNICODE");
        cp = cp * 16 + static_cast<std::uint32_t>(h);
      }
      if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) throw std::runtime_error("bad code point in UNICODE");
      appendUtf8(out, cp);
      i += 1 + digits;
    } else {
      appendUtf8(out, c);
    }
  }
  return out;
}

const char* pickleOpName(unsigned char op) {
  switch (op) {
    case '(': return "MARK"; case '.': return "STOP"; case '0': return "POP"; case '1': return "POP_MARK";
    case '2': return "DUP"; case 'F': return "FLOAT"; case 'I': return "INT"; case 'J': return "BININT";
    case 'K': return "BININT1"; case 'L': return "LONG"; case 'M': return "BININT2"; case 'N': return "NONE";
    case 'P': return "PERSID"; case 'Q': return "BINPERSID"; case 'R': return "REDUCE"; case 'S': return "STRING";
    case 'T': return "BINSTRING"; case 'U': return "SHORT_BINSTRING"; case 'V': return "UNICODE";
    case 'X': return "BINUNICODE"; case 'a': return "APPEND"; case 'b': return "BUILD"; case 'c': return "GLOBAL";
    case 'd': return "DICT"; case '}': return "EMPTY_DICT"; case 'e': return "APPENDS"; case 'g': return "GET";
    case 'h': return "BINGET"; case 'i': return "INST"; case 'j': return "LONG_BINGET"; case 'l': return "LIST";
    case ']': return "EMPTY_LIST"; case 'o': return "OBJ"; case 'p': return "PUT"; case 'q': return "BINPUT";
    case 'r': return "LONG_BINPUT"; case 's': return "SETITEM"; case 't': return "TUPLE"; case ')': return "EMPTY_TUPLE";
    case 'u': return "SETITEMS"; case 'G': return "BINFLOAT"; case 0x80: return "PROTO"; case 0x81: return "NEWOBJ";
    case 0x82: return "EXT1"; case 0x83: return "EXT2"; case 0x84: return "EXT4"; case 0x85: return "TUPLE1";
    case 0x86: return "TUPLE2"; case 0x87: return "TUPLE3"; case 0x88: return "NEWTRUE"; case 0x89: return "NEWFALSE";
    case 0x8a: return "LONG1"; case 0x8b: return "LONG4"; case 'B': return "BINBYTES"; case 'C': return "SHORT_BINBYTES";
    case 0x8c: return "SHORT_BINUNICODE"; case 0x8d: return "BINUNICODE8"; case 0x8e: return "BINBYTES8";
    case 0x8f: return "EMPTY_SET"; case 0x90: return "ADDITEMS"; case 0x91: return "FROZENSET"; case 0x92: return "NEWOBJ_EX";
    case 0x93: return "STACK_GLOBAL"; case 0x94: return "MEMOIZE"; case 0x95: return "FRAME"; case 0x96: return "BYTEARRAY8";
    case 0x97: return "NEXT_BUFFER"; case 0x98: return "READONLY_BUFFER";
    default: return "opcode";
  }
}

}  // namespace mlsan::data
