// Gzip: the Content-Encoding of /metrics and /probe responses.
#pragma once

#include <string>

namespace mailflow {

/// Compresses `in` into `*out` as one gzip member (fastest level). False
/// when zlib fails (`*out` is then unspecified). Thread-safe.
bool Gzip(const std::string& in, std::string* out);

}  // namespace mailflow
