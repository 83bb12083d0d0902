// SPDX-License-Identifier: GPL-3.0-or-later
// .npy and CSV matrices (data/matrix_io.h): the dtypes and orders numpy writes, CSV with and
// without a header, and bad files named with their problem.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "mlsan/data/matrix_io.h"

namespace {
std::string npy(const std::string& descr, bool fortran, const std::string& shape, const void* data, std::size_t bytes) {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.append(static_cast<const char*>(data), bytes);
  return out;
}
}  // namespace

TEST(MatrixIo, ReadsNpyFloat32Float64IntAndFortranOrder) {
  const float f[6] = {1, 2, 3, 4, 5, 6};
  auto m = mlsan::data::parseNpy(npy("<f4", false, "(2, 3)", f, sizeof f), "a.npy");
  EXPECT_EQ(m.rows, 2u);
  EXPECT_EQ(m.cols, 3u);
  EXPECT_EQ(m.values, std::vector<float>({1, 2, 3, 4, 5, 6}));
  const double d[6] = {1, 4, 2, 5, 3, 6};  // column-major of the same matrix
  m = mlsan::data::parseNpy(npy("<f8", true, "(2, 3)", d, sizeof d), "b.npy");
  EXPECT_EQ(m.values, std::vector<float>({1, 2, 3, 4, 5, 6}));
  const std::int64_t l[3] = {7, 8, 9};
  m = mlsan::data::parseNpy(npy("<i8", false, "(3,)", l, sizeof l), "c.npy");
  EXPECT_EQ(m.rows, 3u);
  EXPECT_EQ(m.cols, 1u);
  EXPECT_EQ(m.values, std::vector<float>({7, 8, 9}));
}

TEST(MatrixIo, NpyRoundTripIsAtomicAndExact) {
  const auto dir = std::filesystem::temp_directory_path() / ("mlsan-matrix-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const float v[4] = {0.5f, -1.25f, 3e-8f, 1e9f};
  mlsan::data::writeNpy((dir / "m.npy").string(), v, 2, 2);
  const auto m = mlsan::data::readMatrix((dir / "m.npy").string());
  EXPECT_EQ(m.values, std::vector<float>(v, v + 4));
  mlsan::data::writeCsvMatrix((dir / "m.csv").string(), {"x", "y"}, v, 2);
  const auto c = mlsan::data::readMatrix((dir / "m.csv").string());
  EXPECT_EQ(c.header, std::vector<std::string>({"x", "y"}));
  EXPECT_EQ(c.values, std::vector<float>(v, v + 4)) << "shortest round-trip float text";
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 2) << "no temporary files left";
  std::filesystem::remove_all(dir);
}

TEST(MatrixIo, BadNpyFilesAreNamedWithTheirProblem) {
  const float f[6] = {1, 2, 3, 4, 5, 6};
  auto expectError = [](const std::string& bytes, const std::string& what) {
    try {
      mlsan::data::parseNpy(bytes, "bad.npy");
      FAIL() << "accepted: " << what;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("bad.npy"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  expectError(npy("<f4", false, "(2, 3)", f, 20), "truncated");
  expectError(npy("<c8", false, "(2, 3)", f, sizeof f), "unsupported .npy dtype");
  expectError(npy(">f4", false, "(2, 3)", f, sizeof f), "unsupported .npy dtype");
  expectError(npy("<f4", false, "(1, 2, 3)", f, sizeof f), "1-D or 2-D");
  expectError(npy("<f4", false, "(99999999999, 99999999999)", f, sizeof f), "too large");
  expectError(std::string("\x93NUMPY\x01\x00\xff\x7f{", 11), "truncated .npy header");
  expectError("not numpy at all", "magic");
}

TEST(MatrixIo, CsvWithAndWithoutHeaderAndItsErrors) {
  auto m = mlsan::data::parseCsvMatrix("a,b\n1,2\n3.5,-4e2\n", "t.csv");
  EXPECT_EQ(m.header, std::vector<std::string>({"a", "b"}));
  EXPECT_EQ(m.rows, 2u);
  EXPECT_EQ(m.values, std::vector<float>({1, 2, 3.5f, -400}));
  m = mlsan::data::parseCsvMatrix("1,2\r\n3,4\r\n\r\n", "t.csv");
  EXPECT_TRUE(m.header.empty());
  EXPECT_EQ(m.rows, 2u);
  try {
    mlsan::data::parseCsvMatrix("x,y\n1,2\n3\n", "t.csv");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("t.csv: line 3 has 1 values, expected 2"), std::string::npos) << e.what();
  }
  try {
    mlsan::data::parseCsvMatrix("1,2\n3,abc\n", "t.csv");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("line 2, column 2: 'abc' is not a number"), std::string::npos) << e.what();
  }
  EXPECT_THROW(mlsan::data::parseCsvMatrix("x,y\n", "t.csv"), std::runtime_error);
}
