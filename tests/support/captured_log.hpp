// A node's distribution log lines, kept so that a test can assert what the node logged (a
// refused peer, a lost connection) while the node's threads keep writing.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace otpp::test {

struct captured_log {
  std::mutex mu;
  std::vector<std::string> lines;

  void add(std::string_view line) {
    std::lock_guard lock(mu);
    lines.emplace_back(line);
  }
  /// Whether one line contains both `a` and `b`.
  bool contains(const std::string& a, const std::string& b = "") {
    std::lock_guard lock(mu);
    for (auto& l : lines)
      if (l.find(a) != std::string::npos && l.find(b) != std::string::npos) return true;
    return false;
  }
  std::string all() {
    std::lock_guard lock(mu);
    std::string s;
    for (auto& l : lines) s += l + "\n";
    return s;
  }
};

}  // namespace otpp::test
