#pragma once
/// @file dtype.hpp
/// @brief Element types of tensors in training, and their sizes.

#include <cstdint>
#include <string_view>

namespace strata {

enum class DType : std::uint8_t { fp32, fp16, bf16 };

/// @brief Bytes of one element.
constexpr std::uint64_t dtype_bytes(DType t) { return t == DType::fp32 ? 4 : 2; }

/// @brief "fp32", "fp16" or "bf16".
std::string_view to_string(DType t);

/// @brief Parses "fp32", "fp16" or "bf16"; throws InvalidInput naming the accepted values.
DType parse_dtype(std::string_view text);

}  // namespace strata
