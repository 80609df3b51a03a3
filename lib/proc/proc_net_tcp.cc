#include "lib/proc/proc_net_tcp.h"

#include <arpa/inet.h>

#include <cstring>

namespace mailflow {

namespace {

constexpr std::string_view kListenState = "0A";

// Splits on runs of spaces; at most `max` fields.
int Fields(std::string_view line, std::string_view* f, int max) {
  int n = 0;
  size_t i = 0;
  while (i < line.size() && n < max) {
    while (i < line.size() && line[i] == ' ') ++i;
    if (i == line.size()) break;
    size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    f[n++] = line.substr(start, i - start);
  }
  return n;
}

bool HexU32(std::string_view s, uint32_t* out) {
  if (s.empty() || s.size() > 8) return false;
  uint32_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return false;
    }
    v = (v << 4) | static_cast<uint32_t>(d);
  }
  *out = v;
  return true;
}

bool ParseAddress(std::string_view hex, bool ipv6, ListeningSocket* s) {
  const size_t words = ipv6 ? 4 : 1;
  if (hex.size() != words * 8) return false;
  unsigned char bytes[16];
  for (size_t w = 0; w < words; ++w) {
    uint32_t v;
    if (!HexU32(hex.substr(w * 8, 8), &v)) return false;
    std::memcpy(bytes + 4 * w, &v, 4);  // the kernel prints native words
  }
  char buf[INET6_ADDRSTRLEN];
  if (!inet_ntop(ipv6 ? AF_INET6 : AF_INET, bytes, buf, sizeof(buf))) {
    return false;
  }
  s->address = buf;
  s->ipv6 = ipv6;
  static const unsigned char kZero[16] = {};
  if (!ipv6) {
    s->loopback = bytes[0] == 127;
    s->wildcard = std::memcmp(bytes, kZero, 4) == 0;
  } else {
    static const unsigned char kLoop6[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                             0, 0, 0, 0, 0, 0, 0, 1};
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0,    0,
                                              0, 0, 0, 0, 0xff, 0xff};
    s->wildcard = std::memcmp(bytes, kZero, 16) == 0;
    s->loopback = std::memcmp(bytes, kLoop6, 16) == 0 ||
                  (std::memcmp(bytes, kMapped, 12) == 0 && bytes[12] == 127);
  }
  return true;
}

bool ParseLine(std::string_view line, bool ipv6, ListeningSocket* s,
               bool* listening) {
  std::string_view f[10];
  if (Fields(line, f, 10) < 10) return false;
  // f[1] local "ADDR:PORT", f[3] state, f[9] inode.
  auto colon = f[1].find(':');
  if (colon == std::string_view::npos) return false;
  uint32_t port;
  if (!ParseAddress(f[1].substr(0, colon), ipv6, s) ||
      !HexU32(f[1].substr(colon + 1), &port) || port > 65535 ||
      f[3].size() != 2) {
    return false;
  }
  s->port = static_cast<uint16_t>(port);
  uint64_t inode = 0;
  for (char c : f[9]) {
    if (c < '0' || c > '9') return false;
    inode = inode * 10 + static_cast<uint64_t>(c - '0');
  }
  s->inode = inode;
  *listening = f[3] == kListenState;
  return true;
}

}  // namespace

void ParseProcNetTcp(std::string_view text, bool ipv6,
                     std::vector<ListeningSocket>* out, int* bad_lines) {
  bool header = true;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text =
        nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (header) {
      header = false;
      continue;
    }
    if (line.find_first_not_of(' ') == std::string_view::npos) continue;
    ListeningSocket s;
    bool listening = false;
    if (!ParseLine(line, ipv6, &s, &listening)) {
      ++*bad_lines;
      continue;
    }
    if (listening) out->push_back(std::move(s));
  }
}

}  // namespace mailflow
