// strata command line: see `strata --help`.
#include <CLI/CLI.hpp>
#include <iostream>

#include "strata/core/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"strata: plan and run deep-learning training across GPU, host and flash memory"};
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
