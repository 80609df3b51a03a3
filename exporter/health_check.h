// CheckHealth: the client side of /-/healthy, for container HEALTHCHECKs
// (mailflow_exporter --health-check) in images without curl or a shell.
#pragma once

#include <chrono>
#include <string>

#include "exporter/http_server.h"

namespace mailflow {

/// Whether an exporter started with `options` answers GET /-/healthy on its
/// first listen address (an unspecified address, ":PORT" or "0.0.0.0:PORT",
/// is reached on 127.0.0.1), over TLS when options.web turns it on. The
/// server's certificate is not verified: this checks that the exporter
/// answers, not who it is. 200 is healthy, and so is 401 (basic auth is on
/// and the checker has no password, but the server answered). Every step is
/// bounded by `timeout` in total. `*message` says what was seen either way
/// ("HTTP 200 from 127.0.0.1:10029", "connect 127.0.0.1:10029: Connection
/// refused"). Thread-compatible.
bool CheckHealth(const HttpOptions& options, std::chrono::milliseconds timeout,
                 std::string* message);

}  // namespace mailflow
