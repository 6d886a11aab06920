#pragma once
// A comma-separated command-line value ("BERT-256,VIT-512"), for the plain-main benchmarks.
#include <sstream>
#include <string>
#include <vector>

namespace strata::bench {

/// The items of `text` split at commas, empty items dropped.
inline std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace strata::bench
