#include "collectors/smtp/smtp_options.h"

#include <gtest/gtest.h>

namespace mailflow {
namespace {

bool Parse(const std::string& yaml, SmtpOptions* o, std::string* err) {
  ConfigMap m;
  if (!ConfigMap::Parse(yaml, "smtp.yml", &m, err)) return false;
  return ParseSmtpOptions(DefaultConfig(), m, o, err);
}

std::string ParseError(const std::string& yaml) {
  SmtpOptions o;
  std::string err;
  EXPECT_FALSE(Parse(yaml, &o, &err)) << yaml;
  return err;
}

TEST(SmtpOptionsTest, DefaultsProbeNothing) {
  SmtpOptions o;
  std::string err;
  ASSERT_TRUE(Parse("", &o, &err)) << err;
  EXPECT_TRUE(o.targets.empty());
  EXPECT_TRUE(o.relayhost.empty());
  EXPECT_TRUE(o.self_probe_addresses.empty());
  EXPECT_FALSE(o.self_probe_auto);
  EXPECT_TRUE(o.probe_allowed_networks.empty());
  EXPECT_EQ(o.modules.size(), 1u);
  EXPECT_EQ(o.modules.count("smtp"), 1u);
}

TEST(SmtpOptionsTest, Full) {
  SmtpOptions o;
  std::string err;
  ASSERT_TRUE(Parse(R"(
interval: 30s
timeout: 4s
connect_timeout: 2s
max_concurrency: 10
ehlo_name: probe.example
targets: ["192.0.2.1:25", "[2001:db8::1]:25"]
relayhost: "[192.0.2.9]:587"
port25_control_ports: [587, 443]
self_probe_addresses: [10.0.0.5]
self_probe_ports: [25]
probe:
  allowed_networks: [10.0.0.0/8]
  allowed_ports: [25]
  modules:
    smtps: {tls: implicit, timeout: 3s}
    tcp: {connect_only: true}
)",
                    &o, &err))
      << err;
  EXPECT_EQ(o.interval.count(), 30000);
  EXPECT_EQ(o.targets.size(), 2u);
  EXPECT_EQ(o.port25_control_ports, (std::vector<uint16_t>{587, 443}));
  EXPECT_EQ(o.self_probe_addresses.size(), 1u);
  EXPECT_EQ(o.modules.size(), 3u);
  EXPECT_EQ(o.modules["smtps"].tls, TlsChoice::kImplicit);
  EXPECT_EQ(o.modules["smtps"].timeout.count(), 3000);
  EXPECT_EQ(o.modules["smtps"].ehlo_name, "probe.example");
  EXPECT_TRUE(o.modules["tcp"].connect_only);
  ASSERT_TRUE(Parse("self_probe_addresses: auto\n", &o, &err)) << err;
  EXPECT_TRUE(o.self_probe_auto);
}

TEST(SmtpOptionsTest, Errors) {
  EXPECT_EQ(ParseError("targets: [\"mx.example.org:25\"]\n"),
            "smtp.yml:1:1: target \"mx.example.org:25\": host names are not "
            "resolved by the smtp collector; use an IP address");
  EXPECT_EQ(ParseError("relayhost: relay.example\n"),
            "smtp.yml:1:1: relayhost \"relay.example\" is not an IP address "
            "(host names need `resolvers`)");
  EXPECT_EQ(ParseError("self_probe_addresses: everything\n"),
            "smtp.yml:1:1: self_probe_addresses must be auto or a list of "
            "addresses");
  EXPECT_EQ(ParseError("probe:\n  allowed_networks: [10.0.0.0/40]\n"),
            "smtp.yml:2:3: \"10.0.0.0/40\": prefix length above 32");
  EXPECT_EQ(ParseError("probe:\n  modules:\n    x: {tls: maybe}\n"),
            "smtp.yml:3:9: tls must be auto, starttls, implicit or none");
  EXPECT_EQ(ParseError("interval: 100ms\n"),
            "smtp.yml:1:11: \"interval\" must be a duration from 1s to 1d "
            "(such as 500ms, 10s or 5m)");
  // Issue 17, item 6: passed --config.check, then spun the probe loop.
  EXPECT_EQ(ParseError("interval: 1000000000d\n"),
            "smtp.yml:1:11: \"interval\" must be a duration from 1s to 1d "
            "(such as 500ms, 10s or 5m)");
  EXPECT_EQ(ParseError("timeout: 0s\n"),
            "smtp.yml:1:10: \"timeout\" must be a duration from 1ms to 10m "
            "(such as 500ms, 10s or 5m)");
  EXPECT_EQ(
      ParseError(
          "max_targets: 1\ntargets: [\"10.0.0.1:25\", \"10.0.0.2:25\"]\n"),
      "smtp.yml:1:1: 2 probe targets exceed max_targets (1)");
  EXPECT_EQ(ParseError("bogus: 1\n"), "smtp.yml:1:1: unknown key \"bogus\"");
  EXPECT_EQ(ParseError("tls: maybe\n"),
            "smtp.yml:1:1: tls must be auto, starttls, implicit or none");
  EXPECT_EQ(ParseError("ehlo_name: \"two words\"\n"),
            "smtp.yml:1:1: ehlo_name must be one word");
  EXPECT_EQ(ParseError("probe:\n  modules:\n    x: {bogus: 1}\n"),
            "smtp.yml:3:9: unknown key \"bogus\"");
  EXPECT_EQ(ParseError("probe:\n  allowed: []\n"),
            "smtp.yml:2:3: unknown key \"allowed\"");
  EXPECT_EQ(ParseError("domains: [example.org]\n"),
            "smtp.yml:1:1: domains need resolvers (the smtp collector never "
            "uses /etc/resolv.conf)");
  EXPECT_EQ(ParseError("domains: [example.org]\nresolvers: [\"x:y\"]\n"),
            "smtp.yml:2:1: resolver \"x:y\" is not ADDRESS or ADDRESS:PORT");
}

}  // namespace
}  // namespace mailflow
