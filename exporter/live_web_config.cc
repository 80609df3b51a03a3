#include "exporter/live_web_config.h"

#include "config/config_map.h"

namespace mailflow {

namespace {

std::shared_ptr<const WebState> MakeState(
    std::shared_ptr<const WebConfig> config) {
  auto state = std::make_shared<WebState>();
  if (!config->basic_auth_users.empty()) {
    state->auth = std::make_shared<BasicAuth>(config->basic_auth_users);
  }
  for (const auto& [name, value] : config->headers) {
    state->headers += name + ": " + value + "\r\n";
  }
  state->config = std::move(config);
  return state;
}

}  // namespace

bool CheckWebConfigReload(const WebConfig& running, const WebConfig& next,
                          std::string* err) {
  if (running.tls_enabled == next.tls_enabled) return true;
  *err = next.source +
         (next.tls_enabled
              ? ": tls_server_config would turn TLS on, but the exporter "
                "serves plain HTTP until it is restarted"
              : ": tls_server_config is gone or empty, which would turn TLS "
                "off, but the exporter serves HTTPS until it is restarted");
  return false;
}

LiveWebConfig::LiveWebConfig(std::shared_ptr<const WebConfig> initial)
    : tls_enabled_(initial->tls_enabled),
      state_(MakeState(std::move(initial))) {}

bool LiveWebConfig::InitTls(std::string* err) {
  const std::shared_ptr<const WebState> state = Get();
  if (!tls_enabled_ || tls_.Replace(state->config->tls, err)) return true;
  *err = state->config->source + ": " + *err;
  return false;
}

std::shared_ptr<const WebState> LiveWebConfig::Get() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

bool LiveWebConfig::Reload(std::string* err) {
  const std::string path = Get()->config->source;
  std::string text;
  auto next = std::make_shared<WebConfig>();
  return ReadConfigFile(path, &text, err) &&
         ParseWebConfig(text, path, next.get(), err) &&
         Apply(std::move(next), err);
}

bool LiveWebConfig::Apply(std::shared_ptr<const WebConfig> next,
                          std::string* err) {
  std::lock_guard<std::mutex> reload_lock(reload_mu_);
  if (!CheckWebConfigReload(*Get()->config, *next, err)) return false;
  // The context first: if it cannot be built, nothing has changed.
  if (next->tls_enabled && !tls_.Replace(next->tls, err)) {
    *err = next->source + ": " + *err;
    return false;
  }
  std::shared_ptr<const WebState> state = MakeState(std::move(next));
  std::lock_guard<std::mutex> lock(mu_);
  state_.swap(state);
  return true;  // the old state goes with its last request
}

}  // namespace mailflow
