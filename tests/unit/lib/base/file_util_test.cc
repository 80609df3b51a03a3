#include "lib/base/file_util.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace mailflow {
namespace {

class FileUtilTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mailflow-file-util-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  std::string dir_;
};

TEST_F(FileUtilTest, ReadsRegularFile) {
  const std::string path = Write("a", std::string("x\0y", 3));
  std::string out = "old", err;
  ASSERT_TRUE(ReadWholeFile(path, &out, &err)) << err;
  EXPECT_EQ(out, std::string("x\0y", 3));
}

TEST_F(FileUtilTest, MissingFileNamesPathAndReason) {
  std::string out, err;
  EXPECT_FALSE(ReadWholeFile(dir_ + "/none", &out, &err));
  EXPECT_EQ(err, dir_ + "/none: cannot read: No such file or directory");
}

TEST_F(FileUtilTest, RefusesFifoWithoutBlocking) {
  const std::string path = dir_ + "/fifo";
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  std::string out, err;
  // No writer: a blocking open would hang here forever.
  EXPECT_FALSE(ReadWholeFile(path, &out, &err));
  EXPECT_EQ(err, path + ": cannot read: not a regular file");
}

TEST_F(FileUtilTest, RefusesDirectory) {
  std::string out, err;
  EXPECT_FALSE(ReadWholeFile(dir_, &out, &err));
  EXPECT_EQ(err, dir_ + ": cannot read: not a regular file");
}

TEST_F(FileUtilTest, RefusesFileOverLimit) {
  const std::string path = Write("big", std::string(100, 'x'));
  std::string out, err;
  EXPECT_FALSE(ReadWholeFile(path, &out, &err, 99));
  EXPECT_EQ(err, path + ": cannot read: larger than 99 bytes");
  EXPECT_TRUE(ReadWholeFile(path, &out, &err, 100));
}

TEST_F(FileUtilTest, IdentityChangesWithContentAndReplacement) {
  const std::string path = Write("f", "one");
  FileIdentity a, b, c;
  ASSERT_TRUE(a.Of(path));
  ASSERT_TRUE(b.Of(path));
  EXPECT_EQ(a, b);
  Write("f", "three");  // size differs
  ASSERT_TRUE(c.Of(path));
  EXPECT_NE(a, c);
  // Same size, new inode (an editor's write-and-rename).
  const std::string other = Write("g", "three");
  ASSERT_EQ(rename(other.c_str(), path.c_str()), 0);
  FileIdentity d;
  ASSERT_TRUE(d.Of(path));
  EXPECT_NE(c.inode, d.inode);
  EXPECT_NE(c, d);
  FileIdentity e;
  EXPECT_FALSE(e.Of(dir_ + "/none"));
  EXPECT_EQ(e, FileIdentity());
}

}  // namespace
}  // namespace mailflow
