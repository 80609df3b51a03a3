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
  EXPECT_EQ(r.message,
            "Invalid target \"127.0.0.1\": missing port (HOST:PORT)");
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
  EXPECT_NE(text.find("probe_smtp_result{result=\"ok\"} 1"), std::string::npos);
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
