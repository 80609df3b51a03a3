// mailflow_exporter: flags, wiring, signals.
#include <malloc.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <thread>

#include "collectors/registry.h"
#include "config/config_map.h"
#include "exporter/exporter.h"
#include "exporter/http_server.h"
#include "lib/base/log.h"

namespace mailflow {
namespace {

std::string VersionString() {
  return std::string("mailflow_exporter, version ") + ExporterVersion() +
         " (revision " + ExporterRevision() + ")";
}

// How long an orderly shutdown may take (in-flight scrapes and probes
// finish, threads join) before the process exits anyway.
constexpr std::chrono::seconds kShutdownGrace{3};

// SIGTERM must end the process within seconds whatever a collector or a
// request is doing (a probe in a long timeout, a scrape waiting for its
// deadline, a read stuck in the kernel): a detached watchdog exits after
// `grace` if the orderly shutdown has not finished by then.
void ExitIfShutdownStalls(std::chrono::seconds grace) {
  std::thread([grace] {
    std::this_thread::sleep_for(grace);
    Log(LogLevel::kWarn, "",
        "shutdown did not finish within " + std::to_string(grace.count()) +
            "s (a collector or request is still busy); exiting now");
    std::fflush(nullptr);
    std::_Exit(0);
  }).detach();
}

int Main(int argc, char** argv) {
  // Scrapes run each collector on a short-lived thread and civetweb keeps a
  // worker pool: with glibc's default of 8 arenas per core, every such
  // thread gets its own malloc arena and RSS triples for no gain. Two
  // arenas serve this low-concurrency daemon (measured: docs/benchmarks.md).
  mallopt(M_ARENA_MAX, 2);
  const CollectorRegistry& registry = BuiltinRegistry();
  CLI::App app{
      "mailflow_exporter: tells whether mail can flow through this Postfix "
      "server and, when it is refused or slow, why.",
      "mailflow_exporter"};
  app.get_formatter()->column_width(44);
  HttpOptions http;
  ExporterOptions options;
  bool config_check = false;
  std::string web_config_file;
  std::string log_level = "info";
  std::vector<std::string> listen;
  app.add_option("--web.listen-address", listen,
                 "Address to listen on for the web interface and telemetry; "
                 "repeatable. Default :10029.");
  app.add_option("--web.telemetry-path", http.telemetry_path,
                 "Path under which to expose metrics.")
      ->capture_default_str();
  app.add_option("--web.allowed-networks", http.allowed_networks,
                 "IPv4 network (CIDR) whose clients may connect; repeatable "
                 "or comma-separated. Others are disconnected right after "
                 "accept, before any request is read. Default: every "
                 "client.")
      ->delimiter(',');
  app.add_flag("--web.enable-lifecycle", http.enable_lifecycle,
               "Enable POST /-/reload (at most one per second).");
  app.add_option("--web.max-connections", http.num_threads,
                 "Connections served at once (worker threads); later ones "
                 "wait in the listen queue.")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  std::string read_timeout = "5s";
  app.add_option("--web.read-timeout", read_timeout,
                 "Time a client has to send its request headers (and to "
                 "complete the TLS handshake) once its connection is taken "
                 "up.")
      ->capture_default_str();
  app.add_option("--web.config.file", web_config_file,
                 "Path to a configuration file that enables TLS, basic "
                 "authentication and extra headers (Prometheus "
                 "exporter-toolkit format). Re-read on SIGHUP and POST "
                 "/-/reload.");
  app.add_option("--config.file", options.config_file,
                 "YAML configuration file. Default: the embedded defaults.");
  app.add_flag("--config.check", config_check,
               "Validate the configuration and exit (0 valid, 1 invalid).");
  app.add_option("--log.level", log_level,
                 "Only log messages with the given severity or above: debug, "
                 "info, warn, error.")
      ->capture_default_str();
  app.add_flag("--collector.disable-defaults",
               options.selection.disable_defaults,
               "Disable all collectors not explicitly enabled.");
  for (const CollectorInfo& info : registry.all()) {
    const std::string name = info.name;
    app.add_flag_function(
        "--collector." + name + ",!--no-collector." + name,
        [&options, name](int64_t count) {
          options.selection.flags[name] = count > 0;
        },
        "Enable the " + name + " collector (default: " +
            (info.enabled_by_default ? "enabled" : "disabled") + "). " +
            info.description);
  }
  app.set_version_flag("--version", VersionString());
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; any usage error exits 1.
    return app.exit(e) == 0 ? 0 : 1;
  }
  if (!listen.empty()) http.listen_addresses = listen;
  std::chrono::milliseconds read_timeout_ms{};
  if (!ParseDuration(read_timeout, &read_timeout_ms) ||
      read_timeout_ms < std::chrono::milliseconds(100) ||
      read_timeout_ms > std::chrono::minutes(5)) {
    std::fprintf(stderr,
                 "--web.read-timeout: \"%s\" is not a duration from 100ms "
                 "to 5m\n",
                 read_timeout.c_str());
    return 1;
  }
  http.request_timeout_ms = static_cast<int>(read_timeout_ms.count());
  std::string acl, acl_err;
  if (!AccessControlList(http.allowed_networks, &acl, &acl_err)) {
    std::fprintf(stderr, "%s\n", acl_err.c_str());
    return 1;
  }
  if (http.telemetry_path.empty() || http.telemetry_path[0] != '/') {
    std::fprintf(stderr, "--web.telemetry-path must start with '/'\n");
    return 1;
  }
  LogLevel level;
  if (!ParseLogLevel(log_level, &level)) {
    std::fprintf(stderr, "--log.level: unknown level \"%s\"\n",
                 log_level.c_str());
    return 1;
  }
  SetLogLevel(level);

