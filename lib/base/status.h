// Status: the result of an operation that can fail, without exceptions.
#pragma once

#include <string>
#include <utility>

namespace mailflow {

/// A success or an error with a human-readable message (leveldb style).
/// Cheap to copy; thread-compatible.
class Status {
 public:
  Status() = default;
  static Status OK() { return Status(); }
  static Status Error(std::string message) {
    return Status(std::move(message));
  }

  bool ok() const { return !failed_; }
  /// REQUIRES: !ok()
  const std::string& message() const { return message_; }
  std::string ToString() const { return ok() ? "OK" : message_; }

 private:
  explicit Status(std::string message)
      : failed_(true), message_(std::move(message)) {}

  bool failed_ = false;
  std::string message_;
};

}  // namespace mailflow
