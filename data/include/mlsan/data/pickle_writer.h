// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// A pickle writer for PyValue trees (pickle.h): used to make test fixtures and the MELD-sized
// pickles of `mlsan bench load`. It writes what Python 3's pickle.dump writes for the same data:
// numpy arrays through numpy.core.multiarray._reconstruct (protocol 5: numpy's _frombuffer with
// an in-band bytearray), bytes at protocol 2 through _codecs.encode(str, 'latin1'), protocol 4+
// opcodes grouped into FRAMEs. Python's pickle.load reads the output (checked against
// python3 + numpy during development; see tests/fixtures/pickle/check_writer.py).
// Any thread may call these; the value must not be mutated meanwhile.
#include <ostream>
#include <string>

#include "mlsan/data/pickle.h"

namespace mlsan::data {

/// Options of the writer. Plain data.
struct PickleWriteOptions {
  int protocol = 4;    ///< 2, 3, 4 or 5
  bool frames = true;  ///< protocol >= 4: group opcodes into FRAMEs of about 64 KiB, as Python does
};

/// Streams `value` as a pickle. Throws std::invalid_argument for what the protocol cannot hold
/// (e.g. a string over 4 GiB at protocol 2) and std::runtime_error on stream failure.
void writePickle(std::ostream& out, const PyValue& value, const PickleWriteOptions& options = {});
/// The pickle as bytes.
std::string pickleBytes(const PyValue& value, const PickleWriteOptions& options = {});
/// Writes the pickle to `path` atomically (see atomic_file.h); throws std::runtime_error naming it.
void writePickleFile(const std::string& path, const PyValue& value, const PickleWriteOptions& options = {});

}  // namespace mlsan::data
