// Strict decimal integers from text (config values, query parameters, port
// numbers, prefix lengths): no sign other than a leading '-', no spaces, no
// "0x", no trailing garbage, no overflow — what std::stoi lets through or
// throws on.
#pragma once

#include <cstdint>
#include <string_view>

namespace mailflow {

/// Whether `s` is non-empty and every byte is '0'..'9'. Thread-safe.
bool IsDigits(std::string_view s);

/// Parses `s` as an optional '-' followed by 1 to 18 decimal digits and
/// stores it in `*out` when it lies in [min, max]. Returns false (and leaves
/// `*out` unchanged) for anything else. Leading zeros are accepted ("007").
/// Thread-safe.
bool ParseInt(std::string_view s, int64_t min, int64_t max, int64_t* out);

/// ParseInt into an `int`. REQUIRES: INT_MIN <= min <= max <= INT_MAX.
bool ParseInt(std::string_view s, int min, int max, int* out);

/// A TCP/UDP port number in decimal, 1 to 65535 (0 is refused: it is "any
/// port" to bind() and no port to connect()). Thread-safe.
bool ParseTcpPort(std::string_view s, uint16_t* port);

}  // namespace mailflow
