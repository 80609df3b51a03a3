#include "exporter/listen_address.h"

#include "lib/base/parse_int.h"

namespace mailflow {

namespace {

bool IsIPv4(const std::string& s) {
  int parts = 0, digits = 0, value = 0;
  for (char c : s) {
    if (c == '.') {
      if (digits == 0) return false;
      ++parts;
      digits = value = 0;
    } else if (c >= '0' && c <= '9') {
      value = value * 10 + (c - '0');
      if (++digits > 3 || value > 255) return false;
    } else {
      return false;
    }
  }
  return parts == 3 && digits > 0;
}

}  // namespace

bool TranslateListenAddress(const std::string& address, std::string* out,
                            std::string* err) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    *err = "listen address \"" + address + "\" must be HOST:PORT or :PORT";
    return false;
  }
  std::string host = address.substr(0, colon);
  std::string port = address.substr(colon + 1);
  int port_number;  // 0: any free port
  if (!ParseInt(port, 0, 65535, &port_number)) {
    *err = "listen address \"" + address + "\": bad port \"" + port + "\"";
    return false;
  }
  if (host.empty() || host == "0.0.0.0") {
    host = "0.0.0.0";
  } else if (host == "localhost") {
    host = "127.0.0.1";
  } else if (host.front() == '[') {
    *err = "listen address \"" + address +
           "\": IPv6 is not supported by this build of civetweb";
    return false;
  } else if (!IsIPv4(host)) {
    *err = "listen address \"" + address +
           "\": host must be an IPv4 address, localhost or empty";
    return false;
  }
  *out = host + ":" + port;
  return true;
}

bool AccessControlList(const std::vector<std::string>& networks,
                       std::string* acl, std::string* err) {
  std::string out;
  for (const std::string& net : networks) {
    const auto slash = net.find('/');
    const std::string addr = net.substr(0, slash);
    int prefix = 32;
    const bool prefix_ok = slash == std::string::npos ||
                           ParseInt(net.substr(slash + 1), 0, 32, &prefix);
    if (!IsIPv4(addr) || !prefix_ok) {
      *err = "--web.allowed-networks: \"" + net +
             "\" is not an IPv4 network such as 10.0.0.0/8 or 192.0.2.7" +
             (net.find(':') != std::string::npos
                  ? " (the server listens on IPv4 only)"
                  : "");
      return false;
    }
    out += ",+" + addr + "/" + std::to_string(prefix);
  }
  *acl = out.empty() ? "" : "-0.0.0.0/0" + out;
  return true;
}

}  // namespace mailflow
