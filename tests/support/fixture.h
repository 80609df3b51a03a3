// Test fixtures: files under tests/fixtures/ of the source tree
// ($MAILFLOW_SOURCE_DIR, set by ctest for every unit test).
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace mailflow::test {

/// The source tree's root ("." when MAILFLOW_SOURCE_DIR is not set).
inline std::string SourceDir() {
  const char* d = std::getenv("MAILFLOW_SOURCE_DIR");
  return d ? d : ".";
}

/// The contents of SOURCE_DIR/RELATIVE ("" when unreadable).
inline std::string ReadSourceFile(const std::string& relative) {
  std::ifstream in(SourceDir() + "/" + relative, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace mailflow::test
