// The inet address and service-name helpers declared in master_cf.h.
#include <algorithm>
#include <cctype>
#include <string>

#include "lib/postfix/logical_lines.h"
#include "lib/postfix/master_cf.h"

namespace mailflow::postfix {
namespace {

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return c >= '0' && c <= '9'; });
}

// Light hostname / address check (host_port() final sanity check).
bool IsValidHost(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  bool has_colon = host.find(':') != std::string_view::npos;
  for (char c : host) {
    bool ok = has_colon ? (std::isxdigit(static_cast<unsigned char>(c)) ||
                           c == ':' || c == '.')
                        : (IsAsciiAlnum(c) || c == '-' || c == '.' || c == '_');
    if (!ok) return false;
  }
  return true;
}

}  // namespace

const char* SplitInetAddress(std::string_view s, std::string_view* host,
                             std::string_view* port) {
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return "missing \"]\"";
    *host = s.substr(1, close - 1);
    if (host->size() >= 5 &&
        (host->substr(0, 5) == "IPv6:" || host->substr(0, 5) == "ipv6:")) {
      host->remove_prefix(5);
    }
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty() && rest[0] != ':') return "garbage after \"]\"";
    if (!rest.empty()) rest.remove_prefix(1);
    *port = rest;
    if (!IsValidHost(*host))
      return "valid hostname or network address required";
  } else {
    size_t colon = s.rfind(':');
    if (colon == std::string_view::npos) {
      *host = {};
      *port = s;
    } else {
      *host = s.substr(0, colon);
      *port = s.substr(colon + 1);
    }
    if (!host->empty() && !IsValidHost(*host)) {
      return "valid hostname or network address required";
    }
  }
  if (port->empty()) return "missing service information";
  if ((*port)[0] >= '0' && (*port)[0] <= '9' && !IsDigits(*port)) {
    return "valid port number required";
  }
  return nullptr;
}

int ResolvePort(std::string_view port_name) {
  if (IsDigits(port_name)) {
    if (port_name.size() > 5) return 0;
    int port = std::stoi(std::string(port_name));
    return port >= 1 && port <= 65535 ? port : 0;
  }
  static constexpr std::pair<std::string_view, int> kPorts[] = {
      {"lmtp", 24},   {"qmqp", 628},       {"qmtp", 209},        {"smtp", 25},
      {"smtps", 465}, {"submission", 587}, {"submissions", 465},
  };
  for (const auto& [name, port] : kPorts) {
    if (name == port_name) return port;
  }
  return 0;
}

bool IsServiceDisabled(const MasterEntry& entry,
                       std::string_view master_service_disable) {
  auto equal_nocase = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  };
  const std::string name_type = entry.service + "/" + entry.type;
  std::string_view list = master_service_disable;
  auto is_sep = [](char c) {
    return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
  };
  size_t i = 0;
  while (i < list.size()) {
    while (i < list.size() && is_sep(list[i])) ++i;
    size_t start = i;
    while (i < list.size() && !is_sep(list[i])) ++i;
    if (start == i) break;
    std::string pattern(list.substr(start, i - start));
    if (pattern.find('/') == std::string::npos) {
      size_t dot = pattern.rfind('.');
      if (dot != std::string::npos) pattern[dot] = '/';  // legacy name.type
    }
    bool match = true;
    size_t p = 0;
    while (p < pattern.size() && pattern[p] == '!') {
      match = !match;
      ++p;
    }
    std::string_view pat = std::string_view(pattern).substr(p);
    bool has_slash = pat.find('/') != std::string_view::npos;
    if (equal_nocase(has_slash ? std::string_view(name_type)
                               : std::string_view(entry.type),
                     pat)) {
      return match;
    }
  }
  return false;
}

}  // namespace mailflow::postfix
