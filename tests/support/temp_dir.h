// TempDir: a directory under /tmp for one test, removed with its contents.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace mailflow::test_support {

/// Creates /tmp/PREFIX-XXXXXX; the destructor removes it recursively.
/// path() is empty when mkdtemp failed (the test then fails on its files).
/// Not copyable.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "mailflow-test") {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace mailflow::test_support
