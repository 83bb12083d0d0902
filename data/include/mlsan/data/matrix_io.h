// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Plain numeric matrices on disk, for `mlsan tsne` and the analysis views: numpy .npy files
// (float32 / float64 / int32 / int64, C or Fortran order, 1-D or 2-D) and CSV (comma-separated
// numbers, an optional header row). Readers throw std::runtime_error naming the file and the
// problem (truncated data, an unsupported dtype, a ragged or non-numeric CSV row); writers are
// atomic (data/atomic_file.h). Any thread.
#include <cstddef>
#include <string>
#include <vector>

namespace mlsan::data {

struct Matrix {
  std::vector<float> values;  ///< row-major [rows x cols]
  std::size_t rows = 0, cols = 0;
  std::vector<std::string> header;  ///< CSV column names when the file had a header row
};

/// A .npy file (by content: the magic string) or else a CSV file.
Matrix readMatrix(const std::string& path);
Matrix parseNpy(const std::string& bytes, const std::string& name);
Matrix parseCsvMatrix(const std::string& text, const std::string& name);

/// Writes a float32 C-order .npy file.
void writeNpy(const std::string& path, const float* values, std::size_t rows, std::size_t cols);
/// Writes a CSV with a header row and `rows` rows of `header.size()` values.
void writeCsvMatrix(const std::string& path, const std::vector<std::string>& header, const float* values, std::size_t rows);

}  // namespace mlsan::data
