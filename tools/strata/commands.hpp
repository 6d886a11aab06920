#pragma once
// Each subcommand registers itself on the app; see its file.
#include <CLI/CLI.hpp>

namespace strata::cli {
struct Paths;
void add_inspect(CLI::App& app, const Paths& paths);
void add_machine(CLI::App& app, const Paths& paths);
void add_models(CLI::App& app);
void add_sim(CLI::App& app, const Paths& paths);
void add_compare(CLI::App& app, const Paths& paths);
void add_bound(CLI::App& app, const Paths& paths);
void add_sweep(CLI::App& app, const Paths& paths);
void add_run(CLI::App& app, const Paths& paths);
void add_bench(CLI::App& app);
}  // namespace strata::cli
