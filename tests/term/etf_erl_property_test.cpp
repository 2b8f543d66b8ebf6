// Property test against a live `erl -noshell` (OTP 25) started by the test: thousands of
// random terms with the corners that break codecs, in both directions —
//   otpp → erl: otpp encodes, erl decodes and re-encodes (plain and compressed); the bytes
//               must be otpp's, and otpp must decode erl's bytes back to the same term;
//   erl → otpp: erl generates and encodes, otpp decodes and re-encodes byte for byte, and
//               erl decodes otpp's bytes back to the same term.
// Maps above 32 keys are compared by value only (OTP writes them in its hash order).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "otpp/term/etf.hpp"
#include "otpp/term/term.hpp"
#include "support/child_process.hpp"
#include "support/slowdown.hpp"

namespace otpp {
namespace {

using bytes = std::vector<std::uint8_t>;

constexpr int terms_each_way = 5000;

// The erl side: a line protocol on standard input/output.
//   "E <hex>"            -> "R <term_to_binary hex> <term_to_binary compressed hex>" or "X <why>"
//   "G <seed> <count>"   -> <count> lines "T <hex>" of random terms, then "END"
//   "O <hex> <hex>"      -> "R <A<B: -1, A>B: 1, else 0> <A==B> <A=:=B>" (as 1/0)
//   "Q"                  -> "DONE"
constexpr const char* erl_module = R"ERL(
-module(otpp_etf_prop).
-export([main/0]).

main() ->
    ok = io:setopts(standard_io, [binary]),
    loop().

loop() ->
    case io:get_line("") of
        eof -> halt(0);
        {error, _} -> halt(1);
        Line -> handle(string:trim(Line, trailing, "\r\n")), loop()
    end.

handle(<<"E ", Hex/binary>>) ->
    Reply = try
                T = binary_to_term(binary:decode_hex(Hex)),
                [<<"R ">>, binary:encode_hex(term_to_binary(T)), <<" ">>,
                 binary:encode_hex(term_to_binary(T, [compressed]))]
            catch C:E -> [<<"X ">>, io_lib:format("~p:~p", [C, E])]
            end,
    io:put_chars([Reply, <<"\n">>]);
handle(<<"G ", Rest/binary>>) ->
    [Seed, Count] = [binary_to_integer(X) || X <- binary:split(Rest, <<" ">>)],
    rand:seed(exsss, {Seed, Seed * 7 + 1, Seed * 13 + 2}),
    lists:foreach(fun(_) ->
                          io:put_chars([<<"T ">>, binary:encode_hex(term_to_binary(gen(3))), <<"\n">>])
                  end, lists:seq(1, Count)),
    io:put_chars(<<"END\n">>);
handle(<<"O ", Rest/binary>>) ->
    [A, B] = [binary_to_term(binary:decode_hex(X)) || X <- binary:split(Rest, <<" ">>)],
    C = if A < B -> -1; A > B -> 1; true -> 0 end,
    io:put_chars(io_lib:format("R ~b ~b ~b~n", [C, bool(A == B), bool(A =:= B)]));
handle(<<"Q">>) ->
    io:put_chars(<<"DONE\n">>).

bool(true) -> 1;
bool(false) -> 0.

n(N) -> rand:uniform(N) - 1.
pick(L) -> lists:nth(rand:uniform(length(L)), L).

gen(0) -> leaf();
gen(D) ->
    case n(12) of
        0 -> list_to_tuple([gen(D - 1) || _ <- lists:seq(1, n(5))]);
        1 -> [gen(D - 1) || _ <- lists:seq(1, n(5))];
        2 -> [gen(D - 1) | leaf()];
        3 -> maps:from_list([{gen(D - 1), gen(D - 1)} || _ <- lists:seq(1, n(6))]);
        4 -> maps:from_list([{K, gen(0)} || K <- lists:seq(1, 30 + n(10))]);
        5 -> closure(gen(D - 1));
        6 -> {gen(D - 1)};
        _ -> leaf()
    end.

closure(X) -> case n(2) of 0 -> fun() -> X end; 1 -> fun(Y) -> {Y, X} end end.

corner_ints() ->
    P = fun(E) -> 1 bsl E end,
    lists:append([[V - 1, V, V + 1, -V - 1, -V, -V + 1]
                  || V <- [P(8), P(27), P(31), P(32), P(59), P(63), P(64), P(2040)]]) ++ [0, 1, -1].

node_atom() -> pick(['n1@host', 'kate@localhost', list_to_atom([16#100, $@, $h]), 'x@y']).

leaf() ->
    case n(22) of
        0 -> pick(corner_ints());
        1 -> n(256);
        2 -> rand:uniform(1 bsl (1 + n(300))) - (1 bsl n(300));
        3 -> pick([0.0, -0.0, 1.5, -2.25, 1.0e300, 5.0e-324, 123456.789]);
        4 -> (rand:uniform() - 0.5) * math:pow(10, n(40) - 20);
        5 -> pick(['', a, ok, 'hello world', list_to_atom([16#e4]), list_to_atom([16#100]),
                   list_to_atom([16#1F600, $x]), list_to_atom(lists:duplicate(255, $z)),
                   list_to_atom(lists:duplicate(255, 16#3042))]);
        6 -> list_to_binary([n(256) || _ <- lists:seq(1, n(40))]);
        7 -> B = list_to_binary([n(256) || _ <- lists:seq(1, n(5))]), Bits = 1 + n(7),
             <<B/binary, (n(1 bsl Bits)):Bits>>;
        8 -> [n(256) || _ <- lists:seq(1, n(20))];
        9 -> [n(16#10FFFF) || _ <- lists:seq(1, n(8))];
        10 -> self();
        11 -> N = atom_to_binary(node_atom()),
              binary_to_term(<<131, 88, 119, (byte_size(N)), N/binary, (n(1 bsl 32)):32,
                               (n(1 bsl 32)):32, (n(1 bsl 32)):32>>);
        12 -> make_ref();
        13 -> N = atom_to_binary(node_atom()), L = 1 + n(5),
              binary_to_term(<<131, 90, L:16, 119, (byte_size(N)), N/binary, (n(1 bsl 32)):32,
                               (<< <<(n(1 bsl 32)):32>> || _ <- lists:seq(1, L) >>)/binary>>);
        14 -> N = atom_to_binary(node_atom()),
              binary_to_term(<<131, 120, 119, (byte_size(N)), N/binary, (n(1 bsl 40)):64, (n(1 bsl 32)):32>>);
        15 -> pick([fun lists:map/2, fun erlang:'+'/2, fun 'ärger':'ü'/0]);
        16 -> pick([[], {}, #{}, <<>>, [[]], {{}}, #{#{} => []}]);
        17 -> #{1 => a, 1.0 => b, <<"k">> => c, "k" => d, k => e};
        _ -> pick([a, b, 42, 1.0, <<"x">>, "str"])
    end.
)ERL";

std::string to_hex(const bytes& b) {
  static const char* digits = "0123456789ABCDEF";
  std::string s;
  s.reserve(b.size() * 2);
  for (auto x : b) {
    s += digits[x >> 4];
    s += digits[x & 15];
  }
  return s;
}

bytes from_hex(std::string_view hex) {
  bytes out;
  out.reserve(hex.size() / 2);
  auto v = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<std::uint8_t>(v(hex[i]) * 16 + v(hex[i + 1])));
  return out;
}

// Whether OTP may write `t` in another byte order: it holds a map of more than 32 keys.
bool has_large_map(const term& t) {
  switch (t.type()) {
    case term::kind::map:
      if (t.map_entries().size() > 32) return true;
      for (const auto& [k, v] : t.map_entries()) {
        if (has_large_map(k) || has_large_map(v)) return true;
      }
      return false;
    case term::kind::tuple:
      for (const auto& e : t.elements()) {
        if (has_large_map(e)) return true;
      }
      return false;
    case term::kind::list:
      for (const auto& e : t.list_elements()) {
        if (has_large_map(e)) return true;
      }
      return has_large_map(t.list_tail());
    case term::kind::fun:
      for (const auto& e : t.fun_content().free_vars) {
        if (has_large_map(e)) return true;
      }
      return false;
    default:
      return false;
  }
}

// Random terms from the C++ side, with the corners.
class generator {
 public:
  explicit generator(std::uint64_t seed) : rng_(seed) {}

  term gen(int depth) {
    if (depth == 0) return leaf();
    switch (n(12)) {
      case 0: {
        std::vector<term> e;
        for (int i = n(5); i > 0; --i) e.push_back(gen(depth - 1));
        return term::tuple(std::move(e));
      }
      case 1: {
        std::vector<term> e;
        for (int i = n(5); i > 0; --i) e.push_back(gen(depth - 1));
        return term::list(std::move(e));
      }
      case 2: {
        term tail = leaf();
        return term::list({gen(depth - 1)}, tail);
      }
      case 3: {
        std::vector<std::pair<term, term>> e;
        for (int i = n(6); i > 0; --i) e.emplace_back(gen(depth - 1), gen(depth - 1));
        return term::map(std::move(e));
      }
      case 4: {
        std::vector<std::pair<term, term>> e;
        for (int i = 30 + n(10); i > 0; --i) e.emplace_back(leaf(), leaf());
        return term::map(std::move(e));
      }
      case 5: {
        fun_value f;
        f.module = atom(n(2) ? "otpp_prop_mod" : "\xC3\xA4m");
        f.arity = static_cast<std::uint32_t>(n(4));
        for (auto& b : f.uniq) b = static_cast<std::uint8_t>(n(256));
        f.index = static_cast<std::uint32_t>(n(100));
        f.old_index = f.index;
        f.old_uniq = static_cast<std::int64_t>(n(1 << 27)) * (n(2) ? 1 : -1);
        f.creator = random_pid();
        for (int i = n(3); i > 0; --i) f.free_vars.push_back(gen(depth - 1));
        return term::fun(std::move(f));
      }
      default:
        return leaf();
    }
  }

 private:
  int n(int bound) { return static_cast<int>(rng_() % static_cast<std::uint64_t>(bound)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(rng_()); }

  atom node_atom() {
    static const char* names[] = {"n1@host", "kate@localhost", "\xC4\x80@h", "x@y"};
    return atom(names[n(4)]);
  }

  pid random_pid() { return pid{node_atom(), u32(), u32(), u32()}; }

  static term corner_int(int which) {
    static const int exps[] = {8, 27, 31, 32, 59, 63, 64, 2040};
    int e = exps[which % 8];
    int delta = (which / 8) % 3 - 1;
    bool negative = (which / 24) % 2 == 1;
    std::string hex = "1" + std::string(static_cast<std::size_t>(e / 4), '0');
    const char* lead[] = {"1", "2", "4", "8"};
    hex[0] = lead[e % 4][0];
    term v = *term::integer_from_string(hex, 16);
    // v + delta via magnitude arithmetic on the decimal form is overkill: use small steps.
    std::string dec = v.integer_to_string();
    // Adjust the last digit by delta (no borrow: the powers of two never end in 0 or 9).
    dec.back() = static_cast<char>(dec.back() + delta);
    if (negative) dec = "-" + dec;
    return *term::integer_from_string(dec);
  }

  std::string random_utf8_atom_text() {
    std::string s;
    int chars = n(4) == 0 ? 255 : n(12);
    for (int i = 0; i < chars; ++i) {
      std::uint32_t cp;
      switch (n(5)) {
        case 0: cp = 0x20 + static_cast<std::uint32_t>(n(0x5F)); break;
        case 1: cp = 0xA0 + static_cast<std::uint32_t>(n(0x60)); break;
        case 2: cp = 0x100 + static_cast<std::uint32_t>(n(0x700)); break;
        case 3: cp = 0xE000 + static_cast<std::uint32_t>(n(0x1000)); break;
        default: cp = 0x10000 + static_cast<std::uint32_t>(n(0xFFFFF)); break;
      }
      if (cp < 0x80) {
        s += static_cast<char>(cp);
      } else if (cp < 0x800) {
        s += static_cast<char>(0xC0 | (cp >> 6));
        s += static_cast<char>(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        s += static_cast<char>(0xE0 | (cp >> 12));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
      } else {
        s += static_cast<char>(0xF0 | (cp >> 18));
        s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
      }
    }
    return s;
  }

  term leaf() {
    switch (n(22)) {
      case 0:
        return corner_int(n(48));
      case 1:
        return term(static_cast<long long>(n(256)));
      case 2: {
        std::string digits = std::to_string(1 + n(9));
        for (int i = n(700); i > 0; --i) digits += static_cast<char>('0' + n(10));
        if (n(2)) digits = "-" + digits;
        return *term::integer_from_string(digits);
      }
      case 3: {
        const double corners[] = {0.0, -0.0, 1.5, -2.25, 1e300, 5e-324, 123456.789,
                                  std::numeric_limits<double>::max(), -std::numeric_limits<double>::min()};
        return term(corners[n(9)]);
      }
      case 4: {
        double d;
        do {
          std::uint64_t bits = rng_();
          std::memcpy(&d, &bits, 8);
        } while (!std::isfinite(d));
        return term(d);
      }
      case 5:
        return term(atom(random_utf8_atom_text()));
      case 6: {
        const char* fixed[] = {"", "a", "ok", "hello world", "\xC3\xA4", "\xC4\x80"};
        return term(atom(fixed[n(6)]));
      }
      case 7: {
        std::string b;
        for (int i = n(40); i > 0; --i) b += static_cast<char>(n(256));
        return term::binary(b);
      }
      case 8: {
        std::vector<std::uint8_t> b(static_cast<std::size_t>(1 + n(5)));
        for (auto& x : b) x = static_cast<std::uint8_t>(n(256));
        return term::bitstring(b, static_cast<unsigned>(1 + n(7)));
      }
      case 9: {
        std::vector<term> e;
        for (int i = n(20); i > 0; --i) e.emplace_back(static_cast<long long>(n(256)));
        return term::list(std::move(e));
      }
      case 10: {
        std::vector<term> e;
        for (int i = n(8); i > 0; --i) e.emplace_back(static_cast<long long>(n(0x110000)));
        return term::list(std::move(e));
      }
      case 11:
        return term(random_pid());
      case 12: {
        reference r{node_atom(), u32(), static_cast<std::uint8_t>(1 + n(5)), {}};
        for (std::size_t i = 0; i < r.length; ++i) r.words[i] = u32();
        return term(r);
      }
      case 13: {
        std::uint64_t id = n(2) ? static_cast<std::uint64_t>(n(1 << 28)) : (rng_() >> (24 + n(4)));
        return term(port_id{node_atom(), id, u32()});
      }
      case 14:
        return term::export_fun(atom(n(2) ? "lists" : "\xC3\xA4rger"), atom(n(2) ? "map" : "+"),
                                static_cast<std::uint32_t>(n(256)));
      case 15: {
        switch (n(6)) {
          case 0: return term();
          case 1: return term::tuple({});
          case 2: return term::map({});
          case 3: return term::binary("");
          case 4: return list_of(term());
          default: return term::map({{term::map({}), term()}});
        }
      }
      case 16:
        return term::map({{1, atom("a")}, {1.0, atom("b")}, {term::binary("k"), atom("c")},
                          {term::string("k"), atom("d")}, {atom("k"), atom("e")}, {-0.0, atom("z")}});
      case 17:
        return term::list({atom("a"), 1}, term::binary("tail"));
      default: {
        switch (n(4)) {
          case 0: return term(atom("a"));
          case 1: return term(42);
          case 2: return term(1.0);
          default: return term::string("str");
        }
      }
    }
  }

  std::mt19937_64 rng_;
};

// Terms from a small universe, so random pairs are often equal or nearly so: the cases
// where term order and the two equalities are easiest to get wrong.
class near_generator {
 public:
  explicit near_generator(std::uint64_t seed) : rng_(seed) {}

  term gen(int depth) {
    int choice = depth == 0 ? 0 : n(6);
    switch (choice) {
      case 1: {
        std::vector<term> e;
        for (int i = n(3); i > 0; --i) e.push_back(gen(depth - 1));
        return term::tuple(std::move(e));
      }
      case 2: {
        std::vector<term> e;
        for (int i = n(3); i > 0; --i) e.push_back(gen(depth - 1));
        return term::list(std::move(e), n(4) == 0 ? leaf() : term());
      }
      case 3: {
        std::vector<std::pair<term, term>> e;
        for (int i = n(3); i > 0; --i) e.emplace_back(leaf(), gen(depth - 1));
        return term::map(std::move(e));
      }
      default:
        return leaf();
    }
  }

 private:
  int n(int bound) { return static_cast<int>(rng_() % static_cast<std::uint64_t>(bound)); }

  term leaf() {
    static const std::vector<term> pool = [] {
      std::uint8_t one_bit = 0x80;
      std::uint8_t byte1 = 1;
      fun_value closure;
      closure.module = atom("m");
      fun_value closure2 = closure;
      closure2.old_index = 1;
      closure2.free_vars = {term(1)};
      return std::vector<term>{
          term(0), term(1), term(1.0), term(-1), term(-1.0), term(0.0), term(-0.0), term(0.5),
          *term::integer_from_string("18446744073709551616"), term(18446744073709551616.0),
          *term::integer_from_string("-18446744073709551617"), term(9007199254740993LL),
          term(9007199254740992.0), term(std::numeric_limits<std::int64_t>::max()),
          term(9223372036854775808.0), term(atom("a")), term(atom("b")), term(atom("")),
          term(atom("\xC3\xA4")), term::binary(""), term::binary({&byte1, 1}),
          term::bitstring({&one_bit, 1}, 1), term::bitstring({&byte1, 1}, 8), term(), term::string("a"),
          term(pid{atom("n@h"), 1, 2, 3}), term(pid{atom("n@h"), 2, 1, 3}), term(pid{atom("m@h"), 1, 2, 3}),
          term(pid{atom("n@h"), 1, 2, 4}),
          term(reference{atom("n@h"), 1, 3, {1, 2, 3, 0, 0}}), term(reference{atom("n@h"), 1, 3, {3, 2, 1, 0, 0}}),
          term(reference{atom("n@h"), 1, 1, {1, 0, 0, 0, 0}}), term(reference{atom("n@h"), 1, 3, {1, 0, 0, 0, 0}}),
          term(reference{atom("m@h"), 2, 3, {1, 2, 3, 0, 0}}),
          term(port_id{atom("n@h"), 5, 1}), term(port_id{atom("n@h"), 6, 0}),
          term::export_fun(atom("lists"), atom("map"), 2), term::export_fun(atom("lists"), atom("map"), 1),
          term::fun(closure), term::fun(closure2)};
    }();
    return pool[static_cast<std::size_t>(n(static_cast<int>(pool.size())))];
  }

  std::mt19937_64 rng_;
};

class erl_side {
 public:
  erl_side() {
    char tmpl[] = "/tmp/otpp_etf_prop_XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    std::ofstream(dir_ + "/otpp_etf_prop.erl") << erl_module;
    std::string eval = "{ok, _} = compile:file(\"" + dir_ + "/otpp_etf_prop.erl\", [{outdir, \"" + dir_ +
                       "\"}]), true = code:add_path(\"" + dir_ + "\"), otpp_etf_prop:main().";
    proc_ = std::make_unique<test::child_process>(
        test::child_process::options{{"erl", "-noshell", "-eval", eval}, {}, true});
  }
  ~erl_side() {
    proc_.reset();  // SIGKILL by pid, then reap
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  test::child_process& proc() { return *proc_; }

  // Sends `lines`, then "Q"; returns the reply lines up to "DONE" (empty on timeout).
  std::vector<std::string> exchange(const std::string& lines, std::chrono::milliseconds timeout) {
    std::size_t from = proc_->output().size();
    if (!proc_->write_stdin(lines + "Q\n")) return {};
    auto end = proc_->wait_for("DONE\n", timeout, from);
    if (!end) return {};
    return split(proc_->output().substr(from, *end - from));
  }

  std::vector<std::string> generate(int seed, int count, std::chrono::milliseconds timeout) {
    std::size_t from = proc_->output().size();
    if (!proc_->write_stdin("G " + std::to_string(seed) + " " + std::to_string(count) + "\n")) return {};
    auto end = proc_->wait_for("END\n", timeout, from);
    if (!end) return {};
    return split(proc_->output().substr(from, *end - from));
  }

 private:
  static std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream ss(text);
    std::string line;
    while (std::getline(ss, line)) {
      if (line.rfind("R ", 0) == 0 || line.rfind("X ", 0) == 0 || line.rfind("T ", 0) == 0) out.push_back(line);
    }
    return out;
  }

  std::string dir_;
  std::unique_ptr<test::child_process> proc_;
};

TEST(etf_erl_property, terms_encoded_by_otpp_are_read_and_rewritten_identically_by_erl) {
  erl_side erl;
  std::uint64_t seed = 20240501;
  generator g(seed);
  std::vector<term> terms;
  std::string lines;
  for (int i = 0; i < terms_each_way; ++i) {
    terms.push_back(g.gen(3));
    lines += "E " + to_hex(etf::encode(terms.back())) + "\n";
  }
  auto replies = erl.exchange(lines, test::scaled(std::chrono::seconds(60)));
  ASSERT_EQ(replies.size(), terms.size()) << "erl did not answer every term (seed " << seed << ")\n"
                                          << erl.proc().output().substr(0, 2000);
  etf::encode_options compressed;
  compressed.compressed = true;
  int failures = 0;
  std::size_t byte_compared = 0;
  std::size_t total_bytes = 0;
  for (std::size_t i = 0; i < terms.size() && failures < 5; ++i) {
    const term& t = terms[i];
    bytes ours = etf::encode(t);
    const std::string& r = replies[i];
    if (r.rfind("R ", 0) != 0) {
      ADD_FAILURE() << "erl could not decode term " << i << ": " << r << "\nbytes " << to_hex(ours);
      ++failures;
      continue;
    }
    auto space = r.find(' ', 2);
    bytes theirs = from_hex(std::string_view(r).substr(2, space - 2));
    bytes theirs_compressed = from_hex(std::string_view(r).substr(space + 1));
    total_bytes += ours.size();
    if (!has_large_map(t)) {
      ++byte_compared;
      if (ours != theirs) {
        ADD_FAILURE() << "term " << i << ": otpp " << to_hex(ours) << "\n erl " << to_hex(theirs);
        ++failures;
      }
      bytes ours_compressed = etf::encode(t, compressed);
      if (ours_compressed != theirs_compressed) {
        ADD_FAILURE() << "term " << i << " compressed: otpp " << to_hex(ours_compressed) << "\n erl "
                      << to_hex(theirs_compressed);
        ++failures;
      }
    }
    auto back = etf::decode(theirs);
    auto back_compressed = etf::decode(theirs_compressed);
    if (!back.ok() || !exact_equal(*back, t) || !back_compressed.ok() || !exact_equal(*back_compressed, t)) {
      ADD_FAILURE() << "term " << i << " did not decode back equal from erl's bytes " << to_hex(theirs);
      ++failures;
    }
  }
  // Most terms hold no large map, so most comparisons are byte for byte.
  EXPECT_GT(byte_compared, terms.size() / 2);
  RecordProperty("byte_compared", static_cast<int>(byte_compared));
  RecordProperty("total_bytes", static_cast<int>(total_bytes));
}

TEST(etf_erl_property, terms_encoded_by_erl_are_read_and_rewritten_identically_by_otpp) {
  erl_side erl;
  const int seed = 4242;
  auto generated = erl.generate(seed, terms_each_way, test::scaled(std::chrono::seconds(60)));
  ASSERT_EQ(generated.size(), static_cast<std::size_t>(terms_each_way)) << erl.proc().output().substr(0, 2000);
  std::vector<bytes> originals;
  std::string lines;
  int failures = 0;
  std::size_t byte_compared = 0;
  for (std::size_t i = 0; i < generated.size(); ++i) {
    bytes original = from_hex(std::string_view(generated[i]).substr(2));
    auto decoded = etf::decode(original);
    if (!decoded.ok()) {
      ADD_FAILURE() << "otpp could not decode erl's term " << i << ": " << decoded.error().to_string() << "\n"
                    << to_hex(original);
      if (++failures >= 5) return;
      continue;
    }
    bytes ours = etf::encode(*decoded);
    if (!has_large_map(*decoded)) ++byte_compared;
    if (!has_large_map(*decoded) && ours != original) {
      ADD_FAILURE() << "term " << i << ": erl " << to_hex(original) << "\n otpp " << to_hex(ours);
      if (++failures >= 5) return;
    }
    originals.push_back(original);
    lines += "E " + to_hex(ours) + "\n";
  }
  EXPECT_GT(byte_compared, originals.size() / 2);
  auto replies = erl.exchange(lines, test::scaled(std::chrono::seconds(60)));
  ASSERT_EQ(replies.size(), originals.size());
  for (std::size_t i = 0; i < replies.size() && failures < 5; ++i) {
    const std::string& r = replies[i];
    auto space = r.find(' ', 2);
    // erl's re-encoding of what otpp wrote must be erl's own original bytes.
    if (r.rfind("R ", 0) != 0 || from_hex(std::string_view(r).substr(2, space - 2)) != originals[i]) {
      ADD_FAILURE() << "erl read otpp's encoding of term " << i << " differently: " << r.substr(0, 300)
                    << "\n original " << to_hex(originals[i]).substr(0, 300);
      ++failures;
    }
  }
}

TEST(etf_erl_property, term_order_and_both_equalities_agree_with_erl_on_random_pairs) {
  erl_side erl;
  near_generator g(777);
  std::vector<std::pair<term, term>> pairs;
  std::string lines;
  for (int i = 0; i < terms_each_way; ++i) {
    int depth = i % 3;
    term a = g.gen(depth);
    term b = i % 5 == 0 ? *etf::decode(etf::encode(a)) : g.gen(depth);
    lines += "O " + to_hex(etf::encode(a)) + " " + to_hex(etf::encode(b)) + "\n";
    pairs.emplace_back(std::move(a), std::move(b));
  }
  auto replies = erl.exchange(lines, test::scaled(std::chrono::seconds(60)));
  ASSERT_EQ(replies.size(), pairs.size()) << erl.proc().output().substr(0, 2000);
  int failures = 0;
  int equal_pairs = 0;
  for (std::size_t i = 0; i < pairs.size() && failures < 10; ++i) {
    const auto& [a, b] = pairs[i];
    int c = 0, eq = 0, xeq = 0;
    ASSERT_EQ(std::sscanf(replies[i].c_str(), "R %d %d %d", &c, &eq, &xeq), 3) << replies[i];
    int ours = compare(a, b);
    ours = (ours > 0) - (ours < 0);
    bool ours_eq = equal(a, b);
    bool ours_xeq = exact_equal(a, b);
    equal_pairs += eq;
    if (ours != c || ours_eq != (eq == 1) || ours_xeq != (xeq == 1)) {
      ADD_FAILURE() << "pair " << i << ": erl says compare " << c << " == " << eq << " =:= " << xeq
                    << ", otpp says " << ours << " " << ours_eq << " " << ours_xeq << "\n A " << to_hex(etf::encode(a))
                    << "\n B " << to_hex(etf::encode(b));
      ++failures;
    }
    if (ours_xeq && a.hash() != b.hash()) {
      ADD_FAILURE() << "pair " << i << " is =:= but hashes differ";
      ++failures;
    }
  }
  EXPECT_GT(equal_pairs, terms_each_way / 10);  // the universe is small enough to meet equals
}

}  // namespace
}  // namespace otpp
