#pragma once
/// @file error.hpp
/// @brief The one exception hierarchy of strata, and the STRATA_EXPECTS check.
///
/// Every message says what is wrong, where (file, line, tensor, kernel) and what to do. The CLI
/// prints `what()` and exits non-zero; nothing is silently clamped.

#include <stdexcept>
#include <string>

namespace strata {

/// @brief Base of every error strata raises on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// @brief Malformed or inconsistent input: a trace, a preset, a plan, a flag.
class InvalidInput : public Error {
 public:
  using Error::Error;
};

/// @brief A memory tier cannot hold what it is asked to hold.
class OutOfMemory : public Error {
 public:
  using Error::Error;
};

/// @brief A file or device operation failed.
class IoError : public Error {
 public:
  using Error::Error;
};

/// @brief A valid request that this build or machine cannot serve.
class Unsupported : public Error {
 public:
  using Error::Error;
};

/// @brief A run stopped because its caller asked it to (a stop token, Executor::cancel()).
class Cancelled : public Error {
 public:
  using Error::Error;
};

/// @brief Raised by STRATA_EXPECTS: a broken internal invariant (a bug), with file and line.
class InternalError : public Error {
 public:
  using Error::Error;
};

namespace detail {
[[noreturn]] void expects_failed(const char* condition, const std::string& message,
                                 const char* file, int line);
}  // namespace detail

}  // namespace strata

/// @brief Checks an internal invariant; on failure throws strata::InternalError naming the
/// condition, the message, and the source file and line.
#define STRATA_EXPECTS(cond, msg)                                                    \
  do {                                                                               \
    if (!(cond)) ::strata::detail::expects_failed(#cond, (msg), __FILE__, __LINE__); \
  } while (false)
