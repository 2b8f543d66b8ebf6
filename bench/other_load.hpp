// The CPU the rest of the machine used while a benchmark ran, in cores, so a figure taken beside
// other work can be told from a clean one: ping-pong figures between nodes whose idle workers
// spin collapse (to a tenth and less) when other programs compete for the cores.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

namespace otpp::bench {

class other_load {
 public:
  /// Starts counting; `ours` are the benchmark's own processes (this one is always counted).
  explicit other_load(std::initializer_list<pid_t> ours) : ours_(ours) {
    ours_.push_back(::getpid());
    busy0_ = machine_busy();
    ours0_ = ours_busy();
    t0_ = std::chrono::steady_clock::now();
  }

  /// Cores used since the start by processes other than ours (0 on a quiet machine).
  [[nodiscard]] double cores() const {
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    if (ticks <= 0 || wall <= 0) return 0;
    const double other = static_cast<double>(machine_busy() - busy0_) -
                         static_cast<double>(ours_busy() - ours0_);
    return other > 0 ? other / ticks / wall : 0;
  }

 private:
  // Clock ticks every core spent busy (user, nice, system, irq, softirq, steal), from /proc/stat.
  static long long machine_busy() {
    std::ifstream f("/proc/stat");
    std::string cpu;
    long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    f >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
    return user + nice + system + irq + softirq + steal;
  }

  // Clock ticks our processes ran: utime + stime (fields 14 and 15 of /proc/<pid>/stat) of those
  // still there, and what our children that were waited for used (a child that ends within the
  // window is counted whole there, less what /proc counted of it at the start).
  long long ours_busy() const {
    rusage done{};
    ::getrusage(RUSAGE_CHILDREN, &done);
    const long long ticks = ::sysconf(_SC_CLK_TCK);
    auto to_ticks = [&](const timeval& t) { return t.tv_sec * ticks + t.tv_usec * ticks / 1000000; };
    long long sum = to_ticks(done.ru_utime) + to_ticks(done.ru_stime);
    for (pid_t p : ours_) {
      std::ifstream f("/proc/" + std::to_string(p) + "/stat");
      std::string line;
      std::getline(f, line);
      auto close = line.rfind(')');  // the command name may hold spaces
      if (close == std::string::npos) continue;
      std::istringstream rest(line.substr(close + 2));
      std::string field;
      long long utime = 0, stime = 0;
      for (int i = 3; i <= 13 && rest >> field; ++i) {
      }
      rest >> utime >> stime;
      sum += utime + stime;
    }
    return sum;
  }

  std::vector<pid_t> ours_;
  long long busy0_ = 0;
  long long ours0_ = 0;
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace otpp::bench
