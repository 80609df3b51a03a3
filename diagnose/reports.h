// Renderers of a Diagnosis: terminal text, JSON (docs/diagnose.md, schema
// docs/diagnose.schema.json) and the HTML board served at / and /diagnose.
// Pure functions of the Diagnosis; thread-safe.
#pragma once

#include <string>

#include "diagnose/diagnosis.h"

namespace mailflow::diagnose {

/// The checklist for a terminal. `colour`: ANSI colours for the statuses
/// (status words are always printed, so nothing depends on colour). Control
/// characters of the evidence (log lines, file contents) are escaped.
std::string RenderText(const Diagnosis& d, bool colour);

/// Version of the JSON document's schema ("schema_version"). Bumped on any
/// change that is not a compatible addition.
inline constexpr int kJsonSchemaVersion = 1;

/// The JSON document (docs/diagnose.schema.json), pretty-printed.
std::string RenderJson(const Diagnosis& d);

struct HtmlOptions {
  /// Where the exporter serves things (relative links, so TLS and proxies
  /// keep working).
  std::string metrics_path = "/metrics";
  /// <meta http-equiv="refresh">, seconds; 0: none.
  int refresh_seconds = 30;
  /// Enabled collectors and the config source, for the footer.
  std::string collectors;
};

/// A complete HTML page: no scripts, no external assets, readable on a
/// phone, statuses as words (not only colour).
std::string RenderHtml(const Diagnosis& d, const HtmlOptions& options);

/// "/runbooks#ANCHOR" for a runbook name (an alert name).
std::string RunbookHref(const std::string& runbook);

}  // namespace mailflow::diagnose
