// The soak test's otpp nodes (scripts/soak runs them): a driver that streams sequence-numbered
// messages to echo processes on other nodes and checks the echoes, and the otpp echo node.
//
//   otpp_soak driver --name D --epmd-port P --messages N --flows erl,otpp [--window W]
//   otpp_soak echo --name E --epmd-port P --driver D --flow otpp
//
// An echo node announces itself with {soak_hello, Flow, EchoPid} to {soak_driver, D} and
// answers each {soak, From, Seq} with {soak_echo, Flow, Seq}. The driver sends N messages to
// each flow (at most W in flight) and checks every echo against the one expected next: one
// with a greater number is a gap, allowed only when the flow's connection was lost since the
// previous echo (a nodedown, or a new echo process after a restart); one with a smaller number
// is a reordering, never allowed. Messages sent while a flow is down are not counted as sent.
// It prints progress=<echoes> lines while it runs and key=value figures at the end, with its
// resident memory sampled along the way; exit status 0 when there was no reordering and no
// unexplained gap, 1 otherwise, 2 when the echoes stopped coming.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <unordered_map>
#include <optional>
#include <string>
#include <vector>

#include <pthread.h>
#include <signal.h>

#include "otpp/otp/node.hpp"
#include "otpp/runtime/scoped_process.hpp"

using namespace otpp;
using namespace std::chrono_literals;

