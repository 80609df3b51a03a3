#include "lib/proc/proc_net_tcp.h"

#include <gtest/gtest.h>

namespace mailflow {
namespace {

// Lines as the kernel prints them (x86_64, little-endian words).
constexpr char kTcp[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
    "retrnsmt   uid  timeout inode\n"
    "   0: 00000000:0019 00000000:0000 0A 00000000:00000000 00:00000000 "
    "00000000     0        0 1078 1 00000000a2954709 100 0 0 10 0\n"
    "   1: 0100007F:024B 00000000:0000 0A 00000000:00000000 00:00000000 "
    "00000000     0        0 21629 1 000000006ee9da55 100 0 0 10 0\n"
    "   2: 0100007F:0019 0100007F:D431 01 00000000:00000000 00:00000000 "
    "00000000     0        0 21700 1 000000006ee9da55 100 0 0 10 0\n"
    "   3: 0A00C80A:01D1 00000000:0000 0A 00000000:00000000 00:00000000 "
    "00000000     0        0 555 1 000000006ee9da55 100 0 0 10 0\n";

constexpr char kTcp6[] =
    "  sl  local_address                         remote_address           "
    "             st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
    "inode\n"
    "   0: 00000000000000000000000000000000:0019 "
    "00000000000000000000000000000000:0000 0A 00000000:00000000 "
    "00:00000000 00000000     0        0 9001 1 0000000000000000 100 0 0 10 "
    "0\n"
    "   1: 00000000000000000000000001000000:024B "
    "00000000000000000000000000000000:0000 0A 00000000:00000000 "
    "00:00000000 00000000     0        0 9002 1 0000000000000000 100 0 0 10 "
    "0\n"
    "   2: 0000000000000000FFFF00000100007F:01D1 "
    "00000000000000000000000000000000:0000 0A 00000000:00000000 "
    "00:00000000 00000000     0        0 9003 1 0000000000000000 100 0 0 10 "
    "0\n";

TEST(ProcNetTcpTest, ListeningIPv4Sockets) {
  std::vector<ListeningSocket> out;
  int bad = 0;
  ParseProcNetTcp(kTcp, false, &out, &bad);
  EXPECT_EQ(bad, 0);
  ASSERT_EQ(out.size(), 3u);  // the ESTABLISHED line (st 01) is skipped
  EXPECT_EQ(out[0].address, "0.0.0.0");
  EXPECT_EQ(out[0].port, 25);
  EXPECT_EQ(out[0].inode, 1078u);
  EXPECT_TRUE(out[0].wildcard);
  EXPECT_TRUE(out[0].external());
  EXPECT_EQ(out[1].address, "127.0.0.1");
  EXPECT_EQ(out[1].port, 587);
  EXPECT_TRUE(out[1].loopback);
  EXPECT_FALSE(out[1].external());
  EXPECT_EQ(out[2].address, "10.200.0.10");
  EXPECT_EQ(out[2].port, 465);
  EXPECT_TRUE(out[2].external());
}

TEST(ProcNetTcpTest, ListeningIPv6Sockets) {
  std::vector<ListeningSocket> out;
  int bad = 0;
  ParseProcNetTcp(kTcp6, true, &out, &bad);
  EXPECT_EQ(bad, 0);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].address, "::");
  EXPECT_TRUE(out[0].wildcard);
  EXPECT_EQ(out[1].address, "::1");
  EXPECT_TRUE(out[1].loopback);
  EXPECT_EQ(out[2].address, "::ffff:127.0.0.1");
  EXPECT_TRUE(out[2].loopback);  // v4-mapped loopback
  EXPECT_EQ(out[2].port, 465);
}

TEST(ProcNetTcpTest, MalformedLinesAreCountedNotFatal) {
  std::string text = std::string(kTcp) +
                     "   4: ZZZZ:0019 00000000:0000 0A 0 0 0 0 0 1\n"
                     "garbage\n"
                     "   5: 0100007F:FFFFF 00000000:0000 0A 0 0 0 0 0 1\n"
                     "   6: 0100007F:0019 00000000:0000 0A 0 0 0 0 0 12x\n"
                     "\n";
  std::vector<ListeningSocket> out;
  int bad = 0;
  ParseProcNetTcp(text, false, &out, &bad);
  EXPECT_EQ(bad, 4);
  EXPECT_EQ(out.size(), 3u);
}

TEST(ProcNetTcpTest, EmptyAndHeaderOnly) {
  std::vector<ListeningSocket> out;
  int bad = 0;
  ParseProcNetTcp("", false, &out, &bad);
  ParseProcNetTcp("  sl  local_address\n", false, &out, &bad);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(bad, 0);
}

}  // namespace
}  // namespace mailflow
