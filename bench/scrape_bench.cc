// Full-scrape latency of the postfix + listen collectors on the fixture tree
// (tests/fixtures/e2e), beside the floor: reading the same files raw, and
// the diagnosis board built from the same collection.
//
//   build/bench/scrape_bench --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "diagnose/reports.h"
#include "exporter/exporter.h"
#include "lib/base/file_util.h"

namespace mailflow {
namespace {

namespace fs = std::filesystem;

#ifndef MAILFLOW_SOURCE_DIR
#define MAILFLOW_SOURCE_DIR "."
#endif

// Copies the fixture tree to a temp dir with @ROOT@ resolved; returns it.
std::string PrepareTree() {
  static std::string root;
  if (!root.empty()) return root;
  root = fs::temp_directory_path() /
         ("mailflow-bench-" + std::to_string(getpid()));
  fs::remove_all(root);
  fs::copy(std::string(MAILFLOW_SOURCE_DIR) + "/tests/fixtures/e2e", root,
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  std::string path = root + "/postfix/main.cf", text, err;
  ReadWholeFile(path, &text, &err);
  for (size_t at; (at = text.find("@ROOT@")) != std::string::npos;) {
    text.replace(at, 6, root);
  }
  std::ofstream(path) << text;
  return root;
}

std::unique_ptr<Exporter> MakeExporter(const std::string& root) {
  static std::string config_path;
  config_path = root + "/bench.yml";
  std::ofstream(config_path)
      << "paths:\n  postfix_config_directory: " << root
      << "/postfix\n  proc: " << root << "/proc\n  etc: " << root << "/etc\n";
  ExporterOptions options;
  options.config_file = config_path;
  options.selection.disable_defaults = true;
  options.selection.flags = {{"postfix", true}, {"listen", true}};
  auto e = std::make_unique<Exporter>(BuiltinRegistry(), options);
  std::string err;
  if (!e->Init(&err)) std::abort();
  return e;
}

void BM_FullScrape(benchmark::State& state) {
  auto exporter = MakeExporter(PrepareTree());
  size_t bytes = 0;
  for (auto _ : state) {
    std::string body =
        exporter->Scrape(Deadline::After(std::chrono::seconds(10)))->body();
    bytes = body.size();
    benchmark::DoNotOptimize(body);
  }
  state.counters["body_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_FullScrape)->Unit(benchmark::kMicrosecond);

// The board (/ and /diagnose): the same collection plus the findings of
// every step, rendered as HTML, beside the scrape above.
void BM_DiagnoseBoard(benchmark::State& state) {
  auto exporter = MakeExporter(PrepareTree());
  diagnose::HtmlOptions html;
  size_t bytes = 0;
  for (auto _ : state) {
    const diagnose::Diagnosis d =
        exporter->Diagnose(Deadline::After(std::chrono::seconds(10)));
    std::string body = diagnose::RenderHtml(d, html);
    bytes = body.size();
    benchmark::DoNotOptimize(body);
  }
  state.counters["body_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_DiagnoseBoard)->Unit(benchmark::kMicrosecond);

// The floor: read every file a scrape reads, without parsing.
void BM_ReadFilesFloor(benchmark::State& state) {
  const std::string root = PrepareTree();
  const std::vector<std::string> files = {
      root + "/postfix/main.cf",
      root + "/postfix/master.cf",
      root + "/postfix/main.cf",
      root + "/postfix/master.cf",  // listen too
      root + "/proc/net/tcp",
      root + "/proc/net/tcp6",
      root + "/spool/pid/master.pid",
      root + "/proc/4242/comm",
      root + "/etc/resolv.conf",
      root + "/spool/etc/resolv.conf",
      root + "/etc/hosts",
      root + "/etc/services",
      root + "/spool/etc/services"};
  for (auto _ : state) {
    std::string text, err;
    for (const auto& f : files) {
      ReadWholeFile(f, &text, &err);
      benchmark::DoNotOptimize(text);
    }
  }
}
BENCHMARK(BM_ReadFilesFloor)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace mailflow

BENCHMARK_MAIN();
