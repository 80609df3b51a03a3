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
#include "lib/base/log.h"

namespace mailflow {
namespace {

// Whether `flag` was given on the command line (as "FLAG VALUE" or
// "FLAG=VALUE"), as opposed to through its environment variable.
bool OnCommandLine(int argc, char** argv, std::string_view flag) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") break;
    if (a.substr(0, flag.size()) == flag &&
        (a.size() == flag.size() || a[flag.size()] == '=')) {
      return true;
    }
  }
  return false;
}

// A collector setting that a flag or an environment variable can set over
// the config file (for containers: docker run -e, Kubernetes env).
struct OverrideFlag {
  const char* collector;
  const char* key;
  const char* env;
  const char* help;
  std::string value;
};

// Registers --collector.log.source and --collector.log.path (and their
// variables); their values land in the returned flags after parsing.
// REQUIRES: the result is not resized before app.parse() (CLI11 keeps
// pointers to each value).
std::vector<OverrideFlag> AddOverrideFlags(CLI::App* app) {
  std::vector<OverrideFlag> flags = {
      {"log",
       "source",
       "MAILFLOW_LOG_SOURCE",
       "Where the log collector reads Postfix's log, over the config file's "
       "collectors.log.source.",
       {}},
      {"log",
       "path",
       "MAILFLOW_LOG_PATH",
       "The log file the log collector follows, over the config file's "
       "collectors.log.path.",
       {}},
  };
  for (OverrideFlag& o : flags) {
    app->add_option(std::string("--collector.") + o.collector + "." + o.key,
                    o.value, o.help)
        ->envname(o.env);
  }
  return flags;
}

// The override flags that were given, each naming where it came from.
std::vector<CollectorOverride> CollectOverrides(
    const std::vector<OverrideFlag>& flags, int argc, char** argv) {
  std::vector<CollectorOverride> out;
  for (const OverrideFlag& o : flags) {
    if (o.value.empty()) continue;
    const std::string flag =
        std::string("--collector.") + o.collector + "." + o.key;
    out.push_back({o.collector, o.key, o.value,
                   OnCommandLine(argc, argv, flag)
                       ? flag
                       : std::string("environment variable ") + o.env});
  }
  return out;
}

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
  // Environment variables: the flag on the command line wins, then the
  // variable, then the config file, then the default.
  app.add_option("--web.listen-address", listen,
                 "Address to listen on for the web interface and telemetry; "
                 "repeatable. Default :10029.")
      ->envname("MAILFLOW_WEB_LISTEN_ADDRESS");
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
                 "/-/reload.")
      ->envname("MAILFLOW_WEB_CONFIG_FILE");
  app.add_option("--config.file", options.config_file,
                 "YAML configuration file. Default: the embedded defaults.")
      ->envname("MAILFLOW_CONFIG_FILE");
  app.add_flag("--config.check", config_check,
               "Validate the configuration and exit (0 valid, 1 invalid).");
  bool health_check = false;
  app.add_flag("--health-check", health_check,
               "Ask the exporter running with these --web.* settings for "
               "/-/healthy and exit 0 if it answers (200, or 401 with basic "
               "auth), else 1; for container HEALTHCHECKs.");
  app.add_option("--log.level", log_level,
                 "Only log messages with the given severity or above: debug, "
                 "info, warn, error.")
      ->capture_default_str()
      ->envname("MAILFLOW_LOG_LEVEL");
  std::vector<OverrideFlag> overrides = AddOverrideFlags(&app);
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
  options.overrides = CollectOverrides(overrides, argc, argv);
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

  if (health_check) return RunHealthCheck(http);

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
    ApplyOverrides(options.overrides, &config);
    if (!CollectorSet::Build(registry, config, options.selection, &err)) {
      std::fprintf(stderr, "%s\n", err.c_str());
      return 1;
    }
    std::printf("%s: configuration is valid\n",
                options.config_file.empty() ? "<embedded default>"
                                            : options.config_file.c_str());
    return 0;
  }

  // Before the exporter starts its threads, which inherit the result.
  const CapabilityReport caps = SetUpCapabilities();
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
  Log(caps.error.empty() ? LogLevel::kInfo : LogLevel::kWarn, "",
      DescribeCapabilities(caps));
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
