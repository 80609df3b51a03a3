// The value a left-hand nftables expression (payload, meta, ct, fib, a
// concatenation) takes for the evaluated packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "lib/firewall/verdict.h"

namespace mailflow::firewall::nft {

/// One named bit of a flags value (ct state, fib type...). Tables of these
/// are static constants; a Val refers to them without owning them.
struct FlagName {
  const char* name;
  int64_t bit;
};

/// The value of a left-hand expression for the evaluated packet. A value
/// type; thread-compatible. For kFlags, `flags` points at a static table of
/// `nflags` names (never owned). For kUnknown, `reason` says why the packet
/// description does not decide it. For kConcat, `parts` holds the values in
/// order.
struct Val {
  enum Kind { kAbsent, kInt, kFlags, kIface, kUnknown, kConcat } kind = kAbsent;
  int64_t i = 0;
  std::string s;  // symbolic name of an kInt (tcp, ipv4, host, local...)
  const FlagName* flags = nullptr;
  size_t nflags = 0;
  Reason reason = Reason::kNone;
  std::vector<Val> parts;

  static Val Absent() { return Val(); }
  static Val Int(int64_t v, std::string name = "") {
    Val x;
    x.kind = kInt;
    x.i = v;
    x.s = std::move(name);
    return x;
  }
  /// REQUIRES: `names` has static storage duration.
  template <size_t N>
  static Val Flags(int64_t v, const FlagName (&names)[N]) {
    Val x;
    x.kind = kFlags;
    x.i = v;
    x.flags = names;
    x.nflags = N;
    return x;
  }
  static Val Iface() {
    Val x;
    x.kind = kIface;
    return x;
  }
  static Val Unknown(Reason r) {
    Val x;
    x.kind = kUnknown;
    x.reason = r;
    return x;
  }
};

}  // namespace mailflow::firewall::nft
