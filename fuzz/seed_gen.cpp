// Writes seed corpora for the dist fuzz targets, made by the real protocol code so they stay
// right when it changes: handshake transcripts (what one side of a complete handshake sends
// the other, in the input layout handshake_fuzz.cpp reads) and control frames (every signal,
// in both frame forms, plus fragmented messages and atom cache headers, in the layout
// control_fuzz.cpp reads). Usage: fuzz_seed_gen <seeds-dir>  (writes <dir>/handshake/*,
// <dir>/control/*).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dist/out_queue.hpp"
#include "otpp/dist/control.hpp"
#include "otpp/dist/frame_decoder.hpp"
#include "otpp/dist/handshake.hpp"

using namespace otpp;
using namespace otpp::dist;
using bytes = std::vector<std::uint8_t>;

namespace {

void write_file(const std::filesystem::path& path, const bytes& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

// ---- handshake -------------------------------------------------------------------------------

// The fuzz target's side, as handshake_fuzz.cpp configures it.
handshake_config fuzz_side(bool initiator) {
  handshake_config c;
  c.this_node = "fuzz@localhost";
  c.cookie = "cookie";
  c.peer_node = initiator ? "peer@localhost" : "";
  c.fixed_challenge = 42;
  return c;
}

// The simulated peer: fixed challenge too, so the transcript replays exactly.
handshake_config peer_side(bool initiator, std::string cookie = "cookie") {
  handshake_config c;
  c.this_node = "peer@localhost";
  c.cookie = std::move(cookie);
  c.peer_node = initiator ? "fuzz@localhost" : "";
  c.fixed_challenge = 7;
  return c;
}

// Runs a handshake between the fuzz target's side and a peer; returns what the peer sent.
// `status` is the fuzz side's (or the peer's, when the fuzz side initiates) status answer.
bytes transcript(bool fuzz_initiates, handshake_status status, bool alive_answer,
                 const std::string& peer_cookie = "cookie") {
  handshake fuzz = fuzz_initiates ? handshake::initiator(fuzz_side(true)) : handshake::acceptor(fuzz_side(false));
  handshake peer = fuzz_initiates ? handshake::acceptor(peer_side(false, peer_cookie))
                                  : handshake::initiator(peer_side(true, peer_cookie));
  bytes sent_by_peer;
  for (int round = 0; round < 16; ++round) {
    auto answer = [&](handshake& h) {
      if (h.current() == handshake::state::need_status) h.answer_status(status);
      if (h.current() == handshake::state::need_alive_answer) h.answer_alive(alive_answer);
    };
    answer(fuzz);
    answer(peer);
    auto to_peer = fuzz.take_output();
    auto to_fuzz = peer.take_output();
    if (to_peer.empty() && to_fuzz.empty()) break;
    sent_by_peer.insert(sent_by_peer.end(), to_fuzz.begin(), to_fuzz.end());
    if (!to_peer.empty()) peer.receive(to_peer);
    if (!to_fuzz.empty()) fuzz.receive(to_fuzz);
  }
  return sent_by_peer;
}

// handshake_fuzz.cpp's input: mode (bit 0 initiator, bits 1.. status % 5, bit 6 alive answer),
// chunk size, then the peer's bytes.
bytes handshake_seed(bool fuzz_initiates, handshake_status status, bool alive_answer, std::uint8_t chunk,
                     const std::string& peer_cookie = "cookie") {
  std::uint8_t mode = static_cast<std::uint8_t>((fuzz_initiates ? 1 : 0) |
                                                (static_cast<unsigned>(status) << 1) | (alive_answer ? 0x40 : 0));
  bytes out{mode, chunk};
  auto t = transcript(fuzz_initiates, status, alive_answer, peer_cookie);
  out.insert(out.end(), t.begin(), t.end());
  return out;
}

// Replays a seed the way handshake_fuzz.cpp does; the state it ends in.
handshake::state replay_handshake(const bytes& seed) {
  const std::uint8_t mode = seed[0];
  const std::size_t chunk = seed[1] | 1;
  handshake h = (mode & 1) ? handshake::initiator(fuzz_side(true)) : handshake::acceptor(fuzz_side(false));
  (void)h.take_output();
  std::span<const std::uint8_t> input(seed.data() + 2, seed.size() - 2);
  while (!input.empty()) {
    std::size_t n = std::min(chunk, input.size());
    h.receive(input.first(n));
    input = input.subspan(n);
    if (h.current() == handshake::state::need_status) h.answer_status(static_cast<handshake_status>((mode >> 1) % 5));
    if (h.current() == handshake::state::need_alive_answer) h.answer_alive(mode & 0x40);
    (void)h.take_output();
    if (h.current() == handshake::state::failed) break;
  }
  return h.current();
}

// Fails loudly when a seed that should complete does not: then the seeds no longer match
// the fuzz target and would only exercise the first message.
int seed_errors = 0;
void expect(bool ok, const std::string& what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_seed_gen: %s\n", what.c_str());
  ++seed_errors;
}

void handshake_seeds(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  for (bool initiates : {false, true}) {
    auto ok = handshake_seed(initiates, handshake_status::ok, false, 255);
    expect(replay_handshake(ok) == handshake::state::done,
           std::string("the ") + (initiates ? "initiator" : "acceptor") + " seed does not complete the handshake");
  }
  const handshake_status all[] = {handshake_status::ok, handshake_status::ok_simultaneous, handshake_status::nok,
                                  handshake_status::not_allowed, handshake_status::alive};
  int n = 0;
  for (bool initiates : {false, true})
    for (auto status : all)
      for (bool alive : {false, true})
        for (std::uint8_t chunk : {std::uint8_t{255}, std::uint8_t{1}, std::uint8_t{7}})
          write_file(dir / ("hs" + std::to_string(n++)), handshake_seed(initiates, status, alive, chunk));
  // A wrong cookie either way: the peer's challenge reply, or its challenge ack (the last 16
  // bytes of the initiator's transcript), does not match.
  auto bad_reply = handshake_seed(false, handshake_status::ok, false, 255, "other");
  expect(replay_handshake(bad_reply) == handshake::state::failed, "the wrong-cookie reply is not refused");
  write_file(dir / "wrong_cookie_reply", bad_reply);
  auto bad_ack = handshake_seed(true, handshake_status::ok, false, 255);
  bad_ack.back() ^= 1;
  expect(replay_handshake(bad_ack) == handshake::state::failed, "the wrong-cookie ack is not refused");
  write_file(dir / "wrong_cookie_ack", bad_ack);
}

// ---- control frames --------------------------------------------------------------------------

// Turns out_queue output (4-byte length frames) into control_fuzz.cpp's input layout: each
// frame body behind a 2-byte length (bodies here are far below 64 KiB).
bytes two_byte_frames(std::span<const std::uint8_t> stream) {
  bytes out;
  while (stream.size() >= 4) {
    std::size_t len = (std::size_t{stream[0]} << 24) | (std::size_t{stream[1]} << 16) |
                      (std::size_t{stream[2]} << 8) | stream[3];
    stream = stream.subspan(4);
    len = std::min(len, stream.size());
    out.push_back(static_cast<std::uint8_t>(len >> 8));
    out.push_back(static_cast<std::uint8_t>(len));
    out.insert(out.end(), stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(len));
    stream = stream.subspan(len);
  }
  return out;
}

using encoder = std::function<std::optional<term>(std::vector<std::uint8_t>&)>;

// The frames one connection's out_queue writes for `encoders`, one message each.
// Replays a seed the way control_fuzz.cpp does; how many signals it decoded, or -1 on a
// failure.
int replay_control(const bytes& seed) {
  frame_decoder decoder(frame_decoder::limits{1 << 20, 8, 3000});  // as control_fuzz.cpp
  std::span<const std::uint8_t> input(seed);
  int signals = 0;
  while (input.size() >= 2) {
    std::size_t len = (std::size_t{input[0]} << 8) | input[1];
    input = input.subspan(2);
    len = std::min(len, input.size());
    if (len == 0) continue;
    auto r = decoder.decode(input.first(len));
    input = input.subspan(len);
    if (!r) return -1;
    if (*r) ++signals;
  }
  return signals;
}

bytes control_seed(std::uint64_t flags, std::size_t fragment_size, std::vector<encoder> encoders) {
  dist::detail::out_queue q;
  q.configure(flags, fragment_size);
  for (auto& e : encoders) q.add(e);
  std::vector<dist::detail::out_chunk> chunks;
  q.take(chunks);
  bytes stream;
  for (auto& c : chunks) {
    auto b = c.bytes();
    stream.insert(stream.end(), b.begin(), b.end());
  }
  return two_byte_frames(stream);
}

void control_seeds(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const atom node("peer@localhost");
  const pid a{node, 40, 1, 3}, b{atom("fuzz@localhost"), 41, 0, 5};
  reference ref{node, 3, 3, {1, 2, 3, 0, 0}};
  const term msg = tuple_of(atom("hello"), 42, term::binary(std::string_view("payload")),
                            list_of(1, 2.5, term::string("text")));
  const term big = term::binary(std::string(600, 'x'));  // fragments at fragment size 64
  using encode::bytes;
  struct seed {
    const char* name;
    encoder encode;
  };
  const std::uint64_t all = dflag::otpp_default;
  std::vector<seed> seeds = {
      {"send", [&](bytes& o) { return encode::send(o, 0, a, b, msg); }},
      {"send_sender", [&](bytes& o) { return encode::send(o, all, a, b, msg); }},
      {"reg_send", [&](bytes& o) { return encode::reg_send(o, a, atom("net_kernel"), msg); }},
      {"alias_send", [&](bytes& o) { return encode::alias_send(o, 0, a, ref, msg); }},
      {"altact_sig_send", [&](bytes& o) { return encode::alias_send(o, all, a, ref, msg); }},
      {"link", [&](bytes& o) { return encode::link(o, a, b); }},
      {"unlink", [&](bytes& o) { return encode::unlink(o, 0, a, b, 0); }},
      {"unlink_id", [&](bytes& o) { return encode::unlink(o, all, a, b, 77); }},
      {"unlink_ack", [&](bytes& o) { return encode::unlink_ack(o, a, b, 77); }},
      {"exit", [&](bytes& o) { return encode::exit(o, 0, a, b, atom("normal"), false); }},
      {"payload_exit", [&](bytes& o) { return encode::exit(o, all, a, b, atom("killed"), false); }},
      {"exit2", [&](bytes& o) { return encode::exit(o, 0, a, b, atom("kill"), true); }},
      {"payload_exit2", [&](bytes& o) { return encode::exit(o, all, a, b, msg, true); }},
      {"monitor", [&](bytes& o) { return encode::monitor(o, a, term(b), ref); }},
      {"monitor_name", [&](bytes& o) { return encode::monitor(o, a, atom("echo"), ref); }},
      {"demonitor", [&](bytes& o) { return encode::demonitor(o, a, term(b), ref); }},
      {"monitor_exit", [&](bytes& o) { return encode::monitor_exit(o, 0, term(a), b, ref, atom("noproc")); }},
      {"payload_monitor_exit", [&](bytes& o) { return encode::monitor_exit(o, all, term(a), b, ref, msg); }},
      {"group_leader", [&](bytes& o) { return encode::group_leader(o, a, b); }},
      {"spawn_request",
       [&](bytes& o) {
         return encode::spawn_request(o, ref, a, a, atom("erpc"), atom("execute_call"),
                                      list_of(ref, atom("m"), atom("f"), list_of(1)),
                                      list_of(tuple_of(atom("reply"), atom("error_only")), atom("monitor")));
       }},
      {"spawn_reply", [&](bytes& o) { return encode::spawn_reply(o, ref, a, spawn_reply_link, term(b)); }},
      {"spawn_reply_error", [&](bytes& o) { return encode::spawn_reply(o, ref, a, 0, atom("badarg")); }},
  };
  auto write_checked = [&](const std::string& name, const bytes& seed, int signals) {
    expect(replay_control(seed) == signals, "control seed " + name + " does not decode to " +
                                                std::to_string(signals) + " signals");
    write_file(dir / name, seed);
  };
  for (auto& s : seeds) {
    // Pass-through (no FRAGMENTS agreed) and distribution header forms.
    write_checked(std::string(s.name) + "_pass", control_seed(0, 1 << 16, {s.encode}), 1);
    write_checked(std::string(s.name) + "_hdr", control_seed(all, 1 << 16, {s.encode}), 1);
  }
  // Fragmented messages: one alone, and two from one connection (sequences 1 and 2), which
  // the fuzzer can interleave.
  encoder send_big = [&](bytes& o) { return encode::send(o, all, a, b, big); };
  encoder reg_send_big = [&](bytes& o) { return encode::reg_send(o, a, atom("echo"), tuple_of(big, big)); };
  write_checked("fragments", control_seed(all, 64, {send_big}), 1);
  write_checked("fragments_two", control_seed(all, 64, {send_big, reg_send_big}), 2);
  // A distribution header with atom cache references: 131 68, 2 refs, flags (new entries in
  // segment 0, short atoms), then entries 5 'hello' and 6 'world', then the control tuple
  // {2, '', Pid} as SEND with two references and message {hello, world} by reference.
  bytes cached = {131, 68, 2, 0x88, 0x00, 5, 5, 'h', 'e', 'l', 'l', 'o', 6, 5, 'w', 'o', 'r', 'l', 'd'};
  bytes ctrl;
  (void)encode::send(ctrl, 0, a, b, term());
  cached.insert(cached.end(), ctrl.begin(), ctrl.end());
  for (std::uint8_t x : {104, 2, 82, 0, 82, 1}) cached.push_back(x);
  bytes cached_seed{static_cast<std::uint8_t>(cached.size() >> 8), static_cast<std::uint8_t>(cached.size())};
  cached_seed.insert(cached_seed.end(), cached.begin(), cached.end());
  // The same references again without the new-entry flag: the decoder's cache is used.
  bytes again = {131, 68, 2, 0x00, 0x00, 5, 6};
  again.insert(again.end(), ctrl.begin(), ctrl.end());
  for (std::uint8_t x : {104, 2, 82, 1, 82, 0}) again.push_back(x);
  cached_seed.push_back(static_cast<std::uint8_t>(again.size() >> 8));
  cached_seed.push_back(static_cast<std::uint8_t>(again.size()));
  cached_seed.insert(cached_seed.end(), again.begin(), again.end());
  write_checked("atom_cache", cached_seed, 2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <seeds-dir>\n", argv[0]);
    return 2;
  }
  std::filesystem::path root(argv[1]);
  handshake_seeds(root / "handshake");
  control_seeds(root / "control");
  return seed_errors == 0 ? 0 : 1;
}
