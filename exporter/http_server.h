// HttpServer: the exporter's own CivetServer with its handful of endpoints.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "exporter/web_config.h"

namespace mailflow {

class Exporter;
}  // namespace mailflow
class CivetServer;
namespace mailflow {

struct HttpOptions {
  /// Prometheus-style addresses: ":10029", "127.0.0.1:10029",
  /// "localhost:10029". Port 0 picks a free port (logged at start).
  std::vector<std::string> listen_addresses{":10029"};
  std::string telemetry_path = "/metrics";
  int num_threads = 8;
  int request_timeout_ms = 60000;
  int max_request_size = 16384;
  /// --web.config.file: TLS, basic auth, extra headers. nullptr: plain HTTP.
  std::shared_ptr<const WebConfig> web;
};

/// Translates a Prometheus-style listen address to civetweb's
/// "IP:PORT" form. Returns false with `*err` for anything civetweb cannot
/// bind (host names other than localhost, IPv6: Debian's civetweb is built
/// without IPv6).
bool TranslateListenAddress(const std::string& address, std::string* out,
                            std::string* err);

/// Serves /, /diagnose and /runbooks (web_pages.h), the telemetry path
/// (exact match), /-/healthy, /-/ready,
/// /probe (handlers registered by collectors, see collectors/common/probe.h)
/// and POST /-/reload; 404 for anything else. With `options.web`: HTTPS, and
/// basic auth checked before any of them (401 otherwise); its headers are
/// added to every response. `exporter` must outlive the server.
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
