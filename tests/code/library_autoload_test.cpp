// The library's Elixir-source functions (src/code/lib) load on a node's first missed call, once,
// and then serve calls from other nodes as the C++ ones do: a real erl calls them over rpc.
#include "otpp/code/library.hpp"

#include <gtest/gtest.h>

#include "otp/otp_fixture.hpp"
#include "otpp/code/eval.hpp"
#include "otpp/otp/io.hpp"

namespace {

using namespace otpp;
using namespace std::chrono_literals;

struct library_autoload : otpp::test::otp_test {
  std::shared_ptr<io::string_output_sink> kate_out = std::make_shared<io::string_output_sink>();
  std::unique_ptr<otp::node> kate;

  void SetUp() override {
    otp_test::SetUp();
    kate = start_node("kate", kate_out);
    ASSERT_TRUE(kate);
    code::install(*kate);
  }

  std::optional<export_table::entry> find(const char* module, const char* function, std::size_t arity) {
    return kate->exports().find(atom(module), atom(function), arity);
  }
};

TEST_F(library_autoload, a_module_source_loads_on_its_first_missed_call_and_only_once) {
  EXPECT_EQ(code::library_loads(kate->services()), 0U) << "node start loads no library source";
  ASSERT_TRUE(find("Elixir.Map", "new", 2));
  EXPECT_EQ(code::library_loads(kate->services()), 1U);
  ASSERT_TRUE(find("Elixir.Map", "take", 2));
  EXPECT_FALSE(find("Elixir.Map", "no_such_function", 1));
  EXPECT_EQ(code::library_loads(kate->services()), 1U) << "a second miss of the module loads nothing";
  EXPECT_TRUE(find("Elixir.Map", "get", 2)) << "the C++ functions of the module stay";
  EXPECT_FALSE(find("no_such_module", "f", 0));
  EXPECT_EQ(code::library_loads(kate->services()), 1U);
}

TEST_F(library_autoload, a_real_erl_calls_a_source_function_over_rpc) {
  auto erl = start_erl();
  std::string k = otpp::test::erl_atom(std::string(kate->name().name()));
  auto made = erl->eval("rpc:call(" + k + ", 'Elixir.Keyword', new, [[{b, 1}, {a, 2}, {b, 3}]]).");
  ASSERT_TRUE(made);
  EXPECT_EQ(*made, "[{a,2},{b,3}]");
  auto merged = erl->eval("rpc:call(" + k + ", 'Elixir.Map', merge, [#{a => 1}, #{a => 2}, fun(_, X, Y) -> X + Y end]).");
  ASSERT_TRUE(merged);
  EXPECT_EQ(*merged, "#{a => 3}");
  auto failed = erl->eval("rpc:call(" + k + ", 'Elixir.Keyword', 'fetch!', [[], a]).");
  ASSERT_TRUE(failed);
  EXPECT_NE(failed->find("badkey"), std::string::npos) << *failed;
  // The monitor belongs to rpc's process on otpp; the process runs on erl.
  auto spawned = erl->eval("{P, R} = rpc:call(" + k + ", 'Elixir.Node', spawn_monitor, [node(), erlang, node, []]), "
                           "{node(P) =:= node(), is_reference(R)}.");
  ASSERT_TRUE(spawned);
  EXPECT_EQ(*spawned, "{true,true}") << "Node.spawn_monitor/4 from otpp to the erl node";
  auto missing = erl->eval("rpc:call(" + k + ", 'Elixir.Keyword', no_such_function, []).");
  ASSERT_TRUE(missing);
  EXPECT_NE(missing->find("undef"), std::string::npos) << *missing;
}

}  // namespace
