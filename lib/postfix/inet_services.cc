#include "lib/postfix/inet_services.h"

namespace mailflow {

namespace {

bool IsIPv4Loopback(std::string_view h) {
  return h.size() >= 4 && h.substr(0, 4) == "127." &&
         h.find_first_not_of("0123456789.") == std::string_view::npos;
}

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host == "localhost" || host == "::1" || IsIPv4Loopback(host);
}

bool IsLoopbackOnly(std::string_view inet_interfaces) {
  std::vector<std::string> items = postfix::MainCf::SplitList(inet_interfaces);
  if (items.empty()) return false;
  for (const auto& item : items) {
    if (item == "loopback-only") continue;
    if (!IsLoopbackHost(item)) return false;
  }
  return true;
}

std::vector<InetService> InetServices(const PostfixConfig& config) {
  std::vector<InetService> out;
  const std::string disable = config.main.Get("master_service_disable");
  const bool interfaces_loopback =
      IsLoopbackOnly(config.main.Get("inet_interfaces"));
  for (const postfix::MasterEntry& e : config.master.entries()) {
    if (e.type != "inet") continue;
    InetService s;
    s.service = e.service;
    s.host = e.host;
    s.port = e.port;
    s.chroot = e.chroot;
    s.overrides = e.overrides;
    s.command = e.command;
    s.line = e.line;
    s.text = e.text;
    s.smtpd = e.command == "smtpd" || e.command == "postscreen";
    s.command = e.command;
    if (!e.enabled) {
      s.disabled_by = "comment";
    } else if (postfix::IsServiceDisabled(e, disable)) {
      s.disabled_by = "master_service_disable";
    }
    s.enabled = s.disabled_by.empty();
    s.expect_external =
        s.host.empty() ? !interfaces_loopback : !IsLoopbackHost(s.host);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace mailflow
