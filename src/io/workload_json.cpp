#include "strata/io/workload_json.hpp"

#include <nlohmann/json.hpp>

#include "strata/core/error.hpp"
#include "strata/io/text_file.hpp"

namespace strata {
namespace {

using nlohmann::json;

/// Reads typed fields of one JSON object, naming "<source>: <path>.<key>" in every error.
class Fields {
 public:
  Fields(const json& object, std::string path, std::string_view source)
      : object_(object), path_(std::move(path)), source_(source) {
    if (!object_.is_object()) fail(path_, "must be an object");
  }
  template <typename T>
  T get(const char* key) const {
    const auto it = object_.find(key);
    if (it == object_.end()) fail(path_ + "." + key, "is missing");
    return convert<T>(*it, path_ + "." + key);
  }
  bool has(const char* key) const { return object_.contains(key); }

  template <typename T>
  T convert(const json& value, const std::string& where) const {
    if constexpr (std::is_same_v<T, std::string>) {
      if (!value.is_string()) fail(where, "must be a string");
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!value.is_boolean()) fail(where, "must be true or false");
    } else if constexpr (std::is_unsigned_v<T>) {
      if (!value.is_number_unsigned()) fail(where, "must be a non-negative integer");
      if (value.get<std::uint64_t>() > std::numeric_limits<T>::max()) fail(where, "is too large");
    } else if constexpr (std::is_integral_v<T>) {
      if (!value.is_number_integer()) fail(where, "must be an integer");
    } else {
      static_assert(std::is_same_v<T, const json*>);
    }
    if constexpr (std::is_same_v<T, const json*>)
      return &value;
    else
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

std::vector<TensorId> id_list(const Fields& f, const json& value, const std::string& where) {
  if (!value.is_array()) f.fail(where, "must be an array of tensor ids");
  std::vector<TensorId> ids;
  ids.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i)
    ids.push_back(f.convert<TensorId>(value[i], where + "[" + std::to_string(i) + "]"));
  return ids;
}

template <typename Parse>
auto enum_field(const Fields& f, const std::string& text, const std::string& where, Parse parse) {
  try {
    return parse(text);
  } catch (const InvalidInput& e) {
    f.fail(where, std::string("is invalid: ") + e.what());
  }
}

/// Line and column of a byte offset, for parse errors.
std::string position(std::string_view text, std::size_t byte) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return std::to_string(line) + ":" + std::to_string(column);
}

}  // namespace

std::string workload_to_json(const Workload& w, int indent) {
  json tensors = json::array();
  for (const Tensor& t : w.tensors)
    tensors.push_back({{"id", t.id},
                       {"name", t.name},
                       {"bytes", t.bytes},
                       {"kind", to_string(t.kind)},
                       {"persistent", t.persistent}});
  json kernels = json::array();
  for (const Kernel& k : w.kernels)
    kernels.push_back({{"id", k.id},
                       {"name", k.name},
                       {"op", k.op},
                       {"phase", to_string(k.phase)},
                       {"duration_ns", k.duration_ns},
                       {"flops", k.flops},
                       {"bytes_accessed", k.bytes_accessed},
                       {"inputs", k.inputs},
                       {"outputs", k.outputs},
                       {"workspace_bytes", k.workspace_bytes}});
  json doc = {{"format", "strata.workload"}, {"version", kWorkloadFormatVersion}, {"name", w.name}};
  if (w.parameters) doc["parameters"] = *w.parameters;
  doc["tensors"] = std::move(tensors);
  doc["kernels"] = std::move(kernels);
  return doc.dump(indent) + "\n";
}

Workload workload_from_json(std::string_view text, std::string_view source) {
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    throw InvalidInput(std::string(source) + ":" + position(text, e.byte == 0 ? 0 : e.byte - 1) +
                       ": not valid JSON (" + e.what() + ")");
  }
  const Fields top(doc, "$", source);
  if (top.get<std::string>("format") != "strata.workload")
    top.fail("$.format", "must be \"strata.workload\"; is this a strata workload file?");
  const auto version = top.get<std::int64_t>("version");
  if (version != kWorkloadFormatVersion)
    top.fail("$.version", "is " + std::to_string(version) + "; this strata reads version " +
                              std::to_string(kWorkloadFormatVersion));
  Workload w;
  w.name = top.get<std::string>("name");
  if (top.has("parameters")) w.parameters = top.get<std::uint64_t>("parameters");

  const json& tensors = *top.get<const json*>("tensors");
  if (!tensors.is_array()) top.fail("$.tensors", "must be an array");
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const std::string path = "$.tensors[" + std::to_string(i) + "]";
    const Fields f(tensors[i], path, source);
    Tensor t;
    t.id = f.get<TensorId>("id");
    if (t.id != i)
      f.fail(path + ".id",
             "is " + std::to_string(t.id) + "; ids must equal the position in the array");
    t.name = f.get<std::string>("name");
    t.bytes = f.get<std::uint64_t>("bytes");
    t.kind = enum_field(f, f.get<std::string>("kind"), path + ".kind", parse_tensor_kind);
    t.persistent = f.get<bool>("persistent");
    w.tensors.push_back(std::move(t));
  }
  const json& kernels = *top.get<const json*>("kernels");
  if (!kernels.is_array()) top.fail("$.kernels", "must be an array");
  for (std::size_t i = 0; i < kernels.size(); ++i) {
    const std::string path = "$.kernels[" + std::to_string(i) + "]";
    const Fields f(kernels[i], path, source);
    Kernel k;
    k.id = f.get<KernelId>("id");
    if (k.id != i)
      f.fail(path + ".id",
             "is " + std::to_string(k.id) + "; ids must equal the position in the array");
    k.name = f.get<std::string>("name");
    k.op = f.get<std::string>("op");
    k.phase = enum_field(f, f.get<std::string>("phase"), path + ".phase", parse_phase);
    k.duration_ns = f.get<std::int64_t>("duration_ns");
    if (k.duration_ns < 0) f.fail(path + ".duration_ns", "is negative");
    k.flops = f.get<std::uint64_t>("flops");
    k.bytes_accessed = f.get<std::uint64_t>("bytes_accessed");
    k.inputs = id_list(f, *f.get<const json*>("inputs"), path + ".inputs");
    k.outputs = id_list(f, *f.get<const json*>("outputs"), path + ".outputs");
    for (TensorId t : k.inputs)
      if (t >= w.tensors.size())
        f.fail(path + ".inputs", "names tensor " + std::to_string(t) + ", which does not exist");
    for (TensorId t : k.outputs)
      if (t >= w.tensors.size())
        f.fail(path + ".outputs", "names tensor " + std::to_string(t) + ", which does not exist");
    k.workspace_bytes = f.get<std::uint64_t>("workspace_bytes");
    w.kernels.push_back(std::move(k));
  }
  try {
    validate(w);
  } catch (const InvalidInput& e) {
    throw InvalidInput(std::string(source) + ": " + e.what());
  }
  return w;
}

Workload load_workload_json(const std::filesystem::path& path) {
  return workload_from_json(read_text_file(path), path.string());
}

}  // namespace strata
