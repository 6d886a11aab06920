#include "strata/core/error.hpp"

namespace strata::detail {

void expects_failed(const char* condition, const std::string& message, const char* file, int line) {
  throw InternalError(std::string(file) + ":" + std::to_string(line) + ": internal check failed (" +
                      condition + "): " + message);
}

}  // namespace strata::detail
