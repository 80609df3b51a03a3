#include "exporter/http_server.h"

#include <CivetServer.h>
#include <dlfcn.h>

#include <cstring>

#include "exporter/exporter.h"
#include "exporter/http_reply.h"
#include "exporter/live_web_config.h"
#include "exporter/reload_gate.h"
#include "exporter/web_pages.h"
#include "lib/base/log.h"

namespace mailflow {

namespace {

bool AcceptsGzip(mg_connection* conn) {
  const char* ae = mg_get_header(conn, "Accept-Encoding");
  return ae && std::strstr(ae, "gzip") != nullptr;
}

// Headers and body in one write: two would meet Nagle's algorithm and the
// client's delayed ACK (a 40 ms stall per response on loopback).
void WriteResponse(mg_connection* conn, int code, const char* content_type,
                   const std::string& body, bool head,
                   const std::string& extra_headers) {
  std::string out = "HTTP/1.1 " + std::to_string(code) + " " +
                    mg_get_response_code_text(conn, code) +
                    "\r\nContent-Type: " + content_type +
                    "\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\nConnection: close\r\n" + extra_headers + "\r\n";
  if (!head) {
    out.reserve(out.size() + body.size());
    out += body;
  }
  mg_write(conn, out.data(), out.size());
}

}  // namespace

class HttpServer::Router : public CivetHandler {
 public:
  Router(Exporter* exporter, const HttpOptions& options)
      : exporter_(exporter), options_(options) {
    if (options.web) web_ = std::make_unique<LiveWebConfig>(options.web);
  }

  bool InitTls(std::string* err) {
    // civetweb dlopens "libssl.so" and calls its SSL_get_peer_certificate on
    // every connection: without the shim (ssl_shim/) that is a NULL pointer.
    void* ssl = dlopen("libssl.so", RTLD_LAZY | RTLD_NOLOAD);
    const bool shim = ssl && dlsym(ssl, "SSL_get_peer_certificate");
    if (ssl) dlclose(ssl);
    if (!shim) {
      *err =
          "TLS needs mailflow_exporter's libssl.so shim (installed in "
          "lib/mailflow_exporter), which is not loaded; is LD_LIBRARY_PATH "
          "overriding the binary's RUNPATH?";
      return false;
    }
    return web_->InitTls(err);
  }

  LiveWebConfig* web() { return web_.get(); }

  // civetweb's begin_request: basic auth before any handler, for every
  // method and path. 0 lets civetweb go on; 401 means answered.
  static int BeginRequest(mg_connection* conn) {
    const mg_request_info* req = mg_get_request_info(conn);
    auto* server = static_cast<CivetServer*>(req->user_data);
    auto* self = static_cast<const Router*>(server->getUserContext());
    const std::shared_ptr<const WebState> web = self->web_->Get();
    if (!web->auth) return 0;
    const AuthDecision d = web->auth->Check(
        mg_get_header(conn, "Authorization"), req->remote_addr);
    const bool head =
        req->request_method && std::strcmp(req->request_method, "HEAD") == 0;
    switch (d.result) {
      case AuthDecision::kOk:
        return 0;
      case AuthDecision::kDenied:
        self->Reply(conn, 401, "text/plain; charset=utf-8", "Unauthorized\n",
                    head, "WWW-Authenticate: Basic\r\n");
        return 401;
      case AuthDecision::kThrottled:
        self->Reply(conn, 429, "text/plain; charset=utf-8",
                    "Too many failed logins from this address, or too many "
                    "at once; retry later\n",
                    head, RetryAfter(d.retry_after));
        return 429;
    }
    return 0;
  }

  // civetweb's external_ssl_ctx: serve our own SSL_CTX (certificate and key
  // in separate files, every client_auth_type), whose client hello callback
  // switches each connection to the current web config's context
  // (TlsContextSwitch). Called with *ctx == nullptr at start and with the
  // context when civetweb stops: 1 means ours to free.
  static int ExternalSslCtx(void** ctx, void* user_data) {
    auto* server = static_cast<CivetServer*>(user_data);
    auto* self = static_cast<const Router*>(server->getUserContext());
    if (*ctx == nullptr) *ctx = self->web_->tls()->base();
    return 1;
  }

