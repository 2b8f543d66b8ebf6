// Encode and decode throughput of the External Term Format codec on a fixed mix of terms
// (small tuples, 1 KiB binaries, 1,000-element lists, maps), printed as key=value lines.
// bench/run.sh term runs the same mix through erl's term_to_binary/binary_to_term beside it.
// Rates are per CPU-second of the measuring thread (the erl side likewise counts its CPU
// time), so a busy shared machine slows both sides' clocks alike instead of skewing the ratio.
#include <time.h>

#include <cstdio>
#include <string>
#include <vector>

#include "otpp/term/etf.hpp"
#include "otpp/term/term.hpp"

namespace {

using namespace otpp;

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The mix; bench/run.sh builds the identical terms in Erlang.
struct sample {
  const char* name;
  term value;
};

std::vector<sample> make_mix() {
  std::vector<sample> mix;
  // {seq, 12345, <<0:128>>}
  mix.push_back({"small_tuple", tuple_of(atom("seq"), 12345, term::binary(std::string(16, '\0')))});
  // binary:copy(<<1>>, 1024)
  mix.push_back({"bin1k", term::binary(std::string(1024, '\x01'))});
  // lists:seq(1, 1000)
  std::vector<term> seq;
  for (int i = 1; i <= 1000; ++i) seq.emplace_back(i);
  mix.push_back({"list1000", term::list(std::move(seq))});
  // #{name => <<"kate">>, id => 42, tags => [a, b, c], score => 1.5, pos => #{x => 1, y => 2}}
  mix.push_back({"map", term::map({{atom("name"), term::binary("kate")},
                                   {atom("id"), 42},
                                   {atom("tags"), list_of(atom("a"), atom("b"), atom("c"))},
                                   {atom("score"), 1.5},
                                   {atom("pos"), term::map({{atom("x"), 1}, {atom("y"), 2}})}})});
  return mix;
}

volatile std::size_t sink;

// Runs `round` (which handles `terms` terms and `bytes` bytes) until at least `seconds`
// of CPU time passed; prints terms/s and MB/s under `prefix`.
template <class F>
void measure(const std::string& prefix, std::size_t terms, std::size_t bytes, F&& round, double seconds = 0.4) {
  for (int i = 0; i < 3; ++i) round();  // warm up caches and the atom table
  std::size_t rounds = 0;
  double start = cpu_seconds();
  double elapsed = 0;
  std::size_t batch = 1;
  while (elapsed < seconds) {
    for (std::size_t i = 0; i < batch; ++i) round();
    rounds += batch;
    if (batch < 1024) batch *= 2;
    elapsed = cpu_seconds() - start;
  }
  std::printf("%s_terms_per_s=%.3f\n", prefix.c_str(), static_cast<double>(rounds * terms) / elapsed);
  std::printf("%s_mb_per_s=%.3f\n", prefix.c_str(), static_cast<double>(rounds * bytes) / elapsed / 1e6);
}

}  // namespace

int main() {
  auto mix = make_mix();
  std::vector<std::vector<std::uint8_t>> encoded;
  std::size_t mix_bytes = 0;
  for (const auto& s : mix) {
    encoded.push_back(etf::encode(s.value));
    mix_bytes += encoded.back().size();
  }

  // Encoding appends to a reused buffer, as the distribution layer encodes into its write
  // buffer; decoding copies out of the input (no shared buffer) and destroys the result.
  std::vector<std::uint8_t> buffer;
  buffer.reserve(64 * 1024);
  // The whole mix: one round encodes (or decodes) each sample once.
  measure("otpp.term.encode", mix.size(), mix_bytes, [&] {
    std::size_t n = 0;
    for (const auto& s : mix) {
      buffer.clear();
      etf::encode_append(s.value, buffer);
      n += buffer.size();
    }
    sink = n;
  });
  measure("otpp.term.decode", mix.size(), mix_bytes, [&] {
    std::size_t n = 0;
    for (const auto& e : encoded) n += static_cast<std::size_t>(etf::decode(e).ok());
    sink = n;
  });

  for (std::size_t i = 0; i < mix.size(); ++i) {
    const term& t = mix[i].value;
    const auto& e = encoded[i];
    std::string prefix = std::string("otpp.term.") + mix[i].name;
    measure(prefix + ".encode", 1, e.size(), [&] {
      buffer.clear();
      etf::encode_append(t, buffer);
      sink = buffer.size();
    }, 0.25);
    measure(prefix + ".decode", 1, e.size(), [&] { sink = static_cast<std::size_t>(etf::decode(e).ok()); }, 0.25);
  }
  return 0;
}
