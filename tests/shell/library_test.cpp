// The library modules' functions against real Elixir 1.14: every expression of
// library_cases.txt evaluated by `elixir` and by the otpp shell prints the same `inspect` of
// its value, or the same exception and message.
#include <algorithm>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support/child_process.hpp"
#include "support/eventually.hpp"

namespace {

using otpp::test::child_process;
using namespace std::chrono_literals;

std::vector<std::string> cases() {
  std::ifstream in(std::string(OTPP_SOURCE_DIR) + "/tests/shell/library_cases.txt");
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') out.push_back(line);
  return out;
}

// One program running every case in a fun of its own, printing `N inspect-of-value` or
// `N raised Module: message` per case, so one failure cannot hide the others.
std::string program(const std::vector<std::string>& exprs) {
  std::string p =
      "run_case = fn {i, f} ->\n"
      "  r = try do\n"
      "    inspect(f.())\n"
      "  rescue\n"
      "    e -> \"raised \" <> inspect(e.__struct__) <> \": \" <> Exception.message(e)\n"
      "  catch\n"
      "    k, v -> \"caught #{inspect(k)} #{inspect(v)}\"\n"
      "  end\n"
      "  IO.puts(\"#{i} #{r}\")\n"
      "end\n";
  // In lists of at most 400 cases: BEAM compiles a script into one function, and a list of
  // more than about 1,000 closures exceeds its registers ("An implementation limit was reached").
  constexpr std::size_t chunk = 400;
  for (std::size_t start = 0; start < exprs.size(); start += chunk) {
    const std::size_t end = std::min(exprs.size(), start + chunk);
    p += "Enum.each([\n";
    for (std::size_t i = start; i < end; ++i)
      p += "  {" + std::to_string(i) + ", fn -> " + exprs[i] + " end}" + (i + 1 < end ? ",\n" : "\n");
    p += "], run_case)\n";
  }
  return p;
}

// A closure prints with numbers only its own module knows (`#Function<48.103858489/1 in
// Stream.map/2>`): the comparison keeps only that it is a closure.
std::string without_fun_numbers(const std::string& line) {
  static const std::regex closure("#Function<[^>]*>");
  return std::regex_replace(line, closure, "#Function<>");
}

// Each case's printed line, by number.
std::map<int, std::string> run(std::vector<std::string> argv) {
  child_process p({std::move(argv), {{"OTPP_HISTORY", ""}}, false});
  (void)otpp::test::eventually([&] { return !p.running(); }, 120s);
  (void)p.wait();
  (void)p.wait_for(std::string(1, '\0'), 2s);  // until the reader saw the end of output
  std::map<int, std::string> lines;
  std::istringstream in(p.output());
  for (std::string line; std::getline(in, line);) {
    auto space = line.find(' ');
    if (space == std::string::npos || space == 0 || line.find_first_not_of("0123456789") != space) continue;
    lines[std::stoi(line.substr(0, space))] = without_fun_numbers(line.substr(space + 1));
  }
  return lines;
}

TEST(library_against_elixir, every_case_prints_what_elixir_prints) {
  auto exprs = cases();
  ASSERT_GT(exprs.size(), 200U);
  std::string text = program(exprs);
  std::string path = ::testing::TempDir() + "otpp_library_cases.exs";
  std::ofstream(path) << text;
  auto reference = run({"elixir", path});
  auto ours = run({std::string(OTPP_BIN_DIR) + "/otpp", "--no-banner", "--eval", text, "--halt"});
  ASSERT_EQ(reference.size(), exprs.size()) << "elixir did not run every case";
  for (std::size_t i = 0; i < exprs.size(); ++i) {
    int n = static_cast<int>(i);
    EXPECT_EQ(ours[n], reference[n]) << exprs[i];
  }
}

}  // namespace
