// HttpServer: the exporter's own CivetServer with its handful of endpoints.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "exporter/listen_address.h"
#include "exporter/web_config.h"

namespace mailflow {

class Exporter;
}  // namespace mailflow
class CivetServer;
namespace mailflow {

/// Defaults chosen against hostile clients (docs/design/http.md): civetweb
/// gives a connection one worker thread from accept() to close, so what a
/// client can hold is bounded by the allowlist (checked at accept), the
/// request timeout and closing every connection after its response.
struct HttpOptions {
  /// Prometheus-style addresses: ":10029", "127.0.0.1:10029",
  /// "localhost:10029". Port 0 picks a free port (logged at start).
  std::vector<std::string> listen_addresses{":10029"};
  std::string telemetry_path = "/metrics";
  /// --web.allowed-networks: IPv4 networks whose clients may connect; the
  /// others are closed right after accept(). Empty: everyone.
  std::vector<std::string> allowed_networks;
  /// --web.enable-lifecycle: serve POST /-/reload (403 otherwise, as in
  /// Prometheus).
  bool enable_lifecycle = false;
  /// --web.max-connections: worker threads, i.e. connections served at
  /// once; later ones wait in the listen queue.
  int num_threads = 64;
  /// --web.read-timeout: a request's headers (and the TLS handshake) must
  /// have arrived this long after the connection was taken up.
  int request_timeout_ms = 5000;
  int max_request_size = 16384;
  /// POST /-/reload at most this often (429 with Retry-After otherwise).
  std::chrono::milliseconds reload_min_interval{1000};
  /// --web.config.file: TLS, basic auth, extra headers. nullptr: plain HTTP.
  std::shared_ptr<const WebConfig> web;
};

/// Serves /, /diagnose and /runbooks (web_pages.h), the telemetry path
/// (exact match), /-/healthy, /-/ready,
/// /probe (handlers registered by collectors, see collectors/common/probe.h)
/// and, with enable_lifecycle, POST /-/reload; 404 for anything else. Every
/// connection is closed after its response. With `options.web`: HTTPS, and
/// basic auth checked before any of them (401, or 429 for a throttled
/// source); its headers are added to every response. `exporter` must
/// outlive the server.
/// Thread-safe: civetweb calls handlers from its worker threads.
class HttpServer {
 public:
  HttpServer(Exporter* exporter, HttpOptions options);
  ~HttpServer();

  /// Binds and starts serving. Returns false with `*err` on failure.
  bool Start(std::string* err);
  /// "IP:PORT" of every bound socket, after Start().
  std::vector<std::string> bound_addresses() const;
  /// Whether the sockets serve HTTPS.
  bool tls() const { return options_.web && options_.web->tls_enabled; }

  /// Re-reads --web.config.file (users, headers, TLS context for new
  /// handshakes), all or nothing; logs the outcome. On failure (bad file,
  /// TLS turned on or off) the running web config stays and `*err` says
  /// why. True without a web config. Thread-safe after Start().
  bool ReloadWebConfig(std::string* err);

 private:
  class Router;
  Exporter* exporter_;
  HttpOptions options_;
  std::vector<std::string> civet_addresses_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<::CivetServer> server_;
};

}  // namespace mailflow
