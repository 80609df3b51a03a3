// Double-quoting a name or value for an error message.
#pragma once

#include <string>
#include <string_view>

namespace mailflow {

/// `s` between double quotes, as is (no escaping: for messages that name a
/// key, file or value the user wrote). Built by appending: GCC 12 at -O3
/// reports a false -Wrestrict on `"\"" + std::string`. Thread-safe.
std::string Quoted(std::string_view s);

}  // namespace mailflow
