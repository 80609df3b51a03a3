// mailflow_exporter: flags, wiring, signals.
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

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
#include "exporter/capabilities.h"
#include "exporter/diagnose_command.h"
#include "exporter/exporter.h"
#include "exporter/health_check.h"
#include "exporter/http_server.h"
#include "exporter/override_flags.h"
#include "lib/base/log.h"
#include "lib/base/str_join.h"

namespace mailflow {
namespace {

// --health-check: asks the running exporter, prints the verdict.
int RunHealthCheck(const HttpOptions& http) {
  DropAllCapabilities();
  std::string message;
  const bool healthy =
      CheckHealth(http, std::chrono::milliseconds(5000), &message);
  std::printf("%s: %s\n", healthy ? "healthy" : "unhealthy", message.c_str());
  return healthy ? 0 : 1;
}

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

// Everything the command line sets. CLI11 keeps pointers into it: it must
// not move once its flags are registered.
struct Flags {
  HttpOptions http;
  ExporterOptions options;
  bool config_check = false;
  bool health_check = false;
  std::string web_config_file;
  std::string log_level = "info";
  std::string read_timeout = "5s";
  std::vector<std::string> listen;
  std::vector<OverrideFlag> overrides;
  DiagnoseOptions diagnose;
  CLI::App* diagnose_cmd = nullptr;
};

// --web.*: where and how the HTTP server listens. Environment variables:
// the flag on the command line wins, then the variable, then the config
// file, then the default.
void AddWebFlags(CLI::App* app, Flags* f) {
  app->add_option("--web.listen-address", f->listen,
                  "Address to listen on for the web interface and telemetry; "
                  "repeatable. Default :10029.")
      ->envname("MAILFLOW_WEB_LISTEN_ADDRESS");
  app->add_option("--web.telemetry-path", f->http.telemetry_path,
                  "Path under which to expose metrics.")
      ->capture_default_str();
  app->add_option("--web.allowed-networks", f->http.allowed_networks,
                  "IPv4 network (CIDR) whose clients may connect; repeatable "
                  "or comma-separated. Others are disconnected right after "
                  "accept, before any request is read. Default: every "
                  "client.")
      ->delimiter(',');
  app->add_flag("--web.enable-lifecycle", f->http.enable_lifecycle,
                "Enable POST /-/reload (at most one per second).");
  app->add_option("--web.max-connections", f->http.num_threads,
                  "Connections served at once (worker threads); later ones "
                  "wait in the listen queue.")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app->add_option("--web.read-timeout", f->read_timeout,
                  "Time a client has to send its request headers (and to "
                  "complete the TLS handshake) once its connection is taken "
                  "up.")
      ->capture_default_str();
  app->add_option("--web.config.file", f->web_config_file,
                  "Path to a configuration file that enables TLS, basic "
                  "authentication and extra headers (Prometheus "
                  "exporter-toolkit format). Re-read on SIGHUP and POST "
                  "/-/reload.")
      ->envname("MAILFLOW_WEB_CONFIG_FILE");
}

// --config.*, --health-check, --log.level, --collector.*, --version and the
// diagnose command.
void AddRunFlags(CLI::App* app, const CollectorRegistry& registry, Flags* f) {
  app->add_option("--config.file", f->options.config_file,
                  "YAML configuration file. Default: the embedded defaults.")
      ->envname("MAILFLOW_CONFIG_FILE");
  app->add_flag("--config.check", f->config_check,
                "Validate the configuration and exit (0 valid, 1 invalid).");
  app->add_flag("--health-check", f->health_check,
                "Ask the exporter running with these --web.* settings for "
                "/-/healthy and exit 0 if it answers (200, or 401 with basic "
                "auth), else 1; for container HEALTHCHECKs.");
  app->add_option("--log.level", f->log_level,
                  "Only log messages with the given severity or above: "
                  "debug, info, warn, error.")
      ->capture_default_str()
      ->envname("MAILFLOW_LOG_LEVEL");
  f->overrides = AddOverrideFlags(app);
  app->add_flag("--collector.disable-defaults",
                f->options.selection.disable_defaults,
                "Disable all collectors not explicitly enabled.");
  for (const CollectorInfo& info : registry.all()) {
    const std::string name = info.name;
    ExporterOptions* options = &f->options;
    app->add_flag_function(
        "--collector." + name + ",!--no-collector." + name,
        [options, name](int64_t count) {
          options->selection.flags[name] = count > 0;
        },
        "Enable the " + name + " collector (default: " +
            (info.enabled_by_default ? "enabled" : "disabled") + "). " +
            info.description);
  }
  app->set_version_flag("--version", VersionString());
  f->diagnose_cmd = AddDiagnoseCommand(app, &f->diagnose);
}

// What CLI11 cannot check on its own: durations, networks, paths, the log
// level; fills the derived HttpOptions fields and the overrides. False with
// `*err` (one line, naming the flag) on a bad value.
bool ValidateFlags(int argc, char** argv, Flags* f, std::string* err) {
  if (!f->listen.empty()) f->http.listen_addresses = f->listen;
  f->options.overrides = CollectOverrides(f->overrides, argc, argv);
  std::chrono::milliseconds read_timeout{};
  if (!ParseDuration(f->read_timeout, &read_timeout) ||
      read_timeout < std::chrono::milliseconds(100) ||
      read_timeout > std::chrono::minutes(5)) {
    *err = "--web.read-timeout: \"" + f->read_timeout +
           "\" is not a duration from 100ms to 5m";
    return false;
  }
  f->http.request_timeout_ms = static_cast<int>(read_timeout.count());
  std::string acl;
  if (!AccessControlList(f->http.allowed_networks, &acl, err)) return false;
  if (f->http.telemetry_path.empty() || f->http.telemetry_path[0] != '/') {
    *err = "--web.telemetry-path must start with '/'";
    return false;
  }
  LogLevel level;
  if (!ParseLogLevel(f->log_level, &level)) {
    *err = "--log.level: unknown level \"" + f->log_level + "\"";
    return false;
  }
  SetLogLevel(level);
  return true;
}

// Signals are taken synchronously by the main thread: blocked before any
// thread starts so every thread inherits the mask. Returns the set to
// sigwait() on.
sigset_t BlockShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return signals;
}

// --web.config.file into f->http.web. A bad web config at start stops the
// exporter (also under --config.check); on a reload it keeps the running
// one.
bool LoadStartupWebConfig(Flags* f) {
  if (f->web_config_file.empty()) return true;
  auto web = std::make_shared<WebConfig>();
  std::string err;
  if (!LoadWebConfigFile(f->web_config_file, web.get(), &err)) {
    if (f->config_check) {
      std::fprintf(stderr, "%s\n", err.c_str());
    } else {
      Log(LogLevel::kError, "web", err);
    }
    return false;
  }
  f->http.web = std::move(web);
  return true;
}

// --config.check: the config file and the collector set it builds.
int CheckConfig(const CollectorRegistry& registry, const Flags& f) {
  Config config;
  std::string err;
  if (f.http.web) {
    std::printf("%s: web configuration is valid\n", f.web_config_file.c_str());
  }
  if (!f.options.config_file.empty() &&
      !LoadConfigFile(f.options.config_file, &config, &err)) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  ApplyOverrides(f.options.overrides, &config);
  if (!CollectorSet::Build(registry, config, f.options.selection, &err)) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  std::printf("%s: configuration is valid\n",
              f.options.config_file.empty() ? "<embedded default>"
                                            : f.options.config_file.c_str());
  return 0;
}

// The start-up lines: version, capabilities, config, listen addresses.
void LogStartup(const Exporter& exporter, const HttpServer& server,
                const CapabilityReport& caps, const Flags& f) {
  Log(LogLevel::kInfo, "", VersionString());
  Log(caps.error.empty() ? LogLevel::kInfo : LogLevel::kWarn, "",
      DescribeCapabilities(caps));
  Log(LogLevel::kInfo, "config",
      "loaded " + exporter.config_source() +
          "; collectors: " + StrJoin(exporter.collector_names(), ","));
  for (const auto& a : server.bound_addresses()) {
    Log(LogLevel::kInfo, "web",
        "listening on " + a + (server.tls() ? " (TLS)" : ""));
  }
  if (f.http.web) {
    Log(LogLevel::kInfo, "web",
        "web config " + f.web_config_file + ": TLS " +
            (server.tls() ? "enabled" : "disabled") + ", basic auth " +
            (f.http.web->basic_auth_users.empty() ? "disabled" : "enabled"));
  }
}

// Serves until SIGINT or SIGTERM; SIGHUP reloads. REQUIRES: `signals` are
// blocked in every thread (BlockShutdownSignals).
int Serve(const CollectorRegistry& registry, const Flags& f,
          const sigset_t& signals) {
  // Before the exporter starts its threads, which inherit the result.
  const CapabilityReport caps = SetUpCapabilities();
  Exporter exporter(registry, f.options);
  std::string err;
  if (!exporter.Init(&err)) {
    Log(LogLevel::kError, "config", err);
    return 1;
  }
  HttpServer server(&exporter, f.http);
  exporter.AddReloadHook(
      [&server](std::string* e) { return server.ReloadWebConfig(e); });
  if (!server.Start(&err)) {
    Log(LogLevel::kError, "web", err);
    return 1;
  }
  LogStartup(exporter, server, caps, f);
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

// `diagnose`: runs the guide once and exits without joining probe threads.
[[noreturn]] void DiagnoseAndExit(const CollectorRegistry& registry,
                                  const CLI::App& app, const Flags& f) {
  // The report says what the collectors found; their log lines would
  // repeat it on stderr.
  if (app.count("--log.level") == 0) SetLogLevel(LogLevel::kError);
  const int rc = RunDiagnose(registry, f.options, f.diagnose);
  std::fflush(stdout);
  std::fflush(stderr);
  // Probe threads may still wait on a socket: don't join them.
  _exit(rc);
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
  Flags flags;
  AddWebFlags(&app, &flags);
  AddRunFlags(&app, registry, &flags);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; any usage error exits 1 (3 for diagnose:
    // "could not run").
    if (app.exit(e) == 0) return 0;
    return IsDiagnoseCall(argc, argv) ? diagnose::kExitCouldNotRun : 1;
  }
  std::string err;
  if (!ValidateFlags(argc, argv, &flags, &err)) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  if (flags.diagnose_cmd->parsed()) DiagnoseAndExit(registry, app, flags);
  const sigset_t signals = BlockShutdownSignals();
  if (!LoadStartupWebConfig(&flags)) return 1;
  if (flags.health_check) return RunHealthCheck(flags.http);
  if (flags.config_check) return CheckConfig(registry, flags);
  return Serve(registry, flags, signals);
}

}  // namespace
}  // namespace mailflow

int main(int argc, char** argv) { return mailflow::Main(argc, argv); }
