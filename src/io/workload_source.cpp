#include "strata/io/workload_source.hpp"

#include <string>

#include "strata/core/error.hpp"
#include "strata/io/g10_trace.hpp"
#include "strata/io/workload_json.hpp"

namespace strata {
namespace {

constexpr std::string_view kForms =
    "use g10:<folder> (a G10 trace), model:<name> (the model zoo; `strata models` lists them) or a "
    "strata workload .json file";

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

void reject_model_options(std::string_view spec, const WorkloadSourceOptions& o) {
  const char* flag = o.batch       ? "--batch"
                     : o.seq       ? "--seq"
                     : o.dtype     ? "--dtype"
                     : o.optimizer ? "--optimizer"
                                   : nullptr;
  if (flag)
    throw InvalidInput(std::string(flag) + " shapes model: workloads only; '" + std::string(spec) +
                       "' is a recorded trace with its shape fixed. Drop " + flag +
                       " or use model:<name>");
}

std::filesystem::path find_g10_folder(std::string_view name,
                                      const std::vector<std::filesystem::path>& dirs) {
  std::error_code ec;
  const std::filesystem::path direct(name);
  if (std::filesystem::is_directory(direct, ec)) return direct;
  std::string searched;
  for (const auto& dir : dirs) {
    if (std::filesystem::is_directory(dir / direct, ec)) return dir / direct;
    searched += "\n  " + (dir / direct).string();
  }
  std::string available;
  for (const auto& dir : dirs) {
    if (!std::filesystem::is_directory(dir, ec)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
      if (entry.is_directory() && std::filesystem::exists(entry.path() / "kernels.config"))
        available += " " + entry.path().filename().string();
    if (!available.empty()) break;
  }
  throw IoError("G10 workload folder '" + std::string(name) + "' not found; looked at '" +
                std::string(name) + "'" + searched +
                (available.empty()
                     ? std::string("\nset STRATA_G10_DIR to the folder holding the workloads")
                     : "\navailable:" + available));
}

}  // namespace

bool is_model_spec(std::string_view spec) { return starts_with(spec, "model:"); }

Workload load_workload(std::string_view spec, const WorkloadSourceOptions& options) {
  if (starts_with(spec, "g10:")) {
    reject_model_options(spec, options);
    const std::string_view name = spec.substr(4);
    if (name.empty())
      throw InvalidInput("'g10:' needs a folder, e.g. g10:BERT-256 or g10:../shared/g10/BERT-256");
    return load_g10_folder(find_g10_folder(name, options.g10_dirs));
  }
  if (is_model_spec(spec)) {
    ModelOptions model;
    model.model = std::string(spec.substr(6));
    if (options.batch) model.batch = *options.batch;
    if (options.seq) model.seq = *options.seq;
    if (options.dtype) model.dtype = *options.dtype;
    if (options.optimizer) model.optimizer = *options.optimizer;
    return build_model(model, options.device);
  }
  std::string_view path = spec;
  if (starts_with(spec, "json:"))
    path = spec.substr(5);
  else if (!(path.size() > 5 && path.substr(path.size() - 5) == ".json"))
    throw InvalidInput("unknown workload '" + std::string(spec) + "': " + std::string(kForms));
  reject_model_options(spec, options);
  return load_workload_json(std::filesystem::path(path));
}

}  // namespace strata
