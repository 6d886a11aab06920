#pragma once
// A hand-built workload for tests: tensors t0, t1, ... and kernels added in order.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "strata/workload/workload.hpp"

namespace strata::test {

struct WorkloadBuilder {
  Workload w;

  /// A tensor of `bytes`: a weight (persistent) or an activation.
  TensorId tensor(std::uint64_t bytes, bool persistent = false) {
    const TensorId id = static_cast<TensorId>(w.tensors.size());
    w.tensors.push_back({id, "t" + std::to_string(id), bytes,
                         persistent ? TensorKind::weight : TensorKind::activation, persistent});
    return id;
  }
  /// A kernel "k<id>" of `ns` that reads `in`, writes `out` and needs `workspace` bytes.
  KernelId kernel(std::int64_t ns, std::vector<TensorId> in, std::vector<TensorId> out,
                  std::uint64_t workspace = 0) {
    Kernel& k = add(std::move(in), std::move(out));
    k.name = "k" + std::to_string(k.id);
    k.duration_ns = ns;
    k.workspace_bytes = workspace;
    return k.id;
  }
  /// A kernel "<op>_<id>" with an op and a phase (what op-aware policies look at).
  KernelId kernel(std::string op, Phase phase, std::vector<TensorId> in, std::vector<TensorId> out,
                  std::int64_t ns = 1'000) {
    Kernel& k = add(std::move(in), std::move(out));
    k.name = op + "_" + std::to_string(k.id);
    k.op = std::move(op);
    k.phase = phase;
    k.duration_ns = ns;
    return k.id;
  }
  /// The workload, named "hand-built" and validated.
  Workload done() {
    w.name = "hand-built";
    validate(w);
    return w;
  }

 private:
  Kernel& add(std::vector<TensorId> in, std::vector<TensorId> out) {
    Kernel k;
    k.id = static_cast<KernelId>(w.kernels.size());
    k.inputs = std::move(in);
    k.outputs = std::move(out);
    w.kernels.push_back(std::move(k));
    return w.kernels.back();
  }
};

}  // namespace strata::test
