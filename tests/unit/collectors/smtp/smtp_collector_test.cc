#include "collectors/smtp/smtp_collector.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace mailflow {
namespace {

ConfigMap Map(const std::string& yaml) {
  ConfigMap m;
  std::string err;
  EXPECT_TRUE(ConfigMap::Parse(yaml, "smtp.yml", &m, &err)) << err;
  return m;
}

bool Parse(const std::string& yaml, SmtpOptions* o, std::string* err) {
  return ParseSmtpOptions(DefaultConfig(), Map(yaml), o, err);
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
  EXPECT_NE(ParseError("bogus: 1\n").find("bogus"), std::string::npos);
  EXPECT_EQ(ParseError("domains: [example.org]\n"),
            "smtp.yml:1:1: domains need resolvers (the smtp collector never "
            "uses /etc/resolv.conf)");
  EXPECT_EQ(ParseError("domains: [example.org]\nresolvers: [\"x:y\"]\n"),
            "smtp.yml:2:1: resolver \"x:y\" is not ADDRESS or ADDRESS:PORT");
}

// --- /probe handler ---------------------------------------------------

std::shared_ptr<SmtpProbeHandler> Handler(const std::string& yaml) {
  auto o = std::make_shared<SmtpOptions>();
  std::string err;
  EXPECT_TRUE(Parse(yaml, o.get(), &err)) << err;
  return std::make_shared<SmtpProbeHandler>(o);
}

ProbeResponse Probe(SmtpProbeHandler* h, const std::string& target,
                    const std::string& module = "") {
  ProbeRequest r;
  r.target = target;
  r.module = module;
  r.deadline = Deadline::After(std::chrono::seconds(5));
  return h->Probe(r);
}

// The exposition text of a probe's families.
std::string Text(const ProbeResponse& r) {
  return prometheus::TextSerializer().Serialize(r.families);
}

TEST(SmtpProbeHandlerTest, DenyByDefault) {
  auto h = Handler("");
  ProbeResponse r = Probe(h.get(), "127.0.0.1:25");
  EXPECT_EQ(r.outcome, ProbeResponse::Outcome::kForbidden);
  EXPECT_EQ(r.message,
            "Target 127.0.0.1:25 is not allowed by "
            "collectors.smtp.probe.allowed_networks/allowed_ports");
  EXPECT_TRUE(r.families.empty());
}

TEST(SmtpProbeHandlerTest, BadRequests) {
  auto h = Handler("probe: {allowed_networks: [127.0.0.0/8]}\n");
  EXPECT_EQ(Probe(h.get(), "").message, "Target parameter is missing");
  ProbeResponse r = Probe(h.get(), "127.0.0.1");
  EXPECT_EQ(r.outcome, ProbeResponse::Outcome::kBadRequest);
  EXPECT_EQ(r.message, "Invalid target \"127.0.0.1\": missing port (HOST:PORT)");
  r = Probe(h.get(), "127.0.0.1:25", "nosuch");
  EXPECT_EQ(r.outcome, ProbeResponse::Outcome::kBadRequest);
  EXPECT_EQ(r.message, "Unknown module \"nosuch\"");
  r = Probe(h.get(), "127.0.0.1:2525");  // port not allowed
  EXPECT_EQ(r.outcome, ProbeResponse::Outcome::kForbidden);
}

int Listen(uint16_t* port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  listen(fd, 16);
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

TEST(SmtpProbeHandlerTest, AllowedTargetIsProbed) {
  signal(SIGPIPE, SIG_IGN);
  uint16_t port;
  int fd = Listen(&port);
  auto h = Handler(
      "probe:\n  allowed_networks: [127.0.0.1/32]\n"
      "  allowed_ports: [" +
      std::to_string(port) +
      "]\n"
      "  modules:\n    tcp: {connect_only: true}\n"
      "    quick: {timeout: 300ms}\n");
  ProbeResponse r = Probe(h.get(), "127.0.0.1:" + std::to_string(port), "tcp");
  EXPECT_EQ(r.outcome, ProbeResponse::Outcome::kOk);
  std::string text = Text(r);
  EXPECT_NE(text.find("probe_success 1"), std::string::npos) << text;
  EXPECT_NE(text.find("probe_smtp_result{result=\"ok\"} 1"),
            std::string::npos);
  r = Probe(h.get(), "127.0.0.1:" + std::to_string(port), "quick");
  text = Text(r);
  EXPECT_NE(text.find("probe_success 0"), std::string::npos) << text;
  EXPECT_NE(text.find("probe_smtp_result{result=\"banner_timeout\"} 1"),
            std::string::npos)
      << text;
  close(fd);
}

TEST(SmtpProbeHandlerTest, ModulesRegisteredOnStartOnly) {
  SmtpOptions o;
  std::string err;
  ASSERT_TRUE(
      Parse("probe: {modules: {unit_mod: {connect_only: true}}}\n", &o, &err));
  CollectorContext context;
  auto probes = context.probes;
  {
    auto c = NewSmtpCollector(o, context);
    EXPECT_EQ(probes->Find("unit_mod"), nullptr);
    c->Start();
    EXPECT_NE(probes->Find("unit_mod"), nullptr);
    EXPECT_NE(probes->Find("smtp"), nullptr);
  }
  EXPECT_EQ(probes->Find("unit_mod"), nullptr);
}

// --- background rounds ------------------------------------------------

TEST(SmtpCollectorTest, RoundOverLoopback) {
  signal(SIGPIPE, SIG_IGN);
  uint16_t silent, dead;
  int fd = Listen(&silent);
  int fd2 = Listen(&dead);
  close(fd2);
  SmtpOptions o;
  std::string err;
  ASSERT_TRUE(
      Parse("timeout: 300ms\nconnect_timeout: 300ms\ntargets: [\"127.0.0.1:" +
                std::to_string(silent) +
                "\", \"127.0.0.1:" + std::to_string(dead) + "\"]\n",
            &o, &err))
      << err;
  auto c = NewSmtpCollector(o, CollectorContext());
  c->Start();
  std::vector<prometheus::MetricFamily> fams;
  for (int i = 0; i < 100; ++i) {
    fams.clear();
    ASSERT_TRUE(c->Collect(Deadline::Never(), &fams).ok());
    bool done = false;
    for (const auto& f : fams) {
      if (f.name == "mailflow_smtp_last_run_timestamp_seconds") done = true;
    }
    if (done) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::map<std::string, double> last;
  bool has_blocked = false;
  for (const auto& f : fams) {
    if (f.name == "mailflow_smtp_outbound_port25_blocked") has_blocked = true;
    if (f.name != "mailflow_smtp_probe_last_result") continue;
    for (const auto& m : f.metric) {
      std::string port, result;
      for (const auto& l : m.label) {
        if (l.name == "port") port = l.value;
        if (l.name == "result") result = l.value;
      }
      if (m.gauge.value == 1) last[port] = 0, last[port + "/" + result] = 1;
    }
  }
  EXPECT_EQ(last.count(std::to_string(silent) + "/banner_timeout"), 1u);
  EXPECT_EQ(last.count(std::to_string(dead) + "/refused"), 1u);
  EXPECT_FALSE(has_blocked);  // no port-25 targets
  close(fd);
}

}  // namespace
}  // namespace mailflow
