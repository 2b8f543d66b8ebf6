// Hosts of their own for network-fault tests: Linux network namespaces joined by a switch (a
// bridge in a namespace of its own), each host's link a veth pair the test can cut and heal.
// Addresses exist inside the namespaces only, so tests never touch the machine's network and
// every host may use the standard ports (epmd's 4369). Needs root and `ip` (iproute2).
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace otpp::test {

class test_network {
 public:
  /// Creates `hosts` hosts; host i has address 10.77.0.(i+1)/24 on its interface `eth0`.
  explicit test_network(int hosts) {
    static std::atomic<int> counter{0};
    tag_ = "otpp" + std::to_string(::getpid()) + "n" + std::to_string(counter++);
    ok_ = run("ip netns add " + switch_ns()) && in(switch_ns(), "ip link add br0 type bridge") &&
          in(switch_ns(), "ip link set br0 up");
    for (int i = 0; ok_ && i < hosts; ++i) {
      const std::string h = host_ns(i), a = veth(i, 'a'), b = veth(i, 'b');
      ok_ = run("ip netns add " + h) && run("ip link add " + a + " type veth peer name " + b) &&
            run("ip link set " + a + " netns " + h) && run("ip link set " + b + " netns " + switch_ns()) &&
            in(h, "ip link set " + a + " name eth0") && in(h, "ip addr add " + address(i) + "/24 dev eth0") &&
            in(h, "ip link set eth0 up") && in(h, "ip link set lo up") &&
            in(switch_ns(), "ip link set " + b + " master br0") && in(switch_ns(), "ip link set " + b + " up");
      if (ok_) ++hosts_;
    }
  }
  ~test_network() {
    for (int i = 0; i < hosts_ + 1; ++i) (void)run("ip netns del " + host_ns(i) + " 2>/dev/null");
    (void)run("ip netns del " + switch_ns());
  }
  test_network(const test_network&) = delete;
  test_network& operator=(const test_network&) = delete;

  [[nodiscard]] bool ok() const noexcept { return ok_; }
  [[nodiscard]] std::string host_ns(int i) const { return tag_ + "h" + std::to_string(i); }
  [[nodiscard]] static std::string address(int i) { return "10.77.0." + std::to_string(i + 1); }

  /// Takes host i off the switch (its packets go nowhere, as with a pulled cable), or back.
  bool cut(int i) { return in(switch_ns(), "ip link set " + veth(i, 'b') + " down"); }
  bool heal(int i) { return in(switch_ns(), "ip link set " + veth(i, 'b') + " up"); }

  /// `argv` run on host i (for child_process).
  [[nodiscard]] std::vector<std::string> on_host(int i, std::vector<std::string> argv) const {
    std::vector<std::string> full = {"ip", "netns", "exec", host_ns(i)};
    full.insert(full.end(), argv.begin(), argv.end());
    return full;
  }

  /// While it lives, the calling thread is on host i: sockets it (and threads it starts) opens
  /// belong to that host's network.
  class thread_on_host {
   public:
    thread_on_host(const test_network& net, int i) {
      home_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
      const int fd = ::open(("/var/run/netns/" + net.host_ns(i)).c_str(), O_RDONLY | O_CLOEXEC);
      ok_ = home_ >= 0 && fd >= 0 && ::setns(fd, CLONE_NEWNET) == 0;
      if (fd >= 0) ::close(fd);
    }
    ~thread_on_host() {
      if (home_ >= 0) {
        if (::setns(home_, CLONE_NEWNET) != 0) std::abort();  // never leave a thread elsewhere
        ::close(home_);
      }
    }
    thread_on_host(const thread_on_host&) = delete;
    thread_on_host& operator=(const thread_on_host&) = delete;
    [[nodiscard]] bool ok() const noexcept { return ok_; }

   private:
    int home_ = -1;
    bool ok_ = false;
  };

 private:
  [[nodiscard]] std::string switch_ns() const { return tag_ + "sw"; }
  // Interface names have at most 15 characters; these are renamed or live in the switch.
  [[nodiscard]] std::string veth(int i, char side) const {
    return "v" + std::to_string(::getpid() % 100000) + tag_.substr(tag_.rfind('n')) + "_" + std::to_string(i) + side;
  }
  static bool run(const std::string& command) { return std::system(command.c_str()) == 0; }
  static bool in(const std::string& ns, const std::string& command) {
    return run("ip netns exec " + ns + " " + command);
  }

  std::string tag_;
  int hosts_ = 0;
  bool ok_ = false;
};

}  // namespace otpp::test
