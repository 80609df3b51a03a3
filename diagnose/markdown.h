// A small Markdown-to-HTML renderer for the runbooks (dashboards/runbooks.md)
// served at /runbooks. The subset GitHub renders and the runbooks use:
// ATX headings, paragraphs, "-"/"*" and "1." lists (one level, indented
// continuation lines), fenced code blocks, and inline `code`, **strong**,
// *emphasis* and [links](#anchor). Everything else is text. Input is
// trusted (embedded at build time) but all text is HTML-escaped anyway.
// Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mailflow::diagnose {

struct MarkdownHeading {
  int level = 1;
  std::string text;  // as written, without the markers
  std::string id;    // the anchor: HeadingSlug(), made unique
};

struct RenderedMarkdown {
  std::string html;
  std::vector<MarkdownHeading> headings;  // document order
};

/// Renders `markdown`. Headings get GitHub's anchors, so links to
/// runbooks.md#name work against the exporter's /runbooks#name too. Links
/// to "#anchor", "/path" and http(s) URLs are kept; relative links to
/// repository files become plain text (they do not exist on the exporter).
RenderedMarkdown MarkdownToHtml(std::string_view markdown);

/// GitHub's heading anchor: lower case, characters other than letters,
/// digits, '-', '_' and spaces dropped, spaces turned into '-'
/// ("Inbound: can Postfix accept mail?" -> "inbound-can-postfix-accept-mail").
std::string HeadingSlug(std::string_view heading);

/// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string HtmlEscape(std::string_view text);

}  // namespace mailflow::diagnose
