// libFuzzer entry: SMTP reply parsing and the smtp collector's address
// parsers (targets, relayhost values, CIDRs) on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/smtp/smtp_address.h"
#include "lib/smtp/smtp_reply.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  mailflow::SmtpReply reply;
  size_t used = 0;
  std::string_view rest = in;
  for (int i = 0; i < 64; ++i) {  // consume replies like the prober does
    auto st = mailflow::ParseSmtpReply(rest, &reply, &used);
    if (st != mailflow::ReplyStatus::kComplete) break;
    if (used == 0 || used > rest.size()) __builtin_trap();
    (void)mailflow::EhloOffers(reply, "STARTTLS");
    (void)mailflow::ReplySummary(reply);
    rest.remove_prefix(used);
  }
  std::string err;
  mailflow::Endpoint e;
  if (mailflow::ParseHostPort(in, 25, &e, &err)) {
    mailflow::Endpoint again;
    if (!mailflow::ParseHostPort(e.ToString(), 0, &again, &err) ||
        again.ToString() != e.ToString()) {
      __builtin_trap();  // ToString must round-trip
    }
  }
  std::vector<mailflow::RelayDestination> dests;
  (void)mailflow::ParseRelayhost(in, &dests, &err);
  mailflow::Cidr c;
  if (mailflow::ParseCidr(in, &c, &err) && e.addr_len) {
    (void)mailflow::CidrContains(c, e);
  }
  return 0;
}
