// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/data/matrix_io.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "mlsan/data/atomic_file.h"
#include "mlsan/data/csv.h"

namespace mlsan::data {
namespace {

[[noreturn]] void fail(const std::string& name, const std::string& what) { throw std::runtime_error(name + ": " + what); }

/// The value of `key` in a numpy header dict (Python literal syntax), as raw text.
std::string headerField(const std::string& header, const std::string& key, const std::string& name) {
  const std::string quoted1 = "'" + key + "'", quoted2 = "\"" + key + "\"";
  std::size_t at = header.find(quoted1);
  std::size_t len = quoted1.size();
  if (at == std::string::npos) {
    at = header.find(quoted2);
    len = quoted2.size();
  }
  if (at == std::string::npos) fail(name, "the .npy header has no '" + key + "'");
  std::size_t p = header.find(':', at + len);
  if (p == std::string::npos) fail(name, "the .npy header is malformed near '" + key + "'");
  ++p;
  while (p < header.size() && header[p] == ' ') ++p;
  std::size_t end = p;
  if (p < header.size() && header[p] == '(') {
    end = header.find(')', p);
    if (end == std::string::npos) fail(name, "the .npy header's shape is not closed");
    return header.substr(p, end - p + 1);
  }
  if (p < header.size() && (header[p] == '\'' || header[p] == '"')) {
    end = header.find(header[p], p + 1);
    if (end == std::string::npos) fail(name, "the .npy header's '" + key + "' is not closed");
    return header.substr(p + 1, end - p - 1);
  }
  while (end < header.size() && header[end] != ',' && header[end] != '}') ++end;
  return header.substr(p, end - p);
}

}  // namespace

Matrix parseNpy(const std::string& bytes, const std::string& name) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) fail(name, "not a .npy file (no \\x93NUMPY magic)");
  const int major = static_cast<unsigned char>(bytes[6]);
  std::size_t headerLen = 0, offset = 0;
  if (major == 1) {
    headerLen = static_cast<unsigned char>(bytes[8]) | (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) fail(name, "truncated .npy header");
    for (int i = 0; i < 4; ++i) headerLen |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    offset = 12;
  } else {
    fail(name, "unsupported .npy format version " + std::to_string(major));
  }
  if (headerLen > bytes.size() - offset) fail(name, "truncated .npy header");
  const std::string header = bytes.substr(offset, headerLen);
  offset += headerLen;
  const std::string descr = headerField(header, "descr", name);
  const std::string order = headerField(header, "fortran_order", name);
  const std::string shapeText = headerField(header, "shape", name);
  const bool fortran = order.find("True") != std::string::npos;
  std::size_t itemSize = 0;
  char kind = 0;
  if (descr.size() == 3 && (descr[0] == '<' || descr[0] == '|' || descr[0] == '=')) {
    kind = descr[1];
    itemSize = static_cast<std::size_t>(descr[2] - '0');
  }
  const bool supported = (kind == 'f' && (itemSize == 4 || itemSize == 8)) || (kind == 'i' && (itemSize == 4 || itemSize == 8));
  if (!supported) fail(name, "unsupported .npy dtype '" + descr + "' (float32, float64, int32 or int64, little-endian)");
  std::vector<std::size_t> shape;
  {
    std::string digits;
    for (char c : shapeText) {
      if (c >= '0' && c <= '9') digits += c;
      else if (!digits.empty()) {
        if (digits.size() > 12) fail(name, "the .npy shape is too large");
        shape.push_back(std::stoull(digits));
        digits.clear();
      }
    }
  }
  if (shape.empty() || shape.size() > 2) fail(name, "a matrix must be 1-D or 2-D, the .npy shape is " + shapeText);
  const std::size_t rows = shape[0], cols = shape.size() == 2 ? shape[1] : 1;
  if (rows != 0 && cols > (static_cast<std::size_t>(1) << 40) / rows) fail(name, "the .npy shape is too large: " + shapeText);
  const std::size_t count = rows * cols;
  if (bytes.size() - offset < count * itemSize)
    fail(name, "truncated .npy data: the shape " + shapeText + " needs " + std::to_string(count * itemSize) + " bytes, the file has " +
                   std::to_string(bytes.size() - offset));
  Matrix m;
  m.rows = rows;
  m.cols = cols;
  m.values.resize(count);
  const char* data = bytes.data() + offset;
  for (std::size_t e = 0; e < count; ++e) {
    double v = 0;
    const char* at = data + e * itemSize;
    if (kind == 'f' && itemSize == 4) { float f; std::memcpy(&f, at, 4); v = f; }
    else if (kind == 'f') { double f; std::memcpy(&f, at, 8); v = f; }
    else if (itemSize == 4) { std::int32_t f; std::memcpy(&f, at, 4); v = f; }
    else { std::int64_t f; std::memcpy(&f, at, 8); v = static_cast<double>(f); }
    // Fortran order: element e is (e % rows, e / rows).
    const std::size_t dst = fortran ? (e % rows) * cols + e / rows : e;
    m.values[dst] = static_cast<float>(v);
  }
  return m;
}

Matrix parseCsvMatrix(const std::string& text, const std::string& name) {
  Matrix m;
  bool first = true;
  std::vector<float> row;
  auto trim = [](std::string_view f) {
    const std::size_t a = f.find_first_not_of(" \t"), b = f.find_last_not_of(" \t");
    return a == std::string_view::npos ? std::string_view() : f.substr(a, b - a + 1);
  };
  forEachCsvRecord(text, name, [&](int line, const std::vector<std::string_view>& fields) {
    row.clear();
    bool numeric = true;
    for (const std::string_view field : fields) {
      const std::string_view t = trim(field);
      double v = 0;
      const auto r = std::from_chars(t.data(), t.data() + t.size(), v);
      if (t.empty() || r.ec != std::errc() || r.ptr != t.data() + t.size()) {
        numeric = false;
        if (!first)
          fail(name, "line " + std::to_string(line) + ", column " + std::to_string(row.size() + 1) + ": '" + std::string(t) + "' is not a number");
        break;
      }
      row.push_back(static_cast<float>(v));
    }
    if (first) {
      first = false;
      m.cols = fields.size();
      if (!numeric) {
        for (const std::string_view field : fields) m.header.emplace_back(trim(field));
        return;
      }
    }
    if (row.size() != m.cols)
      fail(name, "line " + std::to_string(line) + " has " + std::to_string(row.size()) + " values, expected " + std::to_string(m.cols));
    m.values.insert(m.values.end(), row.begin(), row.end());
    ++m.rows;
  });
  if (m.rows == 0) fail(name, "no data rows");
  return m;
}

Matrix readMatrix(const std::string& path) {
  const std::string bytes = readFile(path);
  if (bytes.size() >= 6 && bytes.compare(0, 6, "\x93NUMPY") == 0) return parseNpy(bytes, path);
  if (bytes.find('\0') != std::string::npos) fail(path, "neither a .npy file nor a CSV text file");
  return parseCsvMatrix(bytes, path);
}

void writeNpy(const std::string& path, const float* values, std::size_t rows, std::size_t cols) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " + std::to_string(cols) + "), }";
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  out.append(reinterpret_cast<const char*>(values), rows * cols * sizeof(float));
  atomicWriteFile(path, out);
}

void writeCsvMatrix(const std::string& path, const std::vector<std::string>& header, const float* values, std::size_t rows) {
  CsvWriter out;
  out.row(header);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < header.size(); ++c) out.exact(values[r * header.size() + c]);
    out.endRow();
  }
  atomicWriteFile(path, out.str());
}

}  // namespace mlsan::data
