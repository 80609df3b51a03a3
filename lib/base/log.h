// Leveled logging to stderr in logfmt, one line per event.
#pragma once

#include <string>
#include <string_view>

namespace mailflow {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

/// Parses "debug", "info", "warn", "error". Returns false on anything else.
bool ParseLogLevel(std::string_view text, LogLevel* level);
/// Sets the minimum level written. Thread-safe.
void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);

/// Writes `ts=... level=... component=... msg="..."` as one line. Thread-safe.
void Log(LogLevel level, std::string_view component, std::string_view msg);

/// Logs a message only when it differs from the previous one logged under
/// the same key, so a condition that persists across scrapes is reported once
/// (and again when it changes or clears). An empty `msg` clears the key and
/// logs `cleared_msg` if a problem had been reported. Thread-safe.
void LogOnChange(LogLevel level, std::string_view component,
                 const std::string& key, const std::string& msg,
                 std::string_view cleared_msg = "");

/// Quotes a value for logfmt when it contains spaces, quotes or '='.
std::string LogQuote(std::string_view value);

}  // namespace mailflow
