// mailflow_exporter: flags, wiring, signals.
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>

#include "collectors/registry.h"
#include "config/config_map.h"
#include "exporter/diagnose_command.h"
#include "exporter/exporter.h"
#include "exporter/http_server.h"
#include "lib/base/log.h"

namespace mailflow {
namespace {

std::string VersionString() {
  return std::string("mailflow_exporter, version ") + ExporterVersion() +
         " (revision " + ExporterRevision() + ")";
}

bool IsDiagnoseCall(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "diagnose") == 0) return true;
  }
  return false;
}

// `mailflow_exporter diagnose [--format=json] ...`; the serving flags
// (--config.file, --collector.NAME) apply too, before or after it.
CLI::App* AddDiagnoseCommand(CLI::App* app, DiagnoseOptions* o) {
  CLI::App* cmd = app->add_subcommand(
      "diagnose",
      "Run the troubleshooting guide once and print each step's verdict "
      "(OK, WARN, FAIL, SKIPPED), its evidence and the fix. Exit status: 0 "
      "all OK, 1 warnings, 2 failures, 3 could not run or could not check "
      "a step.");
  cmd->fallthrough();
  cmd->add_option("--format", o->format, "Output: text or json.")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->add_option("--color", o->colour,
                  "Colour the statuses: auto (on a terminal, unless NO_COLOR "
                  "is set), always, never.")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  cmd->add_option_function<std::string>(
      "--timeout",
      [o](const std::string& v) {
        std::chrono::milliseconds d{0};
        if (!ParseDuration(v, &d) || d.count() < 1000 ||
            d > std::chrono::minutes(10)) {
          throw CLI::ValidationError("--timeout",
                                     "a duration between 1s and 10m, like 15s");
        }
        o->timeout = d;
      },
      "Upper bound of the whole run, probe rounds included (default 15s).");
  return cmd;
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
  DiagnoseOptions diagnose;
  CLI::App* diagnose_cmd = AddDiagnoseCommand(&app, &diagnose);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; any usage error exits 1 (3 for diagnose:
    // "could not run").
    if (app.exit(e) == 0) return 0;
    return IsDiagnoseCall(argc, argv) ? diagnose::kExitCouldNotRun : 1;
  }
  if (!listen.empty()) http.listen_addresses = listen;
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
  if (diagnose_cmd->parsed()) {
    // The report says what the collectors found; their log lines would
    // repeat it on stderr.
    if (app.count("--log.level") == 0) SetLogLevel(LogLevel::kError);
    const int rc = RunDiagnose(registry, options, diagnose);
    std::fflush(stdout);
    std::fflush(stderr);
    // Probe threads may still wait on a socket: don't join them.
    _exit(rc);
  }

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
    return 0;
  }
}

}  // namespace
}  // namespace mailflow

int main(int argc, char** argv) { return mailflow::Main(argc, argv); }
