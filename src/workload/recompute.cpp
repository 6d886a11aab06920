#include "strata/workload/recompute.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace strata {

namespace {

constexpr std::array<std::string_view, 20> kCheapOps = {
    "relu",      "gelu",    "silu",  "tanh",     "sigmoid",  "dropout", "batchnorm",
    "layernorm", "rmsnorm", "add",   "subtract", "multiply", "mul",     "divide",
    "sqrt",      "power",   "scale", "softmax",  "rope",     "sum"};

std::string normalized(std::string_view op) {
  std::string s;
  s.reserve(op.size());
  for (char c : op) s.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  // "batchnorm2d", "batchnorm1d": drop a trailing <digit>d.
  if (s.size() > 2 && s.back() == 'd' && std::isdigit(static_cast<unsigned char>(s[s.size() - 2])))
    s.resize(s.size() - 2);
  if (s == "softmaxbasic") s = "softmax";  // G10's name for softmax
  return s;
}

}  // namespace

bool is_cheap_op(std::string_view op) {
  const std::string s = normalized(op);
  return std::find(kCheapOps.begin(), kCheapOps.end(), s) != kCheapOps.end();
}

bool is_cheap_to_recompute(const Kernel& k) {
  if (k.phase != Phase::forward) return false;
  if (is_cheap_op(k.op)) return true;
  const std::string_view name = k.name;
  return is_cheap_op(name.substr(0, name.find('_')));
}

}  // namespace strata
