// strata models: the model zoo.
#include <iostream>

#include "commands.hpp"
#include "common.hpp"
#include "strata/models/zoo.hpp"

namespace strata::cli {

void add_models(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("models", "List the model zoo (use as model:<name>)");
  cmd->callback([] {
    for (std::string_view name : model_names()) std::cout << describe_model(name) << "\n";
    std::cout << "\nUse as model:<name>, shaped by --batch, --seq (text transformers), --dtype and "
                 "--optimizer.\n";
  });
}

}  // namespace strata::cli
