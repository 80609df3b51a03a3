// libFuzzer entry: --web.config.file (exporter-toolkit format; reads no
// files) and the Authorization header of every request (Basic auth).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "exporter/basic_auth.h"
#include "exporter/web_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::string user, password;
  if (mailflow::ParseBasicAuthorization(text, &user, &password)) {
    // user:password was split at the first colon of the decoded value.
    if (user.find(':') != std::string::npos) __builtin_trap();
    if (user.size() + password.size() + 1 > text.size()) __builtin_trap();
  }
  mailflow::WebConfig web;
  std::string err;
  if (!mailflow::ParseWebConfig(text, "/fuzz/web.yml", &web, &err) &&
      err.rfind("/fuzz/web.yml", 0) != 0) {
    __builtin_trap();
  }
  return 0;
}