  // Signals are taken synchronously by the main thread: block them before
  // any thread starts so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // A bad web config at start stops the exporter (also under
  // --config.check); on a reload it keeps the running one.
  if (!web_config_file.empty()) {
    auto web = std::make_shared<WebConfig>();
    std::string err;
    if (!LoadWebConfigFile(web_config_file, web.get(), &err)) {
      if (config_check) {
        std::fprintf(stderr, "%s\n", err.c_str());
      } else {
        Log(LogLevel::kError, "web", err);
      }
      return 1;
    }
    http.web = std::move(web);
  }

  if (config_check) {
    Config config;
    std::string err;
    if (http.web) {
      std::printf("%s: web configuration is valid\n", web_config_file.c_str());
    }
    if (!options.config_file.empty() &&
        !LoadConfigFile(options.config_file, &config, &err)) {
      std::fprintf(stderr, "%s\n", err.c_str());
      return 1;
    }
    if (!CollectorSet::Build(registry, config, options.selection, &err)) {
      std::fprintf(stderr, "%s\n", err.c_str());
      return 1;
    }
    std::printf("%s: configuration is valid\n",
                options.config_file.empty() ? "<embedded default>"
                                            : options.config_file.c_str());
    return 0;
  }

  Exporter exporter(registry, options);
  std::string err;
  if (!exporter.Init(&err)) {
    Log(LogLevel::kError, "config", err);
    return 1;
  }
  HttpServer server(&exporter, http);
  exporter.AddReloadHook(
      [&server](std::string* e) { return server.ReloadWebConfig(e); });
  if (!server.Start(&err)) {
    Log(LogLevel::kError, "web", err);
    return 1;
  }
  std::string collectors;
  for (const auto& n : exporter.collector_names()) {
    collectors += (collectors.empty() ? "" : ",") + n;
  }
  Log(LogLevel::kInfo, "", VersionString());
  Log(LogLevel::kInfo, "config",
      "loaded " + exporter.config_source() + "; collectors: " + collectors);
  for (const auto& a : server.bound_addresses()) {
    Log(LogLevel::kInfo, "web",
        "listening on " + a + (server.tls() ? " (TLS)" : ""));
  }
  if (http.web) {
    Log(LogLevel::kInfo, "web",
        "web config " + web_config_file + ": TLS " +
            (server.tls() ? "enabled" : "disabled") + ", basic auth " +
            (http.web->basic_auth_users.empty() ? "disabled" : "enabled"));
  }
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      exporter.Reload(&err);
      continue;
    }
    Log(LogLevel::kInfo, "",
        std::string("received ") + strsignal(sig) + ", shutting down");
    ExitIfShutdownStalls(kShutdownGrace);
    return 0;  // stops the HTTP server, then the collectors
  }
}

}  // namespace
}  // namespace mailflow

int main(int argc, char** argv) { return mailflow::Main(argc, argv); }
