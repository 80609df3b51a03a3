// Whom mynetworks trusts: its entries outside private address space, by
// size. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lib/base/ip_network.h"

namespace mailflow::postfix {

/// wide: IPv4 /24 or wider, IPv6 /48 or wider (a whole network of
/// strangers); narrow: a smaller network; host: one address.
enum class NetworkSize { kWide, kNarrow, kHost };

/// "wide", "narrow", "host".
const char* NetworkSizeName(NetworkSize size);
NetworkSize SizeOf(const IpNetwork& network);

struct PublicEntries {
  int wide = 0, narrow = 0, host = 0;
  /// The public entries as written, in order (for the log).
  std::vector<std::string> entries;
  int total() const { return wide + narrow + host; }
};

/// Counts the entries of a mynetworks list (items as MainCf::SplitList
/// gives them) that reach outside loopback and private space. Table lookups
/// ("/file", "type:table") and malformed entries are not counted, nor is a
/// single address that is one of `own_addresses` (this host trusting
/// itself).
PublicEntries ClassifyMynetworks(const std::vector<std::string>& entries,
                                 const std::vector<IpNetwork>& own_addresses);

/// mynetworks as Postfix derives it when main.cf does not set it, from
/// mynetworks_style and the host's interface networks (address + prefix):
/// "host" -> each address; "subnet" -> each interface's network; "class" ->
/// the class A, B or C network of each IPv4 address (IPv6: the subnet).
std::vector<std::string> DerivedMynetworks(
    std::string_view style, const std::vector<IpNetwork>& interfaces);

}  // namespace mailflow::postfix
