// MacExpand: the $name expansion engine. Expected results and diagnostics
// are the answers of the real postconf 3.7.11 (`postconf -c DIR -xh NAME`,
// the text after "postconf: warning: ") unless a comment says otherwise.
#include "lib/postfix/mac_expand.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <map>
#include <string>

#include "lib/postfix/mac_relop.h"

namespace mailflow::postfix {
namespace {

class MapLookup : public MacroLookup {
 public:
  explicit MapLookup(std::map<std::string, std::string> values)
      : values_(std::move(values)) {}
  MapLookup(std::initializer_list<std::pair<const std::string, std::string>> v)
      : values_(v) {}
  std::optional<std::string_view> Find(std::string_view name) const override {
    auto it = values_.find(std::string(name));
    if (it == values_.end()) return std::nullopt;
    return std::string_view(it->second);
  }

 private:
  std::map<std::string, std::string> values_;
};

const MapLookup& Params() {
  static const MapLookup lookup{{{"myhostname", "mx.example.com"},
                                 {"mydomain", "example.com"},
                                 {"empty", ""},
                                 {"plain", "$mydomain"},
                                 {"dollar", "$$x"}}};
  return lookup;
}

std::string Expand(std::string_view pattern) {
  std::string out;
  std::string err;
  EXPECT_TRUE(MacExpand(pattern, Params(), &out, &err)) << err;
  return out;
}

std::string Error(std::string_view pattern,
                  const MacroLookup& lookup = Params()) {
  std::string out;
  std::string err;
  EXPECT_FALSE(MacExpand(pattern, lookup, &out, &err)) << out;
  return err;
}

TEST(MacExpandTest, ReferenceForms) {
  EXPECT_EQ(Expand("$mydomain|${mydomain}|$(mydomain)|$mydomain-x"),
            "example.com|example.com|example.com|example.com-x");
  EXPECT_EQ(Expand("$plain"), "example.com");  // recursive
  EXPECT_EQ(Expand("$dollar"), "$x");          // $$ in a value
  EXPECT_EQ(Expand("$$mydomain $$$mydomain"), "$mydomain $example.com");
  EXPECT_EQ(Expand("${nosuch}[$nosuch]"), "[]");  // undefined: empty
  EXPECT_EQ(Expand("${ }x"), "x");                // lookup of "", undefined
  EXPECT_EQ(Expand("no references"), "no references");
  EXPECT_EQ(Expand(""), "");
}

TEST(MacExpandTest, Conditionals) {
  EXPECT_EQ(Expand("${mydomain?yes}|${nosuch?yes}|${empty?yes}"), "yes||");
  EXPECT_EQ(Expand("${mydomain:no}|${nosuch:no}|${empty:no}"), "|no|no");
  EXPECT_EQ(Expand("${mydomain?{ A $myhostname }:{ B }}"),
            " A mx.example.com ");
  EXPECT_EQ(Expand("${empty?{A}:{B $mydomain}}"), "B example.com");
  EXPECT_EQ(Expand("${nosuch?{A}:B $mydomain}"), "B example.com");
  EXPECT_EQ(Expand("${mydomain?{x}:{y}}"), "x");
  // Postfix 2.11 compatibility: text after a bare ? is taken verbatim.
  EXPECT_EQ(Expand("${mydomain??foo:{b}ar}"), "?foo:{b}ar");
  // Postfix 3.7 allows blanks around the name and before ? and :.
  EXPECT_EQ(Expand("[${ mydomain }] [${ mydomain ? yes : no }]"),
            "[example.com] [ yes : no ]");
  EXPECT_EQ(Expand("${mydomain?${empty:${nosuch?x:inner $plain}}}"), "");
}

TEST(MacExpandTest, RelationalExpressions) {
  EXPECT_EQ(Expand("${{$mydomain} == {example.com} ? {eq} : {ne}}"), "eq");
  EXPECT_EQ(Expand("${{$mydomain} != {example.com} ? {eq} : {ne}}"), "ne");
  EXPECT_EQ(Expand("${{a} == {a}}|${{a} == {b}}"), "true|");
  EXPECT_EQ(Expand("${{10} < {9}}|${{10} > {9}}|${{abc} < {abd}}"),
            "|true|true");
  EXPECT_EQ(Expand("${{010} == {10}}|${{10} <= {10}}|${{9} >= {10}}"),
            "true|true|");
  EXPECT_EQ(Expand("${ {x} == {y} :yes}"), "yes");
  EXPECT_EQ(Expand("${{3.6} <level {3.10} ? {lt} : {ge}}"), "lt");
  EXPECT_EQ(Expand("${{2} <=level {2.0.0}}|${{3.6} >level {3.6.1}}"), "true|");
  EXPECT_EQ(Expand("${{3.6} ==level {3.6.0}}|${{3} !=level {3.0}}"), "true|");
}

TEST(MacExpandTest, SyntaxErrorsUsePostfixWording) {
  EXPECT_EQ(Error("${abc"), "truncated macro reference: \"${abc\"");
  EXPECT_EQ(Error("a $ b"), "empty macro name: \"a $ b\"");
  EXPECT_EQ(Error("a ${} b"), "empty macro name: \"a ${} b\"");
  EXPECT_EQ(Error("x$"), "empty macro name: \"x$\"");
  EXPECT_EQ(Error("a $(x{y) b"),
            "attribute name syntax error at: \"...x>>>{y\"");
  EXPECT_EQ(Error("a ${mydomain(y} b"),
            "attribute name syntax error at: \"...mydomain>>>(y\"");
  EXPECT_EQ(Error("${na me}"),
            "attribute name syntax error at: \"...na>>> me\"");
  EXPECT_EQ(Error("a ${mydomain?{x}junk} b"),
            "\":\" expected at: \"...x}>>>junk\"");
  EXPECT_EQ(Error("a ${mydomain?{x}:{y}junk} b"),
            "unexpected input at: \"...y}>>>junk\"");
  EXPECT_EQ(Error("${empty:{x}:{y}}"), "unexpected input at: \"...x}>>>:{y}\"");
  EXPECT_EQ(Error("a ${mydomain?{x b"),
            "truncated macro reference: \"a ${mydomain?{x b\"");
  EXPECT_EQ(Error("$(mydomain?{x)"),
            "unbalanced {} in attribute expression: \"{x\"");
  EXPECT_EQ(Error("a ${{x} = {y}?a} b"),
            "\"==\" or \"!=\"\" or \"<\"\" or \"<=\"\" or \">=\"\" or \">\" "
            "expected at: \"...x}>>>= {y}?a\"");
  EXPECT_EQ(Error("a ${{x} == {x}junk} b"),
            "\"?\" or \":\" expected at: \"...}>>>junk\"");
  EXPECT_EQ(Error("a ${{x} == y} b"),
            "\"{expression}\" expected at: \"...{x} ==>>> y\"");
  EXPECT_EQ(Error("${{abc} ==foo {x}}"),
            "bad operator suffix at: \"...==>>>foo\"");
  EXPECT_EQ(Error("${{abc} <level {x}}"),
            "malformed compatibility level syntax: \"abc\"");
  // postconf: "fatal: mac_exp_eval: bad conversion: 99999999999999999999".
  EXPECT_EQ(Error("${{99999999999999999999} == {1}}"),
            "mac_exp_eval: bad conversion: 99999999999999999999");
  // Errors in a branch that is not taken are not detected (as in Postfix).
  EXPECT_EQ(Expand("${empty?{$(bad}:{ok}}"), "ok");
}

TEST(MacExpandTest, NestingLimit) {
  // a -> b -> a ...: postconf -xh a says "x " (the literal at level 101).
  MapLookup cycle{{"a", "$b"}, {"b", "x $a"}, {"self", "$self"}};
  EXPECT_EQ(Error("$b", cycle), "unreasonable macro call nesting: \"x \"");
  EXPECT_EQ(Error("$self", cycle), "unreasonable macro call nesting: \"self\"");
  // Nesting inside ${name?{...}} counts too.
  MapLookup guarded{{"g", "${g?{$g}}"}};
  EXPECT_EQ(Error("$g", guarded),
            "unreasonable macro call nesting: \"g?{$g}\"");
}

TEST(MacExpandTest, OurLimitsStopWhatPostfixCannot) {
  // Postfix 3.7.11 crashes (SIGSEGV, stack overflow) on these: each
  // relational operand is expanded in a fresh context without a limit.
  MapLookup self_relop{{"a", "${{$a} == {x}}"}};
  EXPECT_EQ(Error("$a", self_relop),
            "unreasonable relational expression nesting: \"$a\"");
  // Exponential expansion: a0 -> a1 a1 -> a2 a2 a2 a2 ...
  std::map<std::string, std::string> doubling;
  for (int i = 0; i < 40; ++i) {
    const std::string next = std::string("$a").append(std::to_string(i + 1));
    doubling[std::string("a").append(std::to_string(i))] = next + next;
  }
  doubling["a40"] = "x";
  EXPECT_EQ(Error("$a0", MapLookup(doubling)),
            "macro expansion exceeds 200000 steps");
  MapLookup big{{"big", std::string(600000, 'b')}};
  EXPECT_EQ(Error("$big$big", big), "macro expansion exceeds 1048576 bytes");
  MacroLimits tight;
  tight.max_level = 2;
  std::string out;
  std::string err;
  MapLookup chain{{"c1", "$c2"}, {"c2", "$c3"}, {"c3", "end"}};
  EXPECT_TRUE(MacExpand("$c2", chain, &out, &err, tight));
  EXPECT_EQ(out, "end");
  EXPECT_FALSE(MacExpand("$c1", chain, &out, &err, tight));
  EXPECT_EQ(err, "unreasonable macro call nesting: \"end\"");
}

// The deepest expansion the limits allow: 101 levels in each of the five
// contexts (the first plus four nested relational operands). It must fit in
// a 2 MiB thread stack even in sanitizer builds.
// A collector thread's stack could be this small; under ASan every frame
// carries redzones (several times larger), so the sanitizer build gets more.
#if defined(__SANITIZE_ADDRESS__)
#define MAILFLOW_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MAILFLOW_TEST_ASAN 1
#endif
#endif
#ifdef MAILFLOW_TEST_ASAN
constexpr size_t kSmallStack = 16 << 20;
#else
constexpr size_t kSmallStack = 2 << 20;
#endif

TEST(MacExpandTest, WorstCaseFitsInASmallStack) {
  struct Job {
    std::string out;
    std::string err;
    bool ok = true;
  } job;
  auto run = [](void* arg) -> void* {
    auto* j = static_cast<Job*>(arg);
    std::map<std::string, std::string> chain;
    for (int i = 1; i < 99; ++i) {
      chain[std::string("p").append(std::to_string(i))] =
          std::string("$p").append(std::to_string(i + 1));
    }
    chain["p99"] = "${{$p1} == {x}}";
    j->ok = MacExpand("$p1", MapLookup(chain), &j->out, &j->err);
    return nullptr;
  };
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kSmallStack);
  pthread_t thread;
  ASSERT_EQ(pthread_create(&thread, &attr, run, &job), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  EXPECT_FALSE(job.ok);
  EXPECT_EQ(job.err, "unreasonable relational expression nesting: \"$p1\"");
}

TEST(MacExpandTest, CompatLevelFromString) {
  EXPECT_EQ(CompatLevelFromString("0"), 0);
  EXPECT_EQ(CompatLevelFromString("2"), 2L << 20);
  EXPECT_EQ(CompatLevelFromString("3.6"), (3L << 20) | (6L << 10));
  EXPECT_EQ(CompatLevelFromString("3.6.1"), (3L << 20) | (6L << 10) | 1);
  EXPECT_LT(CompatLevelFromString("3.9"), CompatLevelFromString("3.10"));
  for (const char* bad :
       {"", "abc", "3.", "3.x", "1.2.3.4", "2.1024", "-1", "3.6.1x"}) {
    EXPECT_EQ(CompatLevelFromString(bad), -1) << bad;
  }
}

}  // namespace
}  // namespace mailflow::postfix
