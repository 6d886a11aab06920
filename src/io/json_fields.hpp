#pragma once
// Private to src/io: reading strata's JSON formats with errors that name the file and the JSON
// path of the bad value ("w.json: $.kernels[3].phase is invalid: ...").
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <type_traits>

#include "strata/core/error.hpp"

namespace strata::json_io {

using nlohmann::json;

/// Parses a document; a syntax error is InvalidInput "<source>:<line>:<column>: not valid JSON".
json parse_json_document(std::string_view text, std::string_view source);

/// Typed access to one JSON object.
class JsonFields {
 public:
  JsonFields(const json& object, std::string path, std::string_view source)
      : object_(object), path_(std::move(path)), source_(source) {
    if (!object_.is_object()) fail(path_, "must be an object");
  }

  const json& at(const char* key) const {
    const auto it = object_.find(key);
    if (it == object_.end()) fail(path_ + "." + key, "is missing");
    return *it;
  }
  bool has(const char* key) const { return object_.contains(key); }
  const std::string& path() const { return path_; }

  /// The value at `key` as T: std::string, bool, or an integer type (range-checked).
  template <typename T>
  T get(const char* key) const {
    return convert<T>(at(key), path_ + "." + key);
  }

  /// The string at `key` parsed by `parse` (which throws InvalidInput for a bad name).
  template <typename Parse>
  auto enumeration(const char* key, Parse parse) const {
    const std::string text = get<std::string>(key);
    try {
      return parse(text);
    } catch (const InvalidInput& e) {
      fail(path_ + "." + key, std::string("is invalid: ") + e.what());
    }
  }

  template <typename T>
  T convert(const json& value, const std::string& where) const {
    if constexpr (std::is_same_v<T, std::string>) {
      if (!value.is_string()) fail(where, "must be a string");
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!value.is_boolean()) fail(where, "must be true or false");
    } else if constexpr (std::is_unsigned_v<T>) {
      if (!value.is_number_unsigned()) fail(where, "must be a non-negative integer");
      if (value.get<std::uint64_t>() > std::numeric_limits<T>::max()) fail(where, "is too large");
    } else {
      static_assert(std::is_integral_v<T>, "JsonFields reads strings, bools and integers");
      if (!value.is_number_integer()) fail(where, "must be an integer");
    }
    return value.get<T>();
  }

  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw InvalidInput(std::string(source_) + ": " + where + " " + what);
  }

 private:
  const json& object_;
  std::string path_;
  std::string_view source_;
};

}  // namespace strata::json_io
