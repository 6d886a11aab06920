// strata models: the model zoo.
#include <iostream>

#include "commands.hpp"
#include "common.hpp"
#include "strata/models/zoo.hpp"

namespace strata::cli {

void add_models(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("models", "List the model zoo (use as model:<name>)");
  cmd->callback([] {
    for (std::string_view name : model_names()) {
      const std::string n(name);
      std::cout << n << std::string(n.size() < 14 ? 14 - n.size() : 1, ' ') << describe_model(name) << "\n";
    }
  });
}

}  // namespace strata::cli
