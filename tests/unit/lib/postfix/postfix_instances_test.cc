#include "lib/postfix/postfix_instances.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace mailflow {
namespace {

class PostfixInstancesTest : public ::testing::Test {
 protected:
  // An instance directory NAME with this main.cf and an smtp service.
  std::string Instance(const std::string& name, const std::string& main_cf) {
    const std::string dir = root_ + "/" + name;
    mkdir(dir.c_str(), 0755);
    std::ofstream(dir + "/main.cf") << main_cf;
    std::ofstream(dir + "/master.cf") << "smtp inet n - y - - smtpd\n";
    return dir;
  }
  test_support::TempDir tmp_{"mailflow-instances"};
  const std::string root_ = tmp_.path();
};

TEST_F(PostfixInstancesTest, SingleInstance) {
  const std::string dir = Instance("postfix", "queue_directory = /q\n");
  PostfixSnapshotCache cache;
  std::vector<PostfixInstance> got;
  std::string err;
  ASSERT_TRUE(DiscoverPostfixInstances(&cache, dir, &got, nullptr, &err));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].name, "postfix");
  EXPECT_TRUE(got[0].primary);
  EXPECT_TRUE(got[0].enabled);
  EXPECT_EQ(got[0].syslog_name, "postfix");
  EXPECT_EQ(got[0].snapshot->queue_directory, "/q");
}

TEST_F(PostfixInstancesTest, PostmultiLayout) {
  const std::string out = Instance(
      "postfix-out",
      "multi_instance_name = postfix-out\nmulti_instance_enable = yes\n"
      "queue_directory = /var/spool/postfix-out\n");
  const std::string in =
      Instance("postfix-in",
               "multi_instance_name = postfix-in\nmulti_instance_enable = no\n"
               "syslog_name = mx-in\n");
  const std::string unnamed =
      Instance("unnamed", "multi_instance_enable = yes\n");
  const std::string dflt =
      Instance("postfix",
               "multi_instance_wrapper = ${command_directory}/postmulti -p --\n"
               "multi_instance_enable = yes\n"
               "multi_instance_directories = " +
                   out + " " + in + ", " + unnamed + " " + out + " " + root_ +
                   "/missing\n");
  PostfixSnapshotCache cache;
  std::vector<PostfixInstance> got;
  std::vector<std::string> ignored;
  std::string err;
  ASSERT_TRUE(DiscoverPostfixInstances(&cache, dflt, &got, &ignored, &err));
  ASSERT_EQ(got.size(), 5u);  // the duplicate of `out` once
  EXPECT_EQ(got[0].name, "postfix");
  EXPECT_EQ(got[1].name, "postfix-out");
  EXPECT_TRUE(got[1].enabled);
  EXPECT_FALSE(got[1].primary);
  EXPECT_EQ(got[1].syslog_name, "postfix-out");  // the built-in default
  EXPECT_EQ(got[1].snapshot->queue_directory, "/var/spool/postfix-out");
  EXPECT_EQ(got[2].name, "postfix-in");
  EXPECT_FALSE(got[2].enabled);
  EXPECT_EQ(got[2].syslog_name, "mx-in");
  EXPECT_EQ(got[3].name, unnamed);  // no multi_instance_name
  EXPECT_EQ(got[3].syslog_name, "postfix");
  EXPECT_EQ(got[4].name, root_ + "/missing");
  EXPECT_EQ(got[4].snapshot, nullptr);
  EXPECT_FALSE(got[4].enabled);
  EXPECT_EQ(got[4].error, root_ +
                              "/missing/main.cf: cannot read: No such file or "
                              "directory");
  EXPECT_TRUE(ignored.empty());

  // Log lines by syslog name: the longest match, else the default instance.
  EXPECT_EQ(InstanceForSyslogName(got, "postfix-out").name, "postfix-out");
  EXPECT_EQ(InstanceForSyslogName(got, "postfix-out/submission").name,
            "postfix-out");
  EXPECT_EQ(InstanceForSyslogName(got, "mx-in").name, "postfix-in");
  EXPECT_EQ(InstanceForSyslogName(got, "postfix/submission").name, "postfix");
  EXPECT_EQ(InstanceForSyslogName(got, "postfix-outer").name, "postfix");
  EXPECT_EQ(InstanceForSyslogName(got, "other").name, "postfix");
}

TEST_F(PostfixInstancesTest, BoundedAndDefaultUnreadable) {
  std::string dirs;
  for (size_t i = 0; i < kMaxPostfixInstances + 3; ++i) {
    // Appended: GCC 12 -O3 warns falsely on "literal" + std::string.
    const std::string n = std::to_string(i);
    std::string main_cf = "multi_instance_name = postfix-";
    dirs.append(" ").append(
        Instance(std::string("i").append(n), main_cf.append(n).append("\n")));
  }
  const std::string dflt =
      Instance("postfix", "multi_instance_directories =" + dirs + "\n");
  PostfixSnapshotCache cache;
  std::vector<PostfixInstance> got;
  std::vector<std::string> ignored;
  std::string err;
  ASSERT_TRUE(DiscoverPostfixInstances(&cache, dflt, &got, &ignored, &err));
  EXPECT_EQ(got.size(), kMaxPostfixInstances);
  EXPECT_EQ(ignored.size(), 4u);
  EXPECT_FALSE(
      DiscoverPostfixInstances(&cache, root_ + "/none", &got, &ignored, &err));
  EXPECT_EQ(err,
            root_ + "/none/main.cf: cannot read: No such file or directory");
}

}  // namespace
}  // namespace mailflow