namespace {

using clock_type = std::chrono::steady_clock;

struct arguments {
  std::string mode, name, driver, flow;
  std::vector<std::string> flows;
  std::uint16_t epmd_port = 0;
  std::int64_t messages = 1'000'000;
  std::int64_t window = 2000;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    auto end = s.find(sep, start);
    out.push_back(s.substr(start, end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

std::optional<arguments> parse(int argc, char** argv) {
  if (argc < 2) return std::nullopt;
  arguments a;
  a.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--name") a.name = v;
    else if (k == "--driver") a.driver = v;
    else if (k == "--flow") a.flow = v;
    else if (k == "--flows") a.flows = split(v, ',');
    else if (k == "--epmd-port") a.epmd_port = static_cast<std::uint16_t>(std::stoi(v));
    else if (k == "--messages") a.messages = std::stoll(v);
    else if (k == "--window") a.window = std::stoll(v);
    else return std::nullopt;
  }
  if (a.name.empty() || a.epmd_port == 0) return std::nullopt;
  if (a.mode == "driver" && a.flows.empty()) return std::nullopt;
  if (a.mode == "echo" && (a.driver.empty() || a.flow.empty())) return std::nullopt;
  if (a.mode != "driver" && a.mode != "echo") return std::nullopt;
  return a;
}

std::unique_ptr<otp::node> start_node(const arguments& a, bool embedded_epmd) {
  otp::node_options o;
  o.dist.name = a.name;
  o.dist.cookie = "otpp_soak";
  o.dist.epmd_port = a.epmd_port;
  o.dist.embedded_epmd = embedded_epmd;  // the driver lives longest: it keeps the port mapper
  o.dist.listen_address = "127.0.0.1";
  o.dist.log = [](std::string_view line) { std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data()); };
  o.runtime.workers = 1;  // three nodes share the machine
  auto n = otp::node::start(std::move(o));
  if (!n) {
    std::fprintf(stderr, "otpp_soak: %s\n", n.error().c_str());
    std::exit(2);
  }
  return std::move(n.value());
}

// ---- echo ----------------------------------------------------------------------------------

process_task echo_loop(process& self, atom flow) {
  const atom soak("soak");
  const atom soak_echo("soak_echo");
  for (;;) {
    auto [from, seq] = co_await self.receive(
        on(soak, any_pid, any_int) >> [](pid f, std::int64_t s) { return std::pair{f, s}; });
    self.send(from, tuple_of(soak_echo, flow, seq));
  }
}

int run_echo(const arguments& a) {
  // Runs until killed (the soak kills it with SIGKILL) or ended with SIGTERM or SIGINT, which
  // every thread leaves to the main one's sigwait.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  auto node = start_node(a, false);
  scoped_process me(node->rt());
  pid echo = me.spawn(echo_loop, atom(a.flow));
  me.send(atom("soak_driver"), atom(a.driver), tuple_of(atom("soak_hello"), atom(a.flow), echo));
  int sig = 0;
  sigwait(&set, &sig);
  return 0;
}

// ---- driver --------------------------------------------------------------------------------

std::int64_t resident_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoll(line.c_str() + 6, nullptr, 10);
  return 0;
}

struct flow {
  atom name;
  std::optional<pid> echo;           // the current echo process; none while the flow is down
  std::int64_t next_send = 0;        // the next sequence number to send
  std::int64_t expected = 0;         // the sequence number the next echo should carry
  std::int64_t window_base = 0;      // flow control counts in-flight messages from here
  bool lost_connection = false;      // the connection was lost since the previous echo
  std::int64_t echoes = 0, gaps = 0, lost = 0, reorders = 0, unexplained_gaps = 0, downs = 0;
};

int run_driver(const arguments& a) {
  auto node = start_node(a, true);
  auto& engine = *node->engine();
  scoped_process me(node->rt());
  (void)me.register_name(atom("soak_driver"));
  engine.monitor_nodes(me.self(), true);
  std::unordered_map<atom, flow> flows;
  for (auto& f : a.flows) flows[atom(f)].name = atom(f);
  std::printf("ready\n");
  std::fflush(stdout);

  const atom soak("soak"), soak_echo("soak_echo"), soak_hello("soak_hello");
  const std::int64_t total = a.messages * static_cast<std::int64_t>(flows.size());
  std::int64_t echoes = 0, next_report = 0, rss_start = 0, rss_max = 0;
  const std::int64_t report_every = std::max<std::int64_t>(total / 100, 1000);
  auto last_echo = clock_type::now();
  const auto t0 = clock_type::now();

  auto down = [&](flow& f) {
    if (!f.echo) return;
    f.echo.reset();
    f.lost_connection = true;
    f.window_base = f.next_send;  // what was in flight is gone
    ++f.downs;
  };
  auto done = [&](const flow& f) {
    return f.next_send >= a.messages && (!f.echo || f.expected >= f.next_send);
  };

  int status = 0;
  for (;;) {
    bool all_done = true;
    for (auto& [k, f] : flows) {
      if (f.echo) {
        while (f.next_send < a.messages && f.next_send - std::max(f.expected, f.window_base) < a.window)
          me.send(*f.echo, tuple_of(soak, me.self(), f.next_send++));
      }
      all_done = all_done && done(f);
    }
    if (all_done) break;
    auto m = me.receive_for(200ms);
    if (!m) {
      if (clock_type::now() - last_echo > 60s) {
        std::fprintf(stderr, "otpp_soak: no echo for 60 s\n");
        status = 2;
        break;
      }
      continue;
    }
    if (m->is_tuple() && m->tuple_size() == 3 && (*m)[0].is_atom(soak_echo) && (*m)[1].is_atom() && (*m)[2].to_int64()) {
      auto it = flows.find((*m)[1].atom_value());
      if (it == flows.end()) continue;
      flow& f = it->second;
      const std::int64_t seq = *(*m)[2].to_int64();
      last_echo = clock_type::now();
      ++f.echoes;
      ++echoes;
      if (seq < f.expected) {
        ++f.reorders;
      } else {
        if (seq > f.expected) {
          if (f.lost_connection) {
            ++f.gaps;
            f.lost += seq - f.expected;
          } else {
            ++f.unexplained_gaps;
          }
        }
        f.expected = seq + 1;
        f.lost_connection = false;
      }
      if (echoes >= next_report) {
        next_report += report_every;
        std::int64_t rss = resident_kb();
        // Memory from the first tenth on: by then buffers and tables have grown to their size.
        if (rss_start == 0 && echoes >= total / 10) rss_start = rss;
        rss_max = std::max(rss_max, rss);
        std::printf("progress=%lld\n", static_cast<long long>(echoes));
        std::fflush(stdout);
      }
    } else if (m->is_tuple() && m->tuple_size() == 3 && (*m)[0].is_atom(soak_hello) && (*m)[1].is_atom() && (*m)[2].is_pid()) {
      auto it = flows.find((*m)[1].atom_value());
      if (it == flows.end()) continue;
      flow& f = it->second;
      if (f.echo && *f.echo != (*m)[2].pid_value()) down(f);  // a restart we had not heard of
      if (f.echo) continue;
      f.echo = (*m)[2].pid_value();
      // The first hello starts the flow; a later one follows a lost connection.
      if (f.next_send > 0) f.lost_connection = true;
      last_echo = clock_type::now();
    } else if (m->is_tuple() && m->tuple_size() == 2 && (*m)[0].is_atom(atoms::nodedown) && (*m)[1].is_atom()) {
      for (auto& [k, f] : flows)
        if (f.echo && f.echo->node == (*m)[1].atom_value()) down(f);
    }
  }

  const std::int64_t rss_end = resident_kb();
  rss_max = std::max(rss_max, rss_end);
  if (rss_start == 0) rss_start = rss_end;
  std::int64_t gaps = 0, lost = 0, reorders = 0, unexplained = 0, downs = 0;
  for (auto& [k, f] : flows) {
    std::printf("flow.%s.echoes=%lld\nflow.%s.downs=%lld\n", std::string(f.name.name()).c_str(),
                static_cast<long long>(f.echoes), std::string(f.name.name()).c_str(), static_cast<long long>(f.downs));
    gaps += f.gaps;
    lost += f.lost;
    reorders += f.reorders;
    unexplained += f.unexplained_gaps;
    downs += f.downs;
  }
  const double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  std::printf("messages=%lld\nconnections_lost=%lld\ngaps=%lld\nlost=%lld\nunexplained_gaps=%lld\nreorders=%lld\n"
              "rss_start_kb=%lld\nrss_end_kb=%lld\nrss_max_kb=%lld\nseconds=%.1f\n",
              static_cast<long long>(echoes), static_cast<long long>(downs), static_cast<long long>(gaps),
              static_cast<long long>(lost), static_cast<long long>(unexplained), static_cast<long long>(reorders),
              static_cast<long long>(rss_start), static_cast<long long>(rss_end), static_cast<long long>(rss_max), secs);
  std::fflush(stdout);
  engine.monitor_nodes(me.self(), false);
  if (status == 0 && (reorders > 0 || unexplained > 0)) status = 1;
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  auto a = parse(argc, argv);
  if (!a) {
    std::fprintf(stderr,
                 "usage: otpp_soak driver --name D --epmd-port P --messages N --flows F1,F2 [--window W]\n"
                 "       otpp_soak echo --name E --epmd-port P --driver D --flow F\n");
    return 2;
  }
  return a->mode == "driver" ? run_driver(*a) : run_echo(*a);
}
