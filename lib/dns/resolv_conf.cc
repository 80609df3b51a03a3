#include "lib/dns/resolv_conf.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "lib/base/file_util.h"

namespace mailflow {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::vector<std::string_view> Words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsSpace(s[i])) ++i;
    size_t j = i;
    while (j < s.size() && !IsSpace(s[j])) ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// glibc's MATCH(): the keyword starts the line and is followed by blank.
bool Keyword(std::string_view line, std::string_view kw,
             std::string_view* rest) {
  if (line.size() <= kw.size() || line.substr(0, kw.size()) != kw) {
    return false;
  }
  if (line[kw.size()] != ' ' && line[kw.size()] != '\t') return false;
  *rest = line.substr(kw.size() + 1);
  return true;
}

bool ParsePort(std::string_view s, int* port) {
  if (s.empty() || s.size() > 5) return false;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v < 1 || v > 65535) return false;
  *port = v;
  return true;
}

// An interface name or index after '%': what `ip link` shows, at most
// IFNAMSIZ - 1 characters. Linux allows more characters in interface names,
// but none of ']', ',', ':', '%' or blanks may reach the server list given
// to c-ares ("[ADDR%SCOPE]:PORT,..."), where they would change its meaning.
bool ValidScope(std::string_view scope) {
  if (scope.empty() || scope.size() > 15) return false;
  return std::all_of(scope.begin(), scope.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
  });
}

// Parses a numeric address (IPv6 may carry %scope); canonicalizes.
bool ParseAddress(std::string_view text, std::string* out, bool* v6) {
  std::string s(text);
  std::string scope;
  if (auto pct = s.find('%'); pct != std::string::npos) {
    scope = s.substr(pct);
    s.resize(pct);
    if (!ValidScope(std::string_view(scope).substr(1))) return false;
  }
  char buf[INET6_ADDRSTRLEN];
  unsigned char bin[16];
  if (scope.empty() && inet_pton(AF_INET, s.c_str(), bin) == 1) {
    inet_ntop(AF_INET, bin, buf, sizeof buf);
    *out = buf;
    *v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), bin) == 1) {
    inet_ntop(AF_INET6, bin, buf, sizeof buf);
    *out = std::string(buf) + scope;
    *v6 = true;
    return true;
  }
  return false;
}

int ClampedInt(std::string_view s, int max) {
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') break;
    v = std::min(v * 10 + (c - '0'), 1000000);
  }
  return std::min(v, max);
}

}  // namespace

bool ParseNameServer(std::string_view text, NameServer* out) {
  NameServer ns;
  if (text.empty()) return false;
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view rest = text.substr(close + 1);
    if (!ParseAddress(text.substr(1, close - 1), &ns.address, &ns.ipv6) ||
        !ns.ipv6) {
      return false;
    }
    if (!rest.empty()) {
      if (rest.front() != ':' || !ParsePort(rest.substr(1), &ns.port)) {
        return false;
      }
    }
    *out = ns;
    return true;
  }
  const size_t colons = std::count(text.begin(), text.end(), ':');
  if (colons == 1) {  // IPv4:port
    auto c = text.find(':');
    if (!ParseAddress(text.substr(0, c), &ns.address, &ns.ipv6) || ns.ipv6 ||
        !ParsePort(text.substr(c + 1), &ns.port)) {
      return false;
    }
    *out = ns;
    return true;
  }
  if (!ParseAddress(text, &ns.address, &ns.ipv6)) return false;
  *out = ns;
  return true;
}

std::string NameServer::Label() const {
  if (port == 53) return address;
  return ipv6 ? "[" + address + "]:" + std::to_string(port)
              : address + ":" + std::to_string(port);
}

std::string NameServer::CsvEntry() const {
  return ipv6 ? "[" + address + "]:" + std::to_string(port)
              : address + ":" + std::to_string(port);
}

bool NameServer::IsLoopback() const {
  if (!ipv6) return address.rfind("127.", 0) == 0;
  if (address == "::1") return true;
  return address.rfind("::ffff:127.", 0) == 0;
}

std::vector<NameServer> ResolvConf::Effective() const {
  std::vector<NameServer> out = nameservers;
  if (out.size() > kMaxNameServers) out.resize(kMaxNameServers);
  return out;
}

