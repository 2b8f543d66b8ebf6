#include "dist/dist_fixture.hpp"
#include <condition_variable>
using namespace otpp; using namespace otpp::test;
namespace {
struct reflector : remote_signals {
  dist::engine* eng = nullptr;
  std::atomic<long> count{0};
  std::mutex mu; std::condition_variable cv; long target = -1;
  bool echo = false;
  void deliver(const pid& to, term msg) override {
    if (echo && msg.is_tuple() && msg.tuple_size() == 2 && msg[0].is_pid()) { eng->send(to, msg[0].pid_value(), msg[1]); return; }
    long c = ++count;
    if (c == target) { std::lock_guard l(mu); cv.notify_all(); }
  }
  void deliver_named(atom, term) override {}
  void deliver_alias(const reference&, term) override {}
  void link(const pid&, const pid&) override {}
  void unlink(const pid&, const pid&, std::uint64_t) override {}
  void unlink_ack(const pid&, const pid&, std::uint64_t) override {}
  void exit(const pid&, const pid&, term, bool) override {}
  void monitor(const pid&, const term&, const reference&) override {}
  void demonitor(const pid&, const term&, const reference&) override {}
  void monitor_down(const pid&, const term&, const reference&, term) override {}
  void group_leader(const pid&, const pid&, const pid&) override {}
  void node_down(atom) override {}
  void wait(long n) { std::unique_lock l(mu); cv.wait_for(l, std::chrono::seconds(60), [&]{ return count.load() >= n; }); }
};
}
using Micro = dist_test;
TEST_F(Micro, Engine) {
  reflector ra, rb; rb.echo = true;
  auto a = start_node("a"), b = start_node("b");
  a->engine->set_remote_signals(&ra); b->engine->set_remote_signals(&rb);
  ra.eng = a->engine.get(); rb.eng = b->engine.get();
  pid pa = a->make_pid(), pb = b->make_pid();
  ASSERT_EQ(a->engine->ping(b->name()), atoms::pong);
  // round trip
  int n = getenv("RT_N") ? atoi(getenv("RT_N")) : 20000;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) { ra.target = i + 1; a->engine->send(pa, pb, tuple_of(pa, atom("x"))); ra.wait(i + 1); }
  double rt = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / n;
  std::cerr << "engine round_trip_us=" << rt << "\n";
  // throughput one way atoms
  rb.echo = false; rb.count = 0;
  long m = 1000000; rb.target = m;
  t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < m; ++i) a->engine->send(pa, pb, atom("hello"));
  rb.wait(m);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cerr << "engine atom_msgs_per_s=" << m / s << "\n";
  rb.count = 0; m = 20000; rb.target = m;
  term big = term::binary(std::vector<std::uint8_t>(65536, 1));
  t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < m; ++i) a->engine->send(pa, pb, big);
  rb.wait(m);
  s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cerr << "engine bin64k_mb_per_s=" << m * 65536 / s / 1e6 << "\n";
}
