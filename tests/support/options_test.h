// OptionsTest: a fixture for a collector's `ParseNAMEOptions`, parsing YAML
// text (named SOURCE in messages) against a Config the test sets up.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "config/config.h"

namespace mailflow::test_support {

/// `parse`: bool(const Config&, ConfigMap, Options*, std::string* err).
template <typename Options, auto parse>
class OptionsTest : public ::testing::Test {
 protected:
  explicit OptionsTest(std::string source) : source_(std::move(source)) {}

  /// Parses `yaml` into `*o` (which keeps what it held before).
  bool Parse(const std::string& yaml, Options* o, std::string* err) {
    ConfigMap m;
    if (!ConfigMap::Parse(yaml, source_, &m, err)) return false;
    return parse(config_, m, o, err);
  }
  /// The error parsing `yaml` gives (a test failure when it parses).
  std::string Error(const std::string& yaml) {
    Options o;
    std::string err;
    EXPECT_FALSE(Parse(yaml, &o, &err)) << yaml;
    return err;
  }

  Config config_;

 private:
  const std::string source_;
};

}  // namespace mailflow::test_support
