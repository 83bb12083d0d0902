// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Internal to mlsan_media: FFmpeg's error text and its logging, shared by the decoder and the writer.
#include <string>

namespace mlsan::media::detail {

/// FFmpeg's message for an error code.
std::string avError(int code);
/// Silences FFmpeg's own logging (problems are reported through the callers' errors), once.
void quietFfmpeg();
/// "%.2f" of a time, for messages.
std::string secondsText(double s);

}  // namespace mlsan::media::detail
