#include "diagnose/runbooks.h"

#include <algorithm>

#include "diagnose/markdown.h"

namespace mailflow::diagnose {

namespace {

const RenderedMarkdown& Rendered() {
  static const RenderedMarkdown* doc =
      new RenderedMarkdown(MarkdownToHtml(RunbooksMarkdown()));
  return *doc;
}

std::string Contents(const RenderedMarkdown& doc) {
  std::string toc = "<nav aria-label=\"Contents\"><h2>Contents</h2>\n<ul>\n";
  bool open = false;
  for (const MarkdownHeading& h : doc.headings) {
    if (h.level == 1) {
      if (open) toc += "</ul></li>\n";
      toc += "<li><a href=\"#" + HtmlEscape(h.id) + "\">" + HtmlEscape(h.text) +
             "</a><ul>\n";
      open = true;
    } else if (h.level == 2) {
      toc += "<li><a href=\"#" + HtmlEscape(h.id) + "\">" + HtmlEscape(h.text) +
             "</a></li>\n";
    }
  }
  if (open) toc += "</ul></li>\n";
  return toc + "</ul>\n</nav>\n";
}

}  // namespace

const std::string& RunbooksPage() {
  static const std::string* page = [] {
    const RenderedMarkdown& doc = Rendered();
    return new std::string(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
        "charset=\"utf-8\">\n<meta name=\"viewport\" "
        "content=\"width=device-width, initial-scale=1\">\n"
        "<link rel=\"icon\" href=\"data:,\">\n"
        "<title>Runbooks - mailflow_exporter</title>\n<style>\n"
        ":root{color-scheme:light dark}body{margin:0 auto;max-width:60rem;"
        "padding:1rem;font:16px/1.5 system-ui,-apple-system,\"Segoe UI\","
        "Roboto,sans-serif}code,pre{font:.9em/1.4 ui-monospace,Menlo,"
        "Consolas,monospace}code{overflow-wrap:anywhere}pre{overflow-x:auto;"
        "padding:.6rem;border:1px solid #8884;border-radius:.3rem}"
        "h1{border-bottom:1px solid #8886;padding-bottom:.2rem}"
        "h2{margin-top:2rem}:target{outline:3px solid #e8a600;"
        "outline-offset:.2rem}nav ul ul{margin:.2rem 0 .5rem}"
        "\n</style>\n</head>\n<body>\n<p><a href=\"./\">&larr; Mail flow "
        "board</a></p>\n<main>\n" +
        doc.html + "</main>\n<footer>\n" + Contents(doc) +
        "</footer>\n</body>\n</html>\n");
  }();
  return *page;
}

bool HasRunbook(std::string_view name) {
  const std::string id = HeadingSlug(name);
  const auto& h = Rendered().headings;
  return std::any_of(h.begin(), h.end(),
                     [&](const MarkdownHeading& x) { return x.id == id; });
}

}  // namespace mailflow::diagnose
