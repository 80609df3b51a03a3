// ProbeHandler: the blackbox-style /probe endpoint's hook into collectors.
// A collector that can probe one target on demand (smtp) registers a handler
// per module name in Start(); the HTTP server looks the module up per
// request. Header-only so that no build file changes.
#pragma once

#include <prometheus/metric_family.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "lib/base/deadline.h"

namespace mailflow {

struct ProbeRequest {
  std::string target;  // the `target` query parameter, unparsed
  std::string module;  // the `module` query parameter
  Deadline deadline = Deadline::Never();  // from the scrape timeout header
};

/// What a probe handler answers: metric families, or why the request was
/// refused. The HTTP server alone turns it into a response (status code,
/// exposition text, gzip); a handler never formats HTTP.
struct ProbeResponse {
  enum class Outcome {
    kOk,          // the probe ran (or was cut short): `families` hold it
    kBadRequest,  // malformed request (unknown module, bad target): 400
    kForbidden,   // target not allowed by the configuration: 403
  };
  Outcome outcome = Outcome::kOk;
  /// For a refused request: one line for the client, without a newline.
  std::string message;
  /// For kOk: the probe's metric families, in the order they are shown.
  std::vector<prometheus::MetricFamily> families;

  static ProbeResponse Refused(Outcome outcome, std::string message) {
    ProbeResponse r;
    r.outcome = outcome;
    r.message = std::move(message);
    return r;
  }
};

/// Probes one target. Thread-safe: called from HTTP worker threads, also
/// while the collector that registered it is being replaced.
class ProbeHandler {
 public:
  virtual ~ProbeHandler() = default;
  virtual ProbeResponse Probe(const ProbeRequest& request) = 0;
};

/// Module name -> handler, one per exporter (CollectorContext::probes).
/// Thread-safe. A reload registers the new collector's handlers before the
/// old collector is destroyed, so the old one unregisters only the entries
/// that are still its own.
class ProbeRegistry {
 public:
  /// Replaces the handler of `module` (all modules of an owner are
  /// registered under the same `owner` token).
  void Set(const std::string& module, std::shared_ptr<ProbeHandler> handler,
           const void* owner) {
    std::lock_guard<std::mutex> lock(mu_);
    entries_[module] = Entry{std::move(handler), owner};
  }

  /// Removes every module still registered by `owner`.
  void RemoveOwner(const void* owner) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = entries_.begin(); it != entries_.end();) {
      it = it->second.owner == owner ? entries_.erase(it) : std::next(it);
    }
  }

  /// nullptr when no handler serves `module`.
  std::shared_ptr<ProbeHandler> Find(const std::string& module) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(module);
    return it == entries_.end() ? nullptr : it->second.handler;
  }

 private:
  struct Entry {
    std::shared_ptr<ProbeHandler> handler;
    const void* owner = nullptr;
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

}  // namespace mailflow
