#include "exporter/web_pages.h"

#include <CivetServer.h>

#include <cstring>

#include "diagnose/reports.h"
#include "diagnose/runbooks.h"
#include "exporter/exporter.h"
#include "lib/base/parse_int.h"
#include "lib/base/str_join.h"

namespace mailflow {

namespace {

constexpr const char* kHtml = "text/html; charset=utf-8";
constexpr const char* kText = "text/plain; charset=utf-8";

WebPage BadRequest(const std::string& message) {
  return {400, kText, message + "\n"};
}

// A query parameter ("" when absent); false when it is too long.
bool QueryVar(const std::string& query, const char* name, std::string* out) {
  char buf[64] = {};
  const int n = mg_get_var(query.c_str(), query.size(), name, buf, sizeof buf);
  if (n == -2) return false;
  *out = n >= 0 ? buf : "";
  return true;
}

}  // namespace

bool IsWebPage(const std::string& path) {
  return path == "/" || path == "/diagnose" || path == "/runbooks";
}

WebPage RenderWebPage(Exporter* exporter, const std::string& path,
                      const std::string& query,
                      const std::string& telemetry_path) {
  if (path == "/runbooks") return {200, kHtml, diagnose::RunbooksPage()};
  std::string format, refresh;
  if (!QueryVar(query, "format", &format) ||
      !QueryVar(query, "refresh", &refresh)) {
    return BadRequest("query parameter too long");
  }
  if (format.empty()) format = "html";
  if (format != "html" && format != "json" && format != "text") {
    return BadRequest("format must be html, json or text");
  }
  diagnose::HtmlOptions html;
  if (!refresh.empty()) {
    if (!ParseInt(refresh, 0, 3600, &html.refresh_seconds)) {
      return BadRequest("refresh must be 0 to 3600 seconds");
    }
  }
  const diagnose::Diagnosis d =
      exporter->Diagnose(exporter->ScrapeDeadline(nullptr));
  if (format == "json") {
    return {200, "application/json", diagnose::RenderJson(d)};
  }
  if (format == "text") return {200, kText, diagnose::RenderText(d, false)};
  html.metrics_path = telemetry_path;
  html.collectors = StrJoin(exporter->collector_names(), ", ");
  return {200, kHtml, diagnose::RenderHtml(d, html)};
}

}  // namespace mailflow
