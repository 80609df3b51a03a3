// The runbooks (dashboards/runbooks.md), embedded at build time and served
// as HTML at /runbooks, so an alert's runbook link and the board's links
// work on hosts that cannot reach the internet.
#pragma once

#include <string>
#include <string_view>

namespace mailflow::diagnose {

/// dashboards/runbooks.md as it was when the binary was built.
std::string_view RunbooksMarkdown();

/// The /runbooks page: a table of contents and every section, each heading
/// with GitHub's anchor ("#postfixdown"). Rendered once; thread-safe.
const std::string& RunbooksPage();

/// Whether the runbooks have a heading whose anchor is HeadingSlug(name).
bool HasRunbook(std::string_view name);

}  // namespace mailflow::diagnose