  bool handleGet(CivetServer*, mg_connection* conn) override {
    return Handle(conn, false);
  }
  bool handleHead(CivetServer*, mg_connection* conn) override {
    return Handle(conn, true);
  }
  bool handlePost(CivetServer*, mg_connection* conn) override {
    const mg_request_info* req = mg_get_request_info(conn);
    std::string path = req->local_uri ? req->local_uri : "";
    if (path == "/-/reload") {
      Reload(conn);
      return true;
    }
    if (path == options_.telemetry_path || IsWebPage(path) ||
        path == "/-/healthy" || path == "/-/ready" || path == "/probe") {
      Reply(conn, 405, "text/plain; charset=utf-8", "Method Not Allowed\n",
            false, "Allow: GET, HEAD\r\n");
      return true;
    }
    Reply(conn, 404, "text/plain; charset=utf-8", "404 page not found\n");
    return true;
  }

 private:
  bool Handle(mg_connection* conn, bool head) {
    const mg_request_info* req = mg_get_request_info(conn);
    std::string path = req->local_uri ? req->local_uri : "";
    if (path == options_.telemetry_path) {
      Metrics(conn, head);
    } else if (IsWebPage(path)) {
      const WebPage page = RenderWebPage(
          exporter_, path, req->query_string ? req->query_string : "",
          options_.telemetry_path);
      Reply(conn, page.status, page.content_type.c_str(), page.body, head);
    } else if (path == "/probe") {
      Probe(conn, head);
    } else if (path == "/-/healthy") {
      Reply(conn, 200, "text/plain; charset=utf-8", "Healthy\n", head);
    } else if (path == "/-/ready") {
      Reply(conn, 200, "text/plain; charset=utf-8", "Ready\n", head);
    } else if (path == "/-/reload") {
      Reply(conn, 405, "text/plain; charset=utf-8",
            "This endpoint requires a POST request.\n", head,
            "Allow: POST\r\n");
    } else {
      Reply(conn, 404, "text/plain; charset=utf-8", "404 page not found\n",
            head);
    }
    return true;
  }

  // POST /-/reload: opt-in, one at a time, at most once per
  // reload_min_interval (a reload parses the config and builds collectors).
  void Reload(mg_connection* conn) {
    if (!options_.enable_lifecycle) {
      Reply(conn, 403, "text/plain; charset=utf-8",
            "Lifecycle API is not enabled.\n");
      return;
    }
    int retry_after = 0;
    if (!reload_gate_.TryStart(&retry_after)) {
      Reply(conn, 429, "text/plain; charset=utf-8",
            "A reload is running or ran less than " +
                std::to_string(options_.reload_min_interval.count()) +
                "ms ago; retry later\n",
            false, RetryAfter(retry_after));
      return;
    }
    std::string err;
    const bool ok = exporter_->Reload(&err);
    reload_gate_.Done();
    if (ok) {
      Reply(conn, 200, "text/plain; charset=utf-8", "OK\n");
    } else {
      Reply(conn, 500, "text/plain; charset=utf-8",
            "failed to reload config: " + err + "\n");
    }
  }

  static std::string RetryAfter(int seconds) {
    return "Retry-After: " + std::to_string(seconds) + "\r\n";
  }

  void Metrics(mg_connection* conn, bool head) {
    Deadline deadline = exporter_->ScrapeDeadline(
        mg_get_header(conn, "X-Prometheus-Scrape-Timeout-Seconds"));
    const mg_request_info* req = mg_get_request_info(conn);
    std::shared_ptr<const ScrapeResponse> r =
        exporter_->ScrapeFor(req->remote_addr, deadline);
    if (!r) {
      Reply(conn, 429, "text/plain; charset=utf-8",
            "Too many concurrent scrapes from " +
                std::string(req->remote_addr) +
                " (scrape.max_requests_per_client)\n",
            head, "Retry-After: 1\r\n");
      return;
    }
    const std::string* gz = AcceptsGzip(conn) ? r->gzipped() : nullptr;
    Reply(conn, 200, kExpositionContentType, gz ? *gz : r->body(), head,
          ExpositionHeaders(gz != nullptr));
  }

