// One DNS probe round (DnsProber on c-ares, all names concurrently) vs the
// same MX lookups done one after another with blocking res_nquery().
//
// Needs a DNS server that answers MX for d0000.ZONE .. dNNNN.ZONE:
//   MAILFLOW_DNS_BENCH_SERVER=127.0.0.1:PORT  (loopback only)
//   MAILFLOW_DNS_BENCH_ZONE=bench.test        MAILFLOW_DNS_BENCH_NAMES=1000
// bench/dns_round.sh sets all of that up inside a private network namespace
// (unbound on 127.0.0.1, no route anywhere else) and runs this binary.
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <resolv.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "lib/dns/dns_prober.h"
#include "lib/dns/resolv_conf.h"

namespace mailflow {
namespace {

struct Setup {
  bool ok = false;
  std::string error;
  NameServer server;
  std::vector<std::string> names;
};

const Setup& GetSetup() {
  static const Setup setup = [] {
    Setup s;
    const char* server = std::getenv("MAILFLOW_DNS_BENCH_SERVER");
    const char* zone = std::getenv("MAILFLOW_DNS_BENCH_ZONE");
    const char* names = std::getenv("MAILFLOW_DNS_BENCH_NAMES");
    if (!server || !ParseNameServer(server, &s.server) ||
        !s.server.IsLoopback() || s.server.ipv6) {
      s.error =
          "set MAILFLOW_DNS_BENCH_SERVER=127.0.0.1:PORT (see "
          "bench/dns_round.sh)";
      return s;
    }
    const int n = names ? std::atoi(names) : 1000;
    for (int i = 0; i < n; ++i) {
      char buf[256];
      snprintf(buf, sizeof buf, "d%04d.%s", i, zone ? zone : "bench.test");
      s.names.push_back(buf);
    }
    s.ok = true;
    return s;
  }();
  return setup;
}

void BM_ProberRound(benchmark::State& state) {
  const Setup& s = GetSetup();
  if (!s.ok) {
    state.SkipWithError(s.error.c_str());
    return;
  }
  size_t ok = 0, total = 0;
  for (auto _ : state) {
    DnsProber::Options o;
    o.query_timeout = std::chrono::milliseconds(2000);
    o.max_in_flight = static_cast<size_t>(state.range(0));
    DnsProber prober(o);
    if (!prober.Init({s.server}).ok()) {
      state.SkipWithError("DnsProber::Init failed");
      return;
    }
    for (const auto& name : s.names) {
      prober.Submit(0, DnsType::kMX, name, [&ok, &total](const DnsAnswer& a) {
        ++total;
        if (a.result == DnsResult::kOk) ++ok;
      });
    }
    prober.Run(Deadline::After(std::chrono::seconds(30)));
  }
  state.counters["names"] = static_cast<double>(s.names.size());
  state.counters["ok_fraction"] =
      total ? static_cast<double>(ok) / static_cast<double>(total) : 0;
}
BENCHMARK(BM_ProberRound)
    ->Arg(1000)
    ->Arg(200)
    ->Arg(100)
    ->ArgName("max_in_flight")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(5);

void BM_ResQuerySequential(benchmark::State& state) {
  const Setup& s = GetSetup();
  if (!s.ok) {
    state.SkipWithError(s.error.c_str());
    return;
  }
  struct __res_state res;
  memset(&res, 0, sizeof res);
  if (res_ninit(&res) != 0) {
    state.SkipWithError("res_ninit failed");
    return;
  }
  // Exactly the bench server: never whatever /etc/resolv.conf names.
  res.nscount = 1;
  for (int i = 0; i < MAXNS; ++i) res._u._ext.nsaddrs[i] = nullptr;
  res.nsaddr_list[0].sin_family = AF_INET;
  res.nsaddr_list[0].sin_port = htons(static_cast<uint16_t>(s.server.port));
  inet_pton(AF_INET, s.server.address.c_str(), &res.nsaddr_list[0].sin_addr);
  res.retrans = 5;
  res.retry = 1;
  res.options &= ~(RES_DNSRCH | RES_DEFNAMES);
  size_t ok = 0, total = 0;
  unsigned char answer[4096];
  for (auto _ : state) {
    for (const auto& name : s.names) {
      int n = res_nquery(&res, name.c_str(), ns_c_in, ns_t_mx, answer,
                         sizeof answer);
      ++total;
      if (n > 0) ++ok;
    }
  }
  res_nclose(&res);
  state.counters["names"] = static_cast<double>(s.names.size());
  state.counters["ok_fraction"] =
      total ? static_cast<double>(ok) / static_cast<double>(total) : 0;
}
BENCHMARK(BM_ResQuerySequential)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

}  // namespace
}  // namespace mailflow

BENCHMARK_MAIN();
