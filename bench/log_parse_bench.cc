// Log collector hot path: ParseLogLine alone, and parse + LogStats::Add (what
// the follower thread does per line), over the real Postfix corpus.
//   ninja -C build-log log_parse_bench && build-log/bench/log_parse_bench
#include <benchmark/benchmark.h>

#include <fstream>
#include <string>
#include <vector>

#include "collectors/log/log_stats.h"
#include "lib/postfix/log_line.h"

namespace {

std::vector<std::string> LoadCorpus() {
  std::vector<std::string> lines;
  std::ifstream in(std::string(MAILFLOW_SOURCE_DIR) +
                   "/tests/fixtures/log/postfix-3.7-real.log");
  std::string l;
  while (std::getline(in, l)) lines.push_back(l);
  return lines;
}

void BM_ParseLogLine(benchmark::State& state) {
  const std::vector<std::string> lines = LoadCorpus();
  size_t bytes = 0;
  mailflow::postfix::LogLine out;
  for (auto _ : state) {
    for (const std::string& l : lines) {
      mailflow::postfix::ParseLogLine(l, &out);
      benchmark::DoNotOptimize(out);
    }
  }
  for (const std::string& l : lines) bytes += l.size() + 1;
  state.SetItemsProcessed(int64_t(state.iterations() * lines.size()));
  state.SetBytesProcessed(int64_t(state.iterations() * bytes));
}
BENCHMARK(BM_ParseLogLine);

void BM_ParseAndCount(benchmark::State& state) {
  const std::vector<std::string> lines = LoadCorpus();
  mailflow::log_collector::LogStats stats(10000);
  mailflow::postfix::LogLine out;
  for (auto _ : state) {
    for (const std::string& l : lines) {
      mailflow::postfix::ParseLogLine(l, &out);
      stats.Add(out);
    }
  }
  state.SetItemsProcessed(int64_t(state.iterations() * lines.size()));
}
BENCHMARK(BM_ParseAndCount);

}  // namespace

BENCHMARK_MAIN();
