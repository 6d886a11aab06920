#include "strata/io/workload_json.hpp"

#include "json_fields.hpp"
#include "strata/core/error.hpp"
#include "strata/io/text_file.hpp"

namespace strata {
namespace {

using json_io::json;
using Fields = json_io::JsonFields;

std::vector<TensorId> id_list(const Fields& f, const json& value, const std::string& where) {
  if (!value.is_array()) f.fail(where, "must be an array of tensor ids");
  std::vector<TensorId> ids;
  ids.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i)
    ids.push_back(f.convert<TensorId>(value[i], where + "[" + std::to_string(i) + "]"));
  return ids;
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
  for (const Kernel& k : w.kernels) {
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
    if (!k.state_updates.empty()) kernels.back()["state_updates"] = k.state_updates;
    if (k.pf_times) {
      kernels.back()["input_pf_ns"] = k.pf_times->input_pf_ns;
      kernels.back()["pf_ns"] = k.pf_times->pf_ns;
    }
  }
  json doc = {{"format", "strata.workload"}, {"version", kWorkloadFormatVersion}, {"name", w.name}};
  if (w.parameters) doc["parameters"] = *w.parameters;
  doc["tensors"] = std::move(tensors);
  doc["kernels"] = std::move(kernels);
  return doc.dump(indent) + "\n";
}

Workload workload_from_json(std::string_view text, std::string_view source) {
  const json doc = json_io::parse_json_document(text, source);
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

  const json& tensors = top.at("tensors");
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
    t.kind = f.enumeration("kind", parse_tensor_kind);
    t.persistent = f.get<bool>("persistent");
    w.tensors.push_back(std::move(t));
  }
  const json& kernels = top.at("kernels");
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
    k.phase = f.enumeration("phase", parse_phase);
    k.duration_ns = f.get<std::int64_t>("duration_ns");
    if (k.duration_ns < 0) f.fail(path + ".duration_ns", "is negative");
    k.flops = f.get<std::uint64_t>("flops");
    k.bytes_accessed = f.get<std::uint64_t>("bytes_accessed");
    k.inputs = id_list(f, f.at("inputs"), path + ".inputs");
    k.outputs = id_list(f, f.at("outputs"), path + ".outputs");
    // Optional: state updated in place that the outputs do not read (validate() checks that each
    // is among the inputs and the outputs).
    if (f.has("state_updates"))
      k.state_updates = id_list(f, f.at("state_updates"), path + ".state_updates");
    for (const auto& [ids, field] : {std::pair{&k.inputs, ".inputs"},
                                     {&k.outputs, ".outputs"},
                                     {&k.state_updates, ".state_updates"}})
      for (TensorId t : *ids)
        if (t >= w.tensors.size())
          f.fail(path + field, "names tensor " + std::to_string(t) + ", which does not exist");
    k.workspace_bytes = f.get<std::uint64_t>("workspace_bytes");
    if (f.has("input_pf_ns") || f.has("pf_ns")) {
      // Measured page-fault times (G10 traces): both or neither.
      k.pf_times = PageFaultTimes{f.get<std::int64_t>("input_pf_ns"), f.get<std::int64_t>("pf_ns")};
      if (k.pf_times->input_pf_ns < 0) f.fail(path + ".input_pf_ns", "is negative");
      if (k.pf_times->pf_ns < 0) f.fail(path + ".pf_ns", "is negative");
    }
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
