// ProbeHandler: the blackbox-style /probe endpoint's hook into collectors.
// A collector that can probe one target on demand (smtp) registers a handler
// per module name in Start(); the HTTP server looks the module up per
// request. Header-only so that no build file changes.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "lib/base/deadline.h"

namespace mailflow {

struct ProbeRequest {
  std::string target;  // the `target` query parameter, unparsed
  std::string module;  // the `module` query parameter
  Deadline deadline = Deadline::Never();  // from the scrape timeout header
};

struct ProbeResponse {
  /// 200 with metrics; 400 malformed request; 403 target not allowed.
  int http_status = 200;
  std::string content_type = "text/plain; version=0.0.4; charset=utf-8";
  std::string body;
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
