// Shared by the basic auth unit tests.
#pragma once

#include <string_view>

#include "exporter/basic_auth.h"

namespace mailflow {

/// Whether `auth` lets the request with `authorization` in, from `source`.
inline bool Ok(BasicAuth& auth, const char* authorization,
               std::string_view source = "192.0.2.1") {
  return auth.Check(authorization, source).result == AuthDecision::kOk;
}

}  // namespace mailflow
