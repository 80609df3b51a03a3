#include "lib/postfix/postfix_config.h"

#include "lib/base/file_util.h"

namespace mailflow {

bool LoadPostfixConfig(const std::string& config_directory, PostfixConfig* out,
                       std::string* err) {
  const std::string main_path = config_directory + "/main.cf";
  const std::string master_path = config_directory + "/master.cf";
  std::string main_text, master_text;
  if (!ReadWholeFile(main_path, &main_text, err) ||
      !ReadWholeFile(master_path, &master_text, err)) {
    return false;
  }
  out->config_directory = config_directory;
  out->main = postfix::MainCf::Parse(main_text, main_path);
  out->master = postfix::MasterCf::Parse(master_text, master_path);
  return true;
}

}  // namespace mailflow
