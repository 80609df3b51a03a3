#include "lib/postfix/outbound_route.h"

#include "lib/postfix/master_cf.h"

namespace mailflow::postfix {

OutboundRoute ReadOutboundRoute(const MainCf& main) {
  OutboundRoute r;
  const std::vector<std::string> relays =
      MainCf::SplitList(main.Get("relayhost"));
  r.relayhost = relays.empty() ? "" : relays.front();
  r.content_filter = main.Get("content_filter");
  std::string port_name = main.Get("smtp_tcp_port");
  if (!r.relayhost.empty()) {
    port_name = "smtp";
    // "[host]:port" / "[ipv6:...]:port" / "host:port"; brackets first.
    const size_t close = r.relayhost.rfind(']');
    const size_t colon = r.relayhost.rfind(':');
    if (colon != std::string::npos &&
        (close == std::string::npos ? r.relayhost.find(':') == colon
                                    : colon > close)) {
      port_name = r.relayhost.substr(colon + 1);
    }
  }
  r.port = ResolvePort(port_name.empty() ? "smtp" : port_name);
  return r;
}

}  // namespace mailflow::postfix
