#include "lib/smtp/smtp_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace mailflow {

namespace {

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool LooksLikeHostName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string Endpoint::ToString() const {
  if (host.find(':') != std::string::npos) {
    return "[" + host + "]:" + std::to_string(port);
  }
  return host + ":" + std::to_string(port);
}

bool ParseIpLiteral(std::string_view text, uint16_t port, Endpoint* out) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return false;
  std::string s(text);
  Endpoint e;
  char buf[INET6_ADDRSTRLEN];
  in_addr a4;
  in6_addr a6;
  if (inet_pton(AF_INET, s.c_str(), &a4) == 1) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&e.addr);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    sin->sin_addr = a4;
    e.addr_len = sizeof(sockaddr_in);
    inet_ntop(AF_INET, &a4, buf, sizeof(buf));
  } else if (inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&e.addr);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    sin6->sin6_addr = a6;
    e.addr_len = sizeof(sockaddr_in6);
    inet_ntop(AF_INET6, &a6, buf, sizeof(buf));
  } else {
    return false;
  }
  e.host = buf;
  e.port = port;
  *out = std::move(e);
  return true;
}

bool ParsePort(std::string_view text, uint16_t* port) {
  if (text == "smtp") {
    *port = 25;
    return true;
  }
  if (text == "submission") {
    *port = 587;
    return true;
  }
  if (text == "submissions" || text == "smtps") {
    *port = 465;
    return true;
  }
  if (text.empty() || text.size() > 5) return false;
  unsigned v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v == 0 || v > 65535) return false;
  *port = static_cast<uint16_t>(v);
  return true;
}

bool ParseHostPort(std::string_view text, int default_port, Endpoint* out,
                   std::string* err) {
  std::string_view host, port;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) {
      *err = Quote(text) + ": missing \"]\"";
      return false;
    }
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        *err = Quote(text) + ": expected \":PORT\" after \"]\"";
        return false;
      }
      port = rest.substr(1);
      has_port = true;
    }
  } else {
    size_t colon = text.rfind(':');
    if (colon != std::string_view::npos &&
        text.find(':') != colon) {  // bare IPv6 without brackets
      *err = Quote(text) + ": write IPv6 addresses as [ADDRESS]:PORT";
      return false;
    }
    if (colon == std::string_view::npos) {
      host = text;
    } else {
      host = text.substr(0, colon);
      port = text.substr(colon + 1);
      has_port = true;
    }
  }
  uint16_t p = 0;
  if (has_port) {
    if (!ParsePort(port, &p)) {
      *err = Quote(text) + ": bad port " + Quote(port);
      return false;
    }
  } else if (default_port > 0) {
    p = static_cast<uint16_t>(default_port);
  } else {
    *err = Quote(text) + ": missing port (HOST:PORT)";
    return false;
  }
  if (host.empty()) {
    *err = Quote(text) + ": missing address";
    return false;
  }
  if (!ParseIpLiteral(host, p, out)) {
    if (LooksLikeHostName(host)) {
      *err = Quote(text) +
             ": host names are not resolved by the smtp collector; use an IP "
             "address";
    } else {
      *err = Quote(text) + ": " + Quote(host) + " is not an IP address";
    }
    return false;
  }
  return true;
}

bool ParseRelayhost(std::string_view value, std::vector<RelayDestination>* out,
                    std::string* err) {
  out->clear();
  size_t i = 0;
  while (i < value.size()) {
    size_t j = value.find_first_of(", \t", i);
    if (j == std::string_view::npos) j = value.size();
    std::string_view item = Trim(value.substr(i, j - i));
    i = j + 1;
    if (item.empty()) continue;
    RelayDestination d;
    std::string_view port;
    if (item.front() == '[') {
      size_t close = item.find(']');
      if (close == std::string_view::npos || close == 1) {
        *err = "relayhost item " + Quote(item) + ": malformed [host]";
        return false;
      }
      d.host = std::string(item.substr(1, close - 1));
      d.bracketed = true;
      std::string_view rest = item.substr(close + 1);
      if (!rest.empty()) {
        if (rest.front() != ':') {
          *err = "relayhost item " + Quote(item) + ": expected \":PORT\"";
          return false;
        }
        port = rest.substr(1);
      }
    } else {
      size_t colon = item.rfind(':');
      if (colon != std::string_view::npos && item.find(':') == colon) {
        d.host = std::string(item.substr(0, colon));
        port = item.substr(colon + 1);
      } else {
        d.host = std::string(item);
      }
    }
    if (d.host.empty()) {
      *err = "relayhost item " + Quote(item) + ": missing host";
      return false;
    }
    if (!port.empty() || item.back() == ':') {
      if (!ParsePort(port, &d.port)) {
        *err = "relayhost item " + Quote(item) + ": bad port " + Quote(port);
        return false;
      }
    }
    out->push_back(std::move(d));
  }
  return true;
}

bool ParseCidr(std::string_view text, Cidr* out, std::string* err) {
  std::string_view addr = text;
  int prefix = -1;
  size_t slash = text.find('/');
  if (slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    std::string_view p = text.substr(slash + 1);
    if (p.empty() || p.size() > 3) {
      *err = Quote(text) + ": bad prefix length";
      return false;
    }
    prefix = 0;
    for (char c : p) {
      if (c < '0' || c > '9') {
        *err = Quote(text) + ": bad prefix length";
        return false;
      }
      prefix = prefix * 10 + (c - '0');
    }
  }
  Endpoint e;
  if (!ParseIpLiteral(addr, 0, &e)) {
    *err = Quote(text) + ": not an IP network (ADDRESS or ADDRESS/PREFIX)";
    return false;
  }
  Cidr c;
  c.family = e.addr.ss_family;
  int max_prefix = c.family == AF_INET ? 32 : 128;
  if (prefix < 0) prefix = max_prefix;
  if (prefix > max_prefix) {
    *err = Quote(text) + ": prefix length above " + std::to_string(max_prefix);
    return false;
  }
  c.prefix = prefix;
  if (c.family == AF_INET) {
    std::memcpy(c.bytes,
                &reinterpret_cast<const sockaddr_in*>(&e.addr)->sin_addr, 4);
  } else {
    std::memcpy(c.bytes,
                &reinterpret_cast<const sockaddr_in6*>(&e.addr)->sin6_addr, 16);
  }
  *out = c;
  return true;
}

bool CidrContains(const Cidr& cidr, const Endpoint& endpoint) {
  if (endpoint.addr.ss_family != cidr.family) return false;
  const uint8_t* a =
      cidr.family == AF_INET
          ? reinterpret_cast<const uint8_t*>(
                &reinterpret_cast<const sockaddr_in*>(&endpoint.addr)->sin_addr)
          : reinterpret_cast<const uint8_t*>(
                &reinterpret_cast<const sockaddr_in6*>(&endpoint.addr)
                     ->sin6_addr);
  int bits = cidr.prefix;
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((a[i] & mask) != (cidr.bytes[i] & mask)) return false;
  }
  return true;
}

}  // namespace mailflow
