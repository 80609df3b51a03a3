// Joining a list of words for messages, labels and option strings.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mailflow {

/// `parts` with `separator` between each two; "" for an empty list.
/// Thread-safe.
std::string StrJoin(const std::vector<std::string>& parts,
                    std::string_view separator);

}  // namespace mailflow
