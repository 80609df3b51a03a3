// ASCII case folding for protocol and configuration words (Postfix
// parameter values, DNS names, firewall keywords): never locale-dependent.
#pragma once

#include <string>
#include <string_view>

namespace mailflow {

/// `c` with 'A'..'Z' mapped to 'a'..'z'; every other byte (including bytes
/// >= 0x80) unchanged. Thread-safe.
constexpr char AsciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// A copy of `s` with AsciiLower applied to every byte. Thread-safe.
std::string AsciiLower(std::string_view s);

/// Whether `a` and `b` are equal after AsciiLower. Thread-safe.
bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b);

}  // namespace mailflow
