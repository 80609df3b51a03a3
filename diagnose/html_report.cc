// The HTML board: the checklist served at / and /diagnose. Server-rendered,
// no scripts, no external assets; inline CSS that reads on a phone.
#include <cstdio>

#include "diagnose/markdown.h"
#include "diagnose/reports.h"

namespace mailflow::diagnose {

namespace {

constexpr const char* kStyle = R"css(
:root{color-scheme:light dark;--fg:#1b1b1b;--bg:#fff;--muted:#5c5c5c;
--line:#d0d0d0;--ok:#1a7f37;--warn:#9a6700;--fail:#c62828;--skip:#5c5c5c;
--okbg:#e8f5e9;--warnbg:#fff4d6;--failbg:#fde8e8;--skipbg:#f0f0f0}
@media (prefers-color-scheme:dark){:root{--fg:#e8e8e8;--bg:#161616;
--muted:#a8a8a8;--line:#3a3a3a;--ok:#7ee2a0;--warn:#f5c451;--fail:#ff8a80;
--skip:#b0b0b0;--okbg:#14301d;--warnbg:#3a2e0c;--failbg:#3d1515;
--skipbg:#262626}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:60rem;padding:1rem;font:16px/1.45 system-ui,
-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.1rem;margin:0}
a{color:inherit}code{font:.9em/1.4 ui-monospace,Menlo,Consolas,monospace;
overflow-wrap:anywhere;white-space:pre-wrap}
.muted,small{color:var(--muted)}
.badge{display:inline-block;min-width:5.2em;text-align:center;font-weight:700;
border:2px solid currentColor;border-radius:.3em;padding:0 .3em;
margin-right:.4em;font-size:.85rem}
.badge.s-ok{color:var(--ok)}.badge.s-warn{color:var(--warn)}
.badge.s-fail{color:var(--fail)}.badge.s-skipped{color:var(--skip)}
ol.steps{list-style:none;padding:0;margin:1rem 0}
li.step{border:1px solid var(--line);border-left-width:.5rem;
border-radius:.3rem;padding:.6rem .8rem;margin:.6rem 0}
li.step.s-ok{border-left-color:var(--ok)}
li.step.s-warn{border-left-color:var(--warn);background:var(--warnbg)}
li.step.s-fail{border-left-color:var(--fail);background:var(--failbg)}
li.step.s-skipped{border-left-color:var(--skip)}
ul.findings{list-style:none;padding:0;margin:.4rem 0 0}
li.finding{margin:.5rem 0 0;padding-top:.4rem;border-top:1px dashed var(--line)}
li.finding p{margin:0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .8rem;
margin:.4rem 0 0 .2rem}dt{font-weight:600}dd{margin:0;min-width:0}
.overall{font-size:1.1rem;font-weight:600}
footer{border-top:1px solid var(--line);margin-top:1.5rem;padding-top:.5rem}
nav a{margin-right:1rem;display:inline-block}
@media (max-width:32rem){body{padding:.5rem}dl{grid-template-columns:1fr}
dt{margin-top:.3rem}.badge{min-width:0}}
)css";

std::string Relative(const std::string& path) {
  return path.size() > 1 && path[0] == '/' ? path.substr(1) : path;
}

std::string StatusClass(CheckStatus s) {
  return "s-" + std::string(StatusName(s));
}

std::string Badge(CheckStatus s) {
  return "<span class=\"badge " + StatusClass(s) + "\">" +
         std::string(StatusLabel(s)) + "</span> ";
}

void AddFinding(const Finding& f, std::string* out) {
  std::string& h = *out;
  h += "<li class=\"finding " + StatusClass(f.status) + "\"><p>" +
       Badge(f.status);
  if (!f.subject.empty())
    h += "<strong>" + HtmlEscape(f.subject) + "</strong>: ";
  h += HtmlEscape(f.summary) + "</p>\n";
  std::string dl;
  for (const Evidence& e : f.evidence) {
    dl += "<dt>Evidence</dt><dd><code>" + HtmlEscape(e.text) + "</code>";
    if (!e.source.empty()) dl += " <small>" + HtmlEscape(e.source) + "</small>";
    dl += "</dd>\n";
  }
  if (!f.fix.empty()) {
    dl += "<dt>Fix</dt><dd><code>" + HtmlEscape(f.fix) + "</code></dd>\n";
  }
  if (!f.apply.empty()) {
    dl += "<dt>Then</dt><dd><code>" + HtmlEscape(f.apply) + "</code></dd>\n";
  }
  if (!f.runbook.empty()) {
    dl += "<dt>Runbook</dt><dd><a href=\"" +
          HtmlEscape(Relative(RunbookHref(f.runbook))) + "\">" +
          HtmlEscape(f.runbook) + "</a></dd>\n";
  }
  if (!dl.empty()) h += "<dl>\n" + dl + "</dl>\n";
  h += "</li>\n";
}

void AddStep(const StepResult& step, std::string* out) {
  std::string& h = *out;
  const std::string id(step.info->id);
  h += "<li class=\"step " + StatusClass(step.status) + "\" id=\"step-" + id +
       "\">\n<h2>" + Badge(step.status) + HtmlEscape(step.info->title) +
       "</h2>\n";
  if (step.findings.empty()) {
    h += std::string("<p class=\"muted\">") +
         (step.unchecked ? "Could not be checked: " : "Not checked: ") +
         HtmlEscape(step.reason) + "</p>\n";
  } else {
    h += "<ul class=\"findings\">\n";
    for (const Finding& f : step.findings) AddFinding(f, out);
    h += "</ul>\n";
  }
  h += "</li>\n";
}

std::string Overall(const Diagnosis& d) {
  const std::vector<int> c = d.Counts();
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "%d failing, %d warning, %d OK, %d skipped of %zu steps", c[3],
                c[2], c[1], c[0], d.steps.size());
  return buf;
}

}  // namespace

std::string RunbookHref(const std::string& runbook) {
  return "/runbooks#" + HeadingSlug(runbook);
}

std::string RenderHtml(const Diagnosis& d, const HtmlOptions& o) {
  const CheckStatus worst = d.Worst();
  const std::string host = HtmlEscape(d.meta.host);
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, "
      "initial-scale=1\">\n<link rel=\"icon\" href=\"data:,\">\n";
  if (o.refresh_seconds > 0) {
    h += "<meta http-equiv=\"refresh\" content=\"" +
         std::to_string(o.refresh_seconds) + "\">\n";
  }
  h += "<title>" + std::string(StatusLabel(worst)) + ": mail flow on " + host +
       " - mailflow_exporter</title>\n<style>" + kStyle +
       "</style>\n</head>\n<body>\n<header>\n<h1>Mail flow on " + host +
       "</h1>\n<p class=\"overall " + StatusClass(worst) + "\">" +
       Badge(worst) + HtmlEscape(Overall(d)) + "</p>\n";
  char took[64];
  std::snprintf(took, sizeof took, "%.1f", d.meta.duration_seconds);
  h += "<p class=\"muted\">Checked at " +
       HtmlEscape(FormatTimestamp(d.meta.started_at)) + " in " + took + " s";
  if (o.refresh_seconds > 0) {
    h += "; this page reloads every " + std::to_string(o.refresh_seconds) +
         " s (<a href=\"?refresh=0\">stop reloading</a>)";
  }
  h += ". The same checks in a terminal: <code>mailflow_exporter "
       "diagnose</code>.</p>\n</header>\n<main>\n<ol class=\"steps\">\n";
  for (const StepResult& step : d.steps) AddStep(step, &h);
  h += "</ol>\n</main>\n<footer>\n<nav aria-label=\"Exporter\">"
       "<a href=\"" +
       HtmlEscape(Relative(o.metrics_path)) +
       "\">Metrics</a>"
       "<a href=\"diagnose?format=json\">This board as JSON</a>"
       "<a href=\"runbooks\">Runbooks</a>"
       "<a href=\"-/healthy\">Health</a></nav>\n<p class=\"muted\">"
       "mailflow_exporter " +
       HtmlEscape(d.meta.version) + " (revision " +
       HtmlEscape(d.meta.revision) +
       "); configuration: " + HtmlEscape(d.meta.config_source);
  if (!o.collectors.empty()) {
    h += "; collectors: " + HtmlEscape(o.collectors);
  }
  h += ".</p>\n</footer>\n</body>\n</html>\n";
  return h;
}

}  // namespace mailflow::diagnose
