// Status and Result<T>: errors as values.
//
// A Status carries a code (mapped to an HTTP status once, in server/), the input field it is
// about and a human-readable reason. No exceptions cross a module boundary: every function of
// engine/, loaders/ and store/ that can fail on input returns a Status or a Result<T>.
// Both types are plain values: copy them, keep them, compare their codes from any thread.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace credlist {

enum class StatusCode {
  kOk,
  kInvalidArgument,   // bad input: 400, a rejected row
  kNotFound,          // 404
  kConflict,          // a transition not allowed from the current state: 409
  kUnauthenticated,   // 401
  kPermissionDenied,  // 403
  kTooLarge,          // 413
  kIoError,           // the store or a file failed: 500
};

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Invalid(std::string_view field, std::string reason) {
    return Status(StatusCode::kInvalidArgument, std::string(field), std::move(reason));
  }
  static Status NotFound(std::string reason) {
    return Status(StatusCode::kNotFound, "", std::move(reason));
  }
  static Status Conflict(std::string reason) {
    return Status(StatusCode::kConflict, "", std::move(reason));
  }
  static Status Io(std::string reason) {
    return Status(StatusCode::kIoError, "", std::move(reason));
  }
  static Status Make(StatusCode code, std::string field, std::string reason) {
    return Status(code, std::move(field), std::move(reason));
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& field() const { return field_; }
  const std::string& reason() const { return reason_; }
  // "field: reason", or the reason alone when no field is concerned.
  std::string ToString() const { return field_.empty() ? reason_ : field_ + ": " + reason_; }

 private:
  Status(StatusCode code, std::string field, std::string reason)
      : code_(code), field_(std::move(field)), reason_(std::move(reason)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string field_;
  std::string reason_;
};

// A value or the Status saying why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT
  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace credlist
