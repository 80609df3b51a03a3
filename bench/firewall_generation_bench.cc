// The firewall collector's per-scrape floor, old and new, on whatever ruleset
// the calling network namespace holds (bench/firewall_bench.sh loads a
// synthetic one of N rules into a private namespace and runs this there):
//
//   BM_ReadNftGeneration      the new steady-state floor: one NFT_MSG_GETGEN
//                             over netlink (what every scrape asks now)
//   BM_ReadXtablesFingerprint the legacy x_tables change signal (copies each
//                             table through getsockopt, counters zeroed)
//   BM_NftListRuleset         the old floor: `nft -j list ruleset` as a
//                             process (what every scrape ran before)
//   BM_ReadAndEvaluate        what a scrape right after a change costs: the
//                             same process, JSON parse and evaluation of 4
//                             ports for IPv4 and IPv6
//
// Needs CAP_NET_ADMIN.   ip netns exec NS build/bench/firewall_generation_bench
#include <benchmark/benchmark.h>

#include <chrono>

#include "lib/base/subprocess.h"
#include "lib/firewall/nft_evaluator.h"
#include "lib/firewall/ruleset_generation.h"

namespace mailflow::firewall {
namespace {

constexpr int kPorts[] = {25, 587, 465, 2525};

bool ListRuleset(benchmark::State& state, std::string* text) {
  CommandResult r = RunCommand({"/usr/sbin/nft", "-j", "list", "ruleset"},
                               Deadline::After(std::chrono::seconds(30)));
  if (!r.started || r.exit_code != 0) {
    state.SkipWithError(
        ("nft -j list ruleset failed: " + r.spawn_error + r.err.substr(0, 200))
            .c_str());
    return false;
  }
  *text = std::move(r.out);
  return true;
}

void BM_ReadNftGeneration(benchmark::State& state) {
  uint32_t generation = 0;
  std::string err;
  for (auto _ : state) {
    if (!ReadNftGeneration(&generation, &err)) {
      state.SkipWithError(err.c_str());
      break;
    }
    benchmark::DoNotOptimize(generation);
  }
}
BENCHMARK(BM_ReadNftGeneration);

void BM_ReadXtablesFingerprint(benchmark::State& state) {
  uint64_t fingerprint = 0;
  std::string err;
  for (auto _ : state) {
    if (!ReadXtablesFingerprint("/proc", &fingerprint, &err)) {
      state.SkipWithError(err.c_str());
      break;
    }
    benchmark::DoNotOptimize(fingerprint);
  }
}
BENCHMARK(BM_ReadXtablesFingerprint);

void BM_NftListRuleset(benchmark::State& state) {
  std::string text;
  for (auto _ : state) {
    if (!ListRuleset(state, &text)) break;
  }
  state.counters["json_bytes"] = static_cast<double>(text.size());
}
BENCHMARK(BM_NftListRuleset)->Unit(benchmark::kMillisecond);

void BM_ReadAndEvaluate(benchmark::State& state) {
  std::string text, err;
  size_t rules = 0;
  for (auto _ : state) {
    if (!ListRuleset(state, &text)) break;
    NftEvaluator ev;
    if (!ev.Load(text, &err)) {
      state.SkipWithError(err.c_str());
      break;
    }
    for (int port : kPorts)
      benchmark::DoNotOptimize(ev.EvaluatePort(port, true));
    rules = ev.rule_count();
  }
  state.counters["rules"] = static_cast<double>(rules);
}
BENCHMARK(BM_ReadAndEvaluate)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mailflow::firewall

BENCHMARK_MAIN();