namespace {

// Where a line's problems go: `rc`, prefixed with the line number.
struct LineSink {
  ResolvConf* rc;
  int number;
  void Problem(const std::string& msg) const {
    rc->problems.push_back("line " + std::to_string(number) + ": " + msg);
  }
};

// glibc cuts values at the first comment character.
std::string_view CutComment(std::string_view v) {
  auto c = v.find_first_of("#;");
  return c == std::string_view::npos ? v : v.substr(0, c);
}

// "nameserver ADDRESS": appended even beyond the third (Effective() cuts).
void NameserverLine(std::string_view rest, const LineSink& line) {
  ResolvConf& rc = *line.rc;
  auto words = Words(CutComment(rest));
  if (words.empty()) {
    line.Problem("nameserver without an address");
    return;
  }
  NameServer ns;
  if (!ParseNameServer(words[0], &ns)) {
    line.Problem("invalid nameserver address \"" + std::string(words[0]) +
                 "\"");
    return;
  }
  if (words[0].find(':') != std::string_view::npos && !ns.ipv6) {
    line.Problem("nameserver " + std::string(words[0]) +
                 " has a port: the libc resolver ignores this line");
  } else if (ns.ipv6 && words[0].front() == '[') {
    line.Problem("nameserver " + std::string(words[0]) +
                 " has brackets/port: the libc resolver ignores this line");
  }
  if (rc.nameservers.size() == ResolvConf::kMaxNameServers) {
    line.Problem("nameserver " + ns.Label() +
                 " beyond the third: the libc resolver ignores it");
  }
  rc.nameservers.push_back(ns);
}

// "options ...": the ones the probe follows; the others are understood or
// reported.
void OptionsLine(std::string_view rest, const LineSink& line) {
  ResolvConf& rc = *line.rc;
  for (auto w : Words(CutComment(rest))) {
    auto arg = [&w](std::string_view name, std::string_view* v) {
      if (w.size() > name.size() && w.substr(0, name.size()) == name) {
        *v = w.substr(name.size());
        return true;
      }
      return false;
    };
    std::string_view v;
    if (arg("ndots:", &v)) {
      rc.ndots = ClampedInt(v, 15);
    } else if (arg("timeout:", &v)) {
      rc.timeout_seconds = ClampedInt(v, 30);
    } else if (arg("attempts:", &v)) {
      rc.attempts = ClampedInt(v, 5);
    } else if (w == "rotate") {
      rc.rotate = true;
    } else if (w == "edns0") {
      rc.edns0 = true;
    } else if (w == "use-vc") {
      rc.use_vc = true;
    } else if (w == "debug" || w == "inet6" || w == "ip6-bytestring" ||
               w == "ip6-dotint" || w == "no-ip6-dotint" ||
               w == "single-request" || w == "single-request-reopen" ||
               w == "no-tld-query" || w == "no-reload" || w == "trust-ad" ||
               w == "no-check-names" || w == "no-aaaa") {
      // understood, irrelevant to the probe
    } else {
      line.Problem("unknown option \"" + std::string(w) + "\"");
    }
  }
}

}  // namespace

ResolvConf ParseResolvConf(std::string_view text) {
  ResolvConf rc;
  int lineno = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    const LineSink sink{&rc, lineno};
    std::string_view rest;
    if (Keyword(line, "nameserver", &rest)) {
      NameserverLine(rest, sink);
    } else if (Keyword(line, "search", &rest) ||
               Keyword(line, "domain", &rest)) {
      const bool is_domain = line[0] == 'd';
      rc.search.clear();
      for (auto w : Words(CutComment(rest))) {
        rc.search.emplace_back(w);
        if (is_domain) break;
      }
    } else if (Keyword(line, "options", &rest)) {
      OptionsLine(rest, sink);
    } else if (Keyword(line, "sortlist", &rest)) {
      // irrelevant to the probe
    } else {
      auto words = Words(line);
      if (!words.empty() && words[0].find_first_of("#;") != 0) {
        sink.Problem("unknown keyword \"" + std::string(words[0]) + "\"");
      }
    }
  }
  if (rc.nameservers.empty()) {
    rc.default_nameserver = true;
    NameServer local;
    local.address = "127.0.0.1";
    rc.nameservers.push_back(local);
  }
  return rc;
}

bool ReadResolvConf(const std::string& path, ResolvConf* out,
                    std::string* err) {
  // Read every scrape: no stream, no zeroed buffer. resolv.conf is tiny: a
  // file over 64 KiB is not one (a regular file only, as for every file the
  // exporter reads).
  std::string buf;
  if (!ReadWholeFile(path, &buf, err, 64 * 1024)) return false;
  *out = ParseResolvConf(buf);
  return true;
}

bool NameServersDiffer(const ResolvConf& a, const ResolvConf& b) {
  return a.Effective() != b.Effective();
}

}  // namespace mailflow
