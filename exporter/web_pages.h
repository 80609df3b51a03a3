// The pages for humans: the live board at / and /diagnose (also as JSON and
// text), and the runbooks at /runbooks. Served by HttpServer behind the same
// TLS and basic auth as /metrics.
#pragma once

#include <string>

namespace mailflow {

class Exporter;

struct WebPage {
  int status = 200;
  std::string content_type;
  std::string body;
};

/// Whether `path` is one of the pages ("/", "/diagnose", "/runbooks").
bool IsWebPage(const std::string& path);

/// Renders the page at `path` (IsWebPage) for the raw query string:
///   /          the board (HTML); ?refresh=N seconds (0: no reload, max 3600)
///   /diagnose  the same; ?format=json (docs/diagnose.schema.json) or text
///   /runbooks  dashboards/runbooks.md as HTML
/// The board runs the collectors once within the default scrape deadline.
/// 400 for a bad format or refresh. Thread-safe.
WebPage RenderWebPage(Exporter* exporter, const std::string& path,
                      const std::string& query,
                      const std::string& telemetry_path);

}  // namespace mailflow
