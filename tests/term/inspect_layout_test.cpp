// Elixir's inspect/2 layout (`pretty`, `width`, `limit`, `printable_limit`) against real
// Elixir 1.14: each term is made by `elixir`, sent over as external term format, and otpp's
// text must equal what Elixir's inspect printed, character for character.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "otpp/term/etf.hpp"
#include "otpp/term/print.hpp"
#include "support/child_process.hpp"
#include "support/eventually.hpp"

namespace {

using namespace otpp;
using namespace std::chrono_literals;

// The terms, as Elixir expressions; `m` is what `defmodule` answers in iex.
const std::vector<std::string> expressions = {
    "Enum.to_list(1..100)",
    "Enum.to_list(1..30)",
    "Enum.to_list(1000..1030)",
    "Enum.to_list(1..24)",
    "Enum.to_list(1..25)",
    "Enum.to_list(1..26)",
    "Enum.to_list(1..27)",
    "Enum.to_list(1..50)",
    "Enum.to_list(1..51)",
    "m",
    ":binary.copy(<<1, 2, 3>>, 40)",
    "<<0, 1, 2>>",
    "<<\"abc\", 0, 200>>",
    "List.duplicate(<<200, 201>>, 10)",
    "{Enum.to_list(1..20), Enum.to_list(21..40), {:a, :b}}",
    "Tuple.duplicate({:hello, :world, 1234567}, 6)",
    "List.to_tuple(Enum.to_list(1..60))",
    "Map.new(1..30, fn i -> {i, i * i} end)",
    "Map.new(1..12, fn i -> {String.to_atom(\"key#{i}\"), i} end)",
    "Enum.map(1..12, fn i -> {String.to_atom(\"option_#{i}\"), i * 100} end)",
    "%{a: %{b: Enum.to_list(1..30)}, c: \"hello\"}",
    "%{\"string key\" => String.duplicate(\"v\", 70), \"k2\" => [1, 2, 3]}",
    "Map.new(1..8, fn i -> {{i, :key}, [i, i + 1]} end)",
    "String.duplicate(\"abc \", 40)",
    "String.duplicate(\"x\", 5000)",
    "String.duplicate(\"h\\u00e9llo w\\u00f6rld \", 10)",
    "'hello'",
    "String.to_charlist(String.duplicate(\"ab\", 60))",
    "List.duplicate(?a, 5000)",
    "[1, 2 | 3]",
    "Enum.to_list(1..30) ++ :tail",
    "Enum.to_list(1..60) ++ :tail",
    "Enum.map(1..15, &{&1, :erlang.integer_to_binary(&1)})",
    "Enum.map(1..30, &\"item #{&1}\")",
    "Enum.map(1..5, fn i -> Enum.to_list(1..(i * 5)) end)",
    "[Enum.to_list(1..100)]",
    "[Enum.to_list(1..100), Enum.to_list(1..100)]",
    "[a: [b: [c: Enum.to_list(1..40)]]]",
    "<<1::3>>",
    "<<255, 1::4>>",
    "<<:binary.copy(<<7>>, 60)::binary, 1::3>>",
    "Enum.map(1..20, &(&1 / 3))",
    "[:alpha, :beta, :\"quoted atom\", Kate, nil, true, :gamma, :delta, :epsilon, :zeta, :eta]",
    "{[], %{}, {}, \"\", <<>>}",
    "MapSet.new(1..30)",
    "{1..10, MapSet.new([:a, :b])}",
};

// The option sets each term is inspected with: iex's, a limit alone (one line), and a
// narrow width with a small limit. (Maps and sets of more than 32 keys are left out: Elixir
// prints them in hash order.)
const std::vector<std::pair<std::string, print_options>> option_sets = [] {
  print_options limited(syntax::elixir);
  limited.limit = 5;
  limited.printable_limit = 4096;  // Elixir's default, whatever the other options
  print_options narrow(syntax::elixir);
  narrow.pretty = true;
  narrow.width = 30;
  narrow.limit = 10;
  narrow.printable_limit = 20;
  return std::vector<std::pair<std::string, print_options>>{
      {"pretty: true, width: 80, limit: 50", print_options::iex()},
      {"limit: 5", limited},
      {"pretty: true, width: 30, limit: 10, printable_limit: 20", narrow}};
}();

const std::string separator = "~~~~ otpp inspect layout ~~~~";

struct sample {
  std::string expression;
  term value;
  std::vector<std::string> inspected;  // one per option set
};

class inspect_layout_against_elixir : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string script =
        "{:module, _, _, _} = m = defmodule Kate do def say_name, do: IO.puts(\"hi\") end\n"
        "for t <- [";
    for (std::size_t i = 0; i < expressions.size(); ++i) script += (i ? ",\n" : "\n") + expressions[i];
    script += "] do\n  IO.puts(Base.encode16(:erlang.term_to_binary(t)))\n";
    for (const auto& [opts, unused] : option_sets) {
      script += "  IO.puts(inspect(t, " + opts + "))\n  IO.puts(\"" + separator + "\")\n";
    }
    script += "end\n";
    test::child_process elixir({{"elixir", "-e", script}, {}, false});
    (void)test::eventually([&] { return !elixir.running(); }, 60s);
    (void)elixir.wait();
    (void)elixir.wait_for(std::string(1, '\0'), 2s);
    const std::string out = elixir.output();
    std::size_t at = 0;
    auto next = [&](std::string_view end) {
      const auto stop = out.find(end, at);
      if (stop == std::string::npos) return std::string();
      std::string piece = out.substr(at, stop - at);
      at = stop + end.size();
      return piece;
    };
    for (const auto& expression : expressions) {
      sample s{expression, term(), {}};
      const std::string hex = next("\n");
      std::vector<std::uint8_t> bytes;
      for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        bytes.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
      }
      if (auto t = etf::decode(bytes)) s.value = *t;
      for (std::size_t i = 0; i < option_sets.size(); ++i) s.inspected.push_back(next("\n" + separator + "\n"));
      samples_.push_back(std::move(s));
    }
    raw_output_ = out;
  }

  static std::vector<sample> samples_;
  static std::string raw_output_;
};

std::vector<sample> inspect_layout_against_elixir::samples_;
std::string inspect_layout_against_elixir::raw_output_;

TEST_F(inspect_layout_against_elixir, every_term_prints_as_elixir_inspect_prints_it) {
  ASSERT_EQ(samples_.size(), expressions.size()) << raw_output_;
  for (const sample& s : samples_) {
    ASSERT_FALSE(s.inspected.back().empty()) << s.expression << "\n" << raw_output_.substr(0, 2000);
    for (std::size_t i = 0; i < option_sets.size(); ++i) {
      EXPECT_EQ(to_string(s.value, option_sets[i].second), s.inspected[i])
          << "inspect(" << s.expression << ", " << option_sets[i].first << ")";
    }
  }
}

TEST(inspect_layout, the_default_options_keep_one_line_and_every_item) {
  std::vector<term> items;
  for (int i = 1; i <= 100; ++i) items.emplace_back(i);
  const std::string text = to_string(term::list(items), syntax::elixir);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_EQ(text.find("..."), std::string::npos);
  EXPECT_NE(text.find(", 100]"), std::string::npos);
}

TEST(inspect_layout, iex_options_break_lines_and_stop_at_fifty_items) {
  std::vector<term> items;
  for (int i = 1; i <= 100; ++i) items.emplace_back(i);
  const std::string text = to_string(term::list(items), print_options::iex());
  EXPECT_NE(text.find('\n'), std::string::npos);
  EXPECT_NE(text.find(", 50, ...]"), std::string::npos) << text;
}

}  // namespace
