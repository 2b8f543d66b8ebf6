// The printer against a real erl (io_lib ~tw, ~tp) and elixir (inspect/1): golden output from
// tests/term/golden/make_print_golden.sh, plus the cases the golden files cannot hold.
#include "otpp/term/print.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "otpp/term/etf.hpp"

namespace otpp {
namespace {

std::vector<std::uint8_t> from_hex(std::string_view hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::vector<std::vector<std::string>> read_tsv(const std::string& name) {
  std::ifstream in(std::string(OTPP_SOURCE_DIR) + "/tests/term/golden/" + name);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> fields;
    std::stringstream ss(line);
    std::string f;
    while (std::getline(ss, f, '\t')) fields.push_back(f);
    rows.push_back(std::move(fields));
  }
  return rows;
}

/// One row of print_golden.tsv: what erl and elixir printed for one term.
struct golden_row {
  std::string source, tw, tp, elixir;
  term value;
};

std::vector<golden_row> golden_rows() {
  std::vector<golden_row> rows;
  for (auto& f : read_tsv("print_golden.tsv")) {
    if (f.size() != 5) continue;
    auto decoded = etf::decode(from_hex(f[4]));
    if (!decoded) {
      ADD_FAILURE() << f[0] << ": " << decoded.error().to_string();
      continue;
    }
    rows.push_back({f[0], f[1], f[2], f[3], *decoded});
  }
  return rows;
}

print_options erlang_plain() {
  print_options o(syntax::erlang);
  o.strings = false;
  return o;
}

TEST(print, the_golden_file_covers_the_tricky_terms) {
  EXPECT_GT(golden_rows().size(), 250u);
  EXPECT_EQ(read_tsv("print_floats.tsv").size(), 2000u);
}

TEST(print, erlang_plain_form_is_what_io_lib_tw_prints_for_every_golden_term) {
  for (const auto& row : golden_rows()) {
    EXPECT_EQ(to_string(row.value, erlang_plain()), row.tw) << "term: " << row.source;
  }
}

TEST(print, erlang_string_form_is_what_io_lib_tp_prints_on_one_line_for_every_golden_term) {
  for (const auto& row : golden_rows()) {
    EXPECT_EQ(to_string(row.value, syntax::erlang), row.tp) << "term: " << row.source;
  }
}

TEST(print, elixir_form_is_what_inspect_prints_for_every_golden_term) {
  for (const auto& row : golden_rows()) {
    EXPECT_EQ(to_string(row.value, syntax::elixir), row.elixir) << "term: " << row.source;
  }
}

TEST(print, floats_use_erlangs_shortest_round_trip_layout_for_2000_random_doubles) {
  for (const auto& f : read_tsv("print_floats.tsv")) {
    ASSERT_EQ(f.size(), 3u);
    const auto bytes = from_hex(f[0]);
    std::uint64_t bits = 0;
    for (auto b : bytes) bits = (bits << 8) | b;
    double v = 0;
    std::memcpy(&v, &bits, sizeof v);
    EXPECT_EQ(format_float(v, syntax::erlang), f[1]) << "bits " << f[0];
    EXPECT_EQ(format_float(v, syntax::elixir), f[2]) << "bits " << f[0];
  }
}

TEST(print, floats_switch_to_scientific_exactly_where_erlang_does) {
  EXPECT_EQ(format_float(100.0), "100.0");
  EXPECT_EQ(format_float(1000.0), "1.0e3");
  EXPECT_EQ(format_float(0.0001), "0.0001");
  EXPECT_EQ(format_float(0.00001), "1.0e-5");
  EXPECT_EQ(format_float(1.0e20), "1.0e20");
  EXPECT_EQ(format_float(9007199254740991.0), "9007199254740991.0");
  EXPECT_EQ(format_float(9007199254740992.0), "9.007199254740992e15");
  EXPECT_EQ(format_float(-0.0), "-0.0");
  EXPECT_EQ(format_float(1000.0, syntax::elixir), "1000.0");
  EXPECT_EQ(format_float(1.0e16, syntax::elixir), "1.0e16");
}

TEST(print, pids_ports_and_references_carry_the_node_number_the_caller_assigns) {
  const atom kate("kate@localhost");
  print_options erl(syntax::erlang);
  erl.node_number = [kate](atom node, std::uint32_t creation) -> std::uint32_t {
    return node == kate && creation == 7 ? 12345 : 0;
  };
  print_options ex = erl;
  ex.syntax = syntax::elixir;

  const term remote_pid(pid{kate, 112, 0, 7});
  const term local_pid(pid{atoms::nonode_nohost, 106, 0, 0});
  EXPECT_EQ(to_string(remote_pid, erl), "<12345.112.0>");
  EXPECT_EQ(to_string(remote_pid, ex), "#PID<12345.112.0>");
  EXPECT_EQ(to_string(tuple_of(atom("hi"), local_pid), ex), "{:hi, #PID<0.106.0>}");

  reference r;
  r.node = kate;
  r.creation = 7;
  r.length = 3;
  r.words = {3, 2, 1, 0, 0};
  EXPECT_EQ(to_string(term(r), erl), "#Ref<12345.1.2.3>");
  EXPECT_EQ(to_string(term(r), ex), "#Reference<12345.1.2.3>");

  const term port(port_id{kate, 5, 7});
  EXPECT_EQ(to_string(port, erl), "#Port<12345.5>");
  EXPECT_EQ(to_string(port, ex), "#Port<12345.5>");
}

TEST(print, every_node_is_number_zero_without_a_numbering) {
  EXPECT_EQ(to_string(term(pid{atom("kate@localhost"), 1, 2, 3})), "<0.1.2>");
}

TEST(print, closures_show_module_index_and_uniq_as_erlang_and_elixir_do) {
  fun_value f;
  f.module = atom("fx");
  f.arity = 1;
  f.index = 0;
  f.old_uniq = 113832159;
  EXPECT_EQ(to_string(term::fun(f)), "#Fun<fx.0.113832159>");
  // Elixir also names the defining function, which only the loaded module knows.
  EXPECT_EQ(to_string(term::fun(f), syntax::elixir), "#Function<0.113832159/1 in :fx>");
  // Except erl_eval's, all made in erl_eval:expr/6 (what iex prints for a fun typed in it).
  f.module = atom("erl_eval");
  f.index = 42;
  f.old_uniq = 3316493;
  EXPECT_EQ(to_string(term::fun(f), syntax::elixir), "#Function<42.3316493/1 in :erl_eval.expr/6>");
}

TEST(print, elixir_structs_print_as_their_inspect_implementations_do) {
  auto s = [](std::string_view name, std::vector<std::pair<term, term>> fields) {
    fields.emplace_back(atom("__struct__"), atom(name));
    return to_string(term::map(std::move(fields)), syntax::elixir);
  };
  EXPECT_EQ(s("Elixir.Range", {{atom("first"), 1}, {atom("last"), 3}, {atom("step"), 1}}), "1..3");
  EXPECT_EQ(s("Elixir.Range", {{atom("first"), 3}, {atom("last"), 1}, {atom("step"), -1}}), "3..1//-1");
  EXPECT_EQ(s("Elixir.Range", {{atom("first"), 1}, {atom("last"), 0}, {atom("step"), 1}}), "1..0//1");
  EXPECT_EQ(s("Elixir.MapSet", {{atom("map"), term::map({{1, term::list({})}, {2, term::list({})}})}}),
            "MapSet.new([1, 2])");
  EXPECT_EQ(s("Elixir.RuntimeError", {{atom("message"), term::binary("oops")}, {atom("__exception__"), atom("true")}}),
            "%RuntimeError{message: \"oops\"}");
  // Not a struct: `__struct__` naming no Elixir module.
  EXPECT_EQ(s("fx", {{atom("a"), 1}}), "%{__struct__: :fx, a: 1}");
}

TEST(print, export_funs_print_as_fun_m_f_a_and_capture_syntax) {
  const term f = term::export_fun(atom("Elixir.Kate"), atom("say_name"), 0);
  EXPECT_EQ(to_string(f), "fun 'Elixir.Kate':say_name/0");
  EXPECT_EQ(to_string(f, syntax::elixir), "&Kate.say_name/0");
}

TEST(print, atoms_are_quoted_only_when_the_language_needs_it) {
  EXPECT_EQ(format_atom(atom("ok")), "ok");
  EXPECT_EQ(format_atom(atom("kate@localhost")), "kate@localhost");
  EXPECT_EQ(format_atom(atom("Elixir.Kate")), "'Elixir.Kate'");
  EXPECT_EQ(format_atom(atom("end")), "'end'");
  EXPECT_EQ(format_atom(atom("")), "''");
  EXPECT_EQ(format_atom(atom("ok"), syntax::elixir), ":ok");
  EXPECT_EQ(format_atom(atom("Elixir.Kate"), syntax::elixir), "Kate");
  EXPECT_EQ(format_atom(atoms::nil, syntax::elixir), "nil");
  EXPECT_EQ(format_atom(atom("sup?"), syntax::elixir), ":sup?");
  EXPECT_EQ(format_atom(atom("hello world"), syntax::elixir), ":\"hello world\"");
}

TEST(print, improper_lists_and_bitstrings_print_in_both_syntaxes) {
  const term improper = term::list({term(1), term(2)}, term(3));
  EXPECT_EQ(to_string(improper), "[1,2|3]");
  EXPECT_EQ(to_string(improper, syntax::elixir), "[1, 2 | 3]");
  const std::uint8_t bytes[] = {0xFF, 0x10};
  const term bits = term::bitstring(bytes, 4);
  EXPECT_EQ(to_string(bits), "<<255,1:4>>");
  EXPECT_EQ(to_string(bits, syntax::elixir), "<<255, 1::size(4)>>");
}

TEST(print, a_term_nested_a_hundred_thousand_levels_deep_prints_in_every_form) {
  term t = tuple_of(atoms::ok);  // innermost container: depth 1
  for (std::size_t i = 1; i < 100000; ++i) {
    t = i % 3 == 0 ? list_of(t, atoms::ok) : i % 3 == 1 ? tuple_of(t) : term::map({{term(1), t}});
  }
  const std::string erl = to_string(t);
  EXPECT_EQ(erl.size(), 499999u);
  EXPECT_EQ(erl.rfind("[#{1 => {[#{1 => {", 0), 0u);
  EXPECT_NE(erl.find("#{1 => {{ok}}}"), std::string::npos);
  EXPECT_EQ(erl.substr(erl.size() - 12), "}},ok]}},ok]");
  const std::string ex = to_string(t, syntax::elixir);
  EXPECT_EQ(ex.rfind("[%{1 => {[%{1 => {", 0), 0u);
  EXPECT_EQ(ex.substr(ex.size() - 14), ", :ok]}}, :ok]");
}

TEST(print, log_text_escapes_what_could_forge_a_line_or_drive_a_terminal) {
  EXPECT_EQ(escape_log_text("kate@localhost"), "kate@localhost");
  EXPECT_EQ(escape_log_text("a\nb\r\x1b[31mc\\d"), "a\\nb\\r\\e[31mc\\\\d");
  EXPECT_EQ(escape_log_text(std::string("nul\0here", 8)), "nul\\000here");
  EXPECT_EQ(escape_log_text("caf\xc3\xa9 \xe2\x80\xae" "evil"), "caf\xc3\xa9 \\x{202E}evil");
  EXPECT_EQ(escape_log_text("\xff\xc2\x85"), "\\x{FF}\\205");
}

TEST(print, the_stream_operator_writes_the_erlang_string_form) {
  std::ostringstream os;
  os << tuple_of(atoms::ok, term::string("abc"));
  EXPECT_EQ(os.str(), "{ok,\"abc\"}");
}

}  // namespace
}  // namespace otpp