  // GET /probe?target=HOST:PORT&module=NAME (blackbox-style).
  void Probe(mg_connection* conn, bool head) {
    const mg_request_info* req = mg_get_request_info(conn);
    const char* q = req->query_string ? req->query_string : "";
    const size_t qlen = std::strlen(q);
    char target[512] = {}, module[128] = {};
    if (mg_get_var(q, qlen, "target", target, sizeof(target)) == -2 ||
        mg_get_var(q, qlen, "module", module, sizeof(module)) == -2) {
      Reply(conn, 400, "text/plain; charset=utf-8", "Parameter too long\n",
            head);
      return;
    }
    Deadline deadline = exporter_->ScrapeDeadline(
        mg_get_header(conn, "X-Prometheus-Scrape-Timeout-Seconds"));
    Reply(conn,
          ProbeReply(exporter_->Probe(target, module, deadline),
                     AcceptsGzip(conn)),
          head);
  }

  void Reply(mg_connection* conn, const HttpReply& r, bool head) const {
    Reply(conn, r.status, r.content_type.c_str(), r.body, head, r.headers);
  }

  // Every response carries the current web config's extra headers.
  void Reply(mg_connection* conn, int code, const char* content_type,
             const std::string& body, bool head = false,
             const std::string& extra_headers = "") const {
    WriteResponse(conn, code, content_type, body, head,
                  web_ ? web_->Get()->headers + extra_headers : extra_headers);
  }

  Exporter* exporter_;
  const HttpOptions& options_;
  std::unique_ptr<LiveWebConfig> web_;  // nullptr without a web config
  ReloadGate reload_gate_{options_.reload_min_interval};
};

HttpServer::HttpServer(Exporter* exporter, HttpOptions options)
    : exporter_(exporter), options_(std::move(options)) {}

HttpServer::~HttpServer() {
  server_.reset();  // stops civetweb threads before the router goes away
}

bool HttpServer::Start(std::string* err) {
  std::string ports;
  for (const auto& address : options_.listen_addresses) {
    std::string civet;
    if (!TranslateListenAddress(address, &civet, err)) return false;
    if (!ports.empty()) ports += ",";
    ports += civet + (tls() ? "s" : "");
    civet_addresses_.push_back(civet);
  }
  std::string acl;
  if (!AccessControlList(options_.allowed_networks, &acl, err)) return false;
  // Keep-alive off: civetweb keeps a connection's worker thread until the
  // connection closes, so a client sending requests back to back on one
  // connection (or idling between them) would own a worker; closed after
  // each response, connections take turns in accept order.
  std::vector<std::string> opts = {
      "listening_ports",    ports,
      "num_threads",        std::to_string(options_.num_threads),
      "request_timeout_ms", std::to_string(options_.request_timeout_ms),
      "max_request_size",   std::to_string(options_.max_request_size),
      "enable_keep_alive",  "no",
      "listen_backlog",     "1024",
  };
  if (!acl.empty()) {
    opts.push_back("access_control_list");
    opts.push_back(acl);
  }
  router_ = std::make_unique<Router>(exporter_, options_);
  CivetCallbacks callbacks;
  if (options_.web) callbacks.begin_request = &Router::BeginRequest;
  if (tls()) {
    if (!router_->InitTls(err)) return false;
    callbacks.external_ssl_ctx = &Router::ExternalSslCtx;
  }
  try {
    server_ = std::make_unique<CivetServer>(opts, &callbacks, router_.get());
  } catch (const CivetException& e) {
    *err = "cannot listen on " + ports + ": " + e.what();
    return false;
  }
  server_->addHandler("/", router_.get());
  return true;
}

bool HttpServer::ReloadWebConfig(std::string* err) {
  LiveWebConfig* web = router_ ? router_->web() : nullptr;
  if (!web) return true;
  if (!web->Reload(err)) {
    Log(LogLevel::kError, "web",
        "reload failed, keeping the running web configuration: " + *err);
    return false;
  }
  Log(LogLevel::kInfo, "web",
      "web configuration reloaded from " + web->Get()->config->source);
  return true;
}

std::vector<std::string> HttpServer::bound_addresses() const {
  std::vector<std::string> out;
  if (!server_) return out;
  std::vector<int> ports = server_->getListeningPorts();
  for (size_t i = 0; i < ports.size() && i < civet_addresses_.size(); ++i) {
    const std::string& a = civet_addresses_[i];
    out.push_back(a.substr(0, a.rfind(':')) + ":" + std::to_string(ports[i]));
  }
  return out;
}

}  // namespace mailflow
