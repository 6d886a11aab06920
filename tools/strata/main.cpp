// strata command line: see `strata --help`.
#include <CLI/CLI.hpp>
#include <iostream>

#include "commands.hpp"
#include "common.hpp"
#include "strata/core/error.hpp"

int main(int argc, char** argv) {
  using namespace strata;
  CLI::App app{"strata: plan and run deep-learning training across GPU, host and flash memory"};
  app.require_subcommand(1);
  app.footer(
      "Environment:\n"
      "  STRATA_G10_DIR       folder of G10 workloads for g10:<name> (default: ../shared/g10 "
      "beside the repo)\n"
      "  STRATA_MACHINES_DIR  extra folder of machine presets (default: configs/machines in the "
      "repo)");
  const cli::Paths paths = cli::discover_paths(argc > 0 ? argv[0] : "strata");
  cli::add_inspect(app, paths);
  cli::add_machine(app, paths);
  cli::add_models(app);
  cli::add_sim(app, paths);
  cli::add_compare(app, paths);
  cli::add_bound(app, paths);
  cli::add_sweep(app, paths);
  cli::add_run(app, paths);
  cli::add_bench(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const Error& e) {
    std::cerr << "strata: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "strata: internal error: " << e.what() << "\n";
    return 3;
  }
  return 0;
}
