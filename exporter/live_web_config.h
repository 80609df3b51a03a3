// LiveWebConfig: the --web.config.file a running server applies, swapped as
// a whole by a reload (SIGHUP, POST /-/reload) and read per request.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "exporter/basic_auth.h"
#include "exporter/tls_context_switch.h"
#include "exporter/web_config.h"

namespace mailflow {

/// What requests use: one web config's users and headers.
struct WebState {
  std::shared_ptr<const WebConfig> config;
  /// nullptr without basic_auth_users. A new object (empty success cache)
  /// for every config swapped in: no password of an older table is let in.
  std::shared_ptr<BasicAuth> auth;
  std::string headers;  // "Name: value\r\n"...
};

/// Whether `next` may replace `running` on a reload. TLS cannot be turned
/// on or off: the sockets serve HTTPS or plain HTTP until a restart.
bool CheckWebConfigReload(const WebConfig& running, const WebConfig& next,
                          std::string* err);

/// Thread-safe: Get() from the HTTP threads, Reload() from one at a time.
class LiveWebConfig {
 public:
  /// `initial`: the web config read at start (LoadWebConfigFile).
  explicit LiveWebConfig(std::shared_ptr<const WebConfig> initial);

  /// With TLS, builds the first context of tls(). `*err` names the file.
  bool InitTls(std::string* err);

  /// The state to serve a request with (kept alive by the caller).
  std::shared_ptr<const WebState> Get() const;

  /// Whether the server was started with TLS (fixed until a restart).
  bool tls_enabled() const { return tls_enabled_; }
  TlsContextSwitch* tls() { return &tls_; }

  /// Re-reads the file the running config came from and applies it: all or
  /// nothing, see Apply().
  bool Reload(std::string* err);

  /// Applies `next`: refused by CheckWebConfigReload, or when its TLS
  /// context cannot be built (unreadable certificate or key, key mismatch);
  /// then the running config stays and `*err` says why, naming the file.
  bool Apply(std::shared_ptr<const WebConfig> next, std::string* err);

 private:
  const bool tls_enabled_;
  TlsContextSwitch tls_;
  std::mutex reload_mu_;   // one Reload()/Apply() at a time
  mutable std::mutex mu_;  // guards state_
  std::shared_ptr<const WebState> state_;
};

}  // namespace mailflow
