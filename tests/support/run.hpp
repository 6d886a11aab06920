#pragma once
// Runs the strata command line in a shell and captures what it prints.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include "paths.hpp"

namespace strata::test {

struct CliResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

inline CliResult run_cli(const std::string& args, bool with_stderr = true) {
  const std::string command =
      "'" + cli_path().string() + "' " + args + (with_stderr ? " 2>&1" : " 2>/dev/null");
  CliResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace strata::test
