#include "strata/core/dtype.hpp"

#include <string>

#include "strata/core/error.hpp"

namespace strata {

std::string_view to_string(DType t) {
  switch (t) {
    case DType::fp32: return "fp32";
    case DType::fp16: return "fp16";
    case DType::bf16: return "bf16";
  }
  return "?";
}

DType parse_dtype(std::string_view text) {
  if (text == "fp32") return DType::fp32;
  if (text == "fp16") return DType::fp16;
  if (text == "bf16") return DType::bf16;
  throw InvalidInput("unknown dtype '" + std::string(text) + "': use fp32, fp16 or bf16");
}

}  // namespace strata
