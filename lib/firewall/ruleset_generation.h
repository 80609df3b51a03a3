// RulesetGeneration: cheap change signals for the kernel's firewall
// rulesets, read every scrape so that the rulesets themselves are read and
// evaluated only when they changed.
#pragma once

#include <cstdint>
#include <string>

namespace mailflow::firewall {

/// Reads the nftables ruleset generation id of the calling thread's network
/// namespace: one NFT_MSG_GETGEN request over netlink (libmnl + libnftnl,
/// what `nft` itself asks before listing). The kernel increments it on
/// every committed transaction (tables, chains, rules, sets, set elements,
/// flowtables, objects), including those of iptables-nft, ufw and
/// firewalld. It does not move when a rule updates a set from the packet
/// path (`add @set { ip saddr }`, meters) or when set elements time out.
/// Needs CAP_NET_ADMIN (EPERM otherwise). Fails with a message naming the
/// netlink step and errno. Thread-safe (one socket per call).
bool ReadNftGeneration(uint32_t* generation, std::string* err);

/// A fingerprint of the legacy x_tables rulesets (iptables-legacy,
/// ip6tables-legacy) of the calling thread's network namespace, without
/// running iptables-legacy-save: the tables named in
/// PROC/net/ip_tables_names and ip6_tables_names, and each table's rules as
/// the kernel hands them to iptables-legacy-save (IPT_SO_GET_INFO and
/// IPT_SO_GET_ENTRIES on a datagram socket, so CAP_NET_ADMIN is enough) with
/// the packet and byte counters zeroed. Equal fingerprints mean the same
/// rules; it costs one copy of each table per call (about 1 MB for 5,000
/// rules), no process. It does not see the contents of ipsets (`-m set`).
/// No table: fingerprint 0 and true. Thread-safe.
bool ReadXtablesFingerprint(const std::string& proc, uint64_t* fingerprint,
                            std::string* err);

}  // namespace mailflow::firewall
