// PostfixConfig: main.cf and master.cf of one Postfix instance, parsed.
#pragma once

#include <string>

#include "lib/postfix/main_cf.h"
#include "lib/postfix/master_cf.h"

namespace mailflow {

struct PostfixConfig {
  std::string config_directory;
  postfix::MainCf main;
  postfix::MasterCf master;
};

/// Reads and parses DIR/main.cf and DIR/master.cf. Fails, naming the file,
/// when either cannot be read; problems inside the files (bad lines) do not
/// fail the load: they are in main.problems() / master.problems().
/// Thread-safe (no shared state).
bool LoadPostfixConfig(const std::string& config_directory, PostfixConfig* out,
                       std::string* err);

}  // namespace mailflow
