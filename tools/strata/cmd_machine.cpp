// strata machine: the machine presets.
#include <iostream>

#include "commands.hpp"
#include "common.hpp"

namespace strata::cli {

void add_machine(CLI::App& app, const Paths& paths) {
  CLI::App* cmd =
      app.add_subcommand("machine", "Show the machine presets (devices, tiers, links, buses)");
  cmd->require_subcommand(1);
  auto preset = std::make_shared<std::string>();
  CLI::App* show = cmd->add_subcommand("show", "Print a machine preset or .toml file");
  show->add_option("preset", *preset, "preset name (see `strata machine list`) or a .toml file")
      ->required();
  show->callback(
      [preset, &paths] { std::cout << describe(load_machine(*preset, paths.machine_dirs)); });
  CLI::App* list = cmd->add_subcommand("list", "List the machine presets");
  list->callback([&paths] {
    for (const std::string& name : list_presets(paths.machine_dirs)) {
      const Machine m = load_machine(name, paths.machine_dirs);
      std::cout << name << std::string(name.size() < 18 ? 18 - name.size() : 1, ' ')
                << m.description << "\n";
    }
  });
}

}  // namespace strata::cli
