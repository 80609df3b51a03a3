#include "diagnose/markdown.h"

#include <gtest/gtest.h>

namespace mailflow::diagnose {
namespace {

TEST(HeadingSlugTest, GitHubAnchors) {
  EXPECT_EQ(HeadingSlug("PostfixDown"), "postfixdown");
  EXPECT_EQ(HeadingSlug("Inbound: can Postfix accept mail?"),
            "inbound-can-postfix-accept-mail");
  EXPECT_EQ(HeadingSlug("SMTP reachability"), "smtp-reachability");
  EXPECT_EQ(HeadingSlug("a_b-c (d)"), "a_b-c-d");
}

TEST(MarkdownTest, HeadingsGetUniqueAnchors) {
  RenderedMarkdown r = MarkdownToHtml("# Top\n\n## Same\ntext\n## Same\n");
  EXPECT_EQ(r.html,
            "<h1 id=\"top\">Top</h1>\n<h2 id=\"same\">Same</h2>\n"
            "<p>text</p>\n<h2 id=\"same-1\">Same</h2>\n");
  ASSERT_EQ(r.headings.size(), 3u);
  EXPECT_EQ(r.headings[2].id, "same-1");
  EXPECT_EQ(r.headings[1].level, 2);
}

TEST(MarkdownTest, InlineSpans) {
  EXPECT_EQ(MarkdownToHtml("a `x <y>` **b** *c* [d](#e) [f](docs/g.md)").html,
            "<p>a <code>x &lt;y&gt;</code> <strong>b</strong> <em>c</em> "
            "<a href=\"#e\">d</a> f</p>\n");
  // A code span may continue on the next line of its paragraph.
  EXPECT_EQ(MarkdownToHtml("`a </dev/null\n2>&1` b").html,
            "<p><code>a &lt;/dev/null\n2&gt;&amp;1</code> b</p>\n");
  // Lone markers stay text.
  EXPECT_EQ(MarkdownToHtml("4 * 5 and `open").html, "<p>4 * 5 and `open</p>\n");
  EXPECT_EQ(MarkdownToHtml("[x](https://example.org/a?b=c&d)").html,
            "<p><a href=\"https://example.org/a?b=c&amp;d\">x</a></p>\n");
}

TEST(MarkdownTest, ListsWithContinuationLines) {
  EXPECT_EQ(MarkdownToHtml("Fix:\n- one\n  more\n- two\n\n1. a\n2. b\n").html,
            "<p>Fix:</p>\n<ul>\n<li>one\nmore</li>\n<li>two</li>\n</ul>\n"
            "<ol>\n<li>a</li>\n<li>b</li>\n</ol>\n");
}

TEST(MarkdownTest, FencedCodeIsVerbatim) {
  EXPECT_EQ(
      MarkdownToHtml("```\nA ──> <B> *c*\n\n# not a heading\n```\nafter").html,
      "<pre><code>A ──&gt; &lt;B&gt; *c*\n\n# not a heading\n</code></pre>\n"
      "<p>after</p>\n");
}

TEST(MarkdownTest, EscapesEverything) {
  EXPECT_EQ(MarkdownToHtml("<script>alert('x')</script>").html,
            "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</p>\n");
  EXPECT_EQ(MarkdownToHtml("[a](javascript:alert(1))").html, "<p>a)</p>\n");
}

}  // namespace
}  // namespace mailflow::diagnose
