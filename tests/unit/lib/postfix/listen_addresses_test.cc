#include "lib/postfix/listen_addresses.h"

#include <gtest/gtest.h>

namespace mailflow::postfix {
namespace {

InterfaceAddress If(const char* name, const char* net, bool loopback = false,
                    bool link_local = false) {
  InterfaceAddress a;
  a.interface = name;
  EXPECT_TRUE(ParseIpNetwork(net, &a.network));
  a.loopback = loopback;
  a.link_local = link_local;
  return a;
}

const std::vector<InterfaceAddress> kHost = {
    If("lo", "127.0.0.1/8", true),         If("lo", "::1/128", true),
    If("eth0", "198.51.100.5/24"),         If("eth0", "2001:db8::5/64"),
    If("eth0", "fe80::1/64", false, true), If("docker0", "172.17.0.1/16")};

std::vector<std::string> Endpoints(
    const std::string& main_cf, const std::string& master_cf,
    std::vector<std::string>* skipped = nullptr) {
  PostfixConfig c;
  c.main = MainCf::Parse(main_cf, "main.cf");
  c.master = MasterCf::Parse(master_cf, "master.cf");
  std::vector<std::string> out;
  for (const ListenAddress& a :
       ExternalSmtpdAddresses(c.main, InetServices(c), kHost, skipped)) {
    out.push_back(a.address + ":" + std::to_string(a.port));
  }
  return out;
}

const char kStock[] =
    "smtp inet n - y - - smtpd\n#submission inet n - y - - smtpd\n";

TEST(ListenAddressesTest, AllInterfacesOnlyEnabledPorts) {
  EXPECT_EQ(Endpoints("inet_interfaces = all\ninet_protocols = all\n", kStock),
            (std::vector<std::string>{"172.17.0.1:25", "198.51.100.5:25",
                                      "2001:db8::5:25"}));
}

TEST(ListenAddressesTest, InetProtocolsIpv4NeverProbesIpv6) {
  EXPECT_EQ(
      Endpoints("inet_protocols = ipv4\n",
                "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n"),
      (std::vector<std::string>{"172.17.0.1:25", "172.17.0.1:587",
                                "198.51.100.5:25", "198.51.100.5:587"}));
}

TEST(ListenAddressesTest, ListedAddressesAndServiceAddresses) {
  std::vector<std::string> skipped;
  EXPECT_EQ(
      Endpoints("inet_interfaces = 198.51.100.5, localhost, mail.example.com\n",
                "smtp inet n - y - - smtpd\n"
                "[2001:db8::5]:submission inet n - y - - smtpd\n"
                "127.0.0.1:10025 inet n - n - - smtpd\n"
                "mx.example.com:2525 inet n - n - - smtpd\n"
                "smtp-amavis unix - - n - 2 smtp\n",
                &skipped),
      (std::vector<std::string>{"198.51.100.5:25", "2001:db8::5:587"}));
  EXPECT_EQ(skipped,
            (std::vector<std::string>{"inet_interfaces mail.example.com",
                                      "service mx.example.com:2525"}));
}

TEST(ListenAddressesTest, NullClientListensForNobody) {
  EXPECT_EQ(Endpoints("inet_interfaces = loopback-only\n", kStock),
            std::vector<std::string>{});
  EXPECT_EQ(Endpoints("", "#smtp inet n - y - - smtpd\n"),
            std::vector<std::string>{});
}

TEST(ListenAddressesTest, PostscreenCounts) {
  EXPECT_EQ(
      Endpoints("inet_interfaces = 198.51.100.5\n",
                "smtp inet n - n - 1 postscreen\nsmtpd pass - - n - - smtpd\n"),
      (std::vector<std::string>{"198.51.100.5:25"}));
}

}  // namespace
}  // namespace mailflow::postfix
