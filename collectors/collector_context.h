// CollectorContext: what the collectors of one exporter share at run time.
#pragma once

#include <memory>

#include "collectors/common/destination_domains.h"
#include "collectors/common/probe.h"
#include "lib/postfix/postfix_snapshot.h"

namespace mailflow {

/// Owned by the Exporter and handed to every collector factory; it outlives
/// configuration reloads, so a new collector set starts from what the old
/// one observed. Collectors keep the shared_ptrs they need. Every member is
/// thread-safe and never null.
struct CollectorContext {
  /// Written by the queue collector, read by the dns collector.
  std::shared_ptr<DestinationDomains> destination_domains =
      std::make_shared<DestinationDomains>();
  /// The /probe modules: registered by the smtp collector, looked up by the
  /// HTTP server (Exporter::Probe).
  std::shared_ptr<ProbeRegistry> probes = std::make_shared<ProbeRegistry>();
  /// main.cf/master.cf parsed once and reused while unchanged: every
  /// collector that reads Postfix's configuration asks this cache.
  std::shared_ptr<PostfixSnapshotCache> postfix =
      std::make_shared<PostfixSnapshotCache>();
};

}  // namespace mailflow
