// The test cluster: a private port mapper, in-process otpp nodes and erl child processes.
#include "otpp/otp/test_cluster.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "otpp/dist/epmd.hpp"

extern char** environ;

namespace otpp::otp {

namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

// How often bounded waits look again (registration, a child's exit).
constexpr auto poll_interval = 20ms;

// True once the child exited (reaped here), false while it runs.
bool reaped(pid_t pid) {
  int status = 0;
  pid_t r = ::waitpid(pid, &status, WNOHANG);
  return r == pid || (r < 0 && errno == ECHILD);
}

}  // namespace

test_cluster::test_cluster(test_cluster_options options) : options_(std::move(options)) {
  auto epmd = dist::epmd_server::start(
      {.bind_address = "127.0.0.1", .port = 0, .log = {}, .quiet = true});
  if (!epmd) throw std::runtime_error("test cluster: no port mapper: " + epmd.error());
  epmd_ = std::move(epmd.value());
}

test_cluster::~test_cluster() {
  for (auto& child : erls_) stop_child(child);
  while (!nodes_.empty()) nodes_.pop_back();  // newest first: the oldest may serve the others
  epmd_.reset();
}

std::string test_cluster::unique_name(std::string_view prefix) {
  return std::string(prefix) + std::to_string(::getpid()) + "x" + std::to_string(counter_++) +
         "@localhost";
}

std::uint16_t test_cluster::epmd_port() const noexcept { return epmd_->port(); }

otp::node& test_cluster::start_node(std::string_view prefix,
                               const std::function<void(otp::node_options&)>& tweak) {
  otp::node_options o;
  o.dist.name = unique_name(prefix);
  o.dist.cookie = options_.cookie;
  o.dist.epmd_port = epmd_->port();
  o.dist.embedded_epmd = false;  // the cluster's port mapper or none: never one on 4369
  o.dist.listen_address = "127.0.0.1";
  if (!options_.log) o.dist.log = [](std::string_view) {};
  o.runtime.workers = options_.workers;
  if (tweak) tweak(o);
  auto n = otp::node::start(std::move(o));
  if (!n) throw std::runtime_error("test cluster: node did not start: " + n.error());
  nodes_.push_back(std::move(n.value()));
  return *nodes_.back();
}

bool test_cluster::registered(std::string_view alive) const {
  auto names = epmd_->registered();
  return std::any_of(names.begin(), names.end(), [&](const dist::epmd_node& n) { return n.name == alive; });
}

atom test_cluster::start_erl(std::string_view prefix, const std::vector<std::string>& extra_args) {
  std::string name = unique_name(prefix);
  std::vector<std::string> args = {"erl", "-sname", name, "-setcookie", options_.cookie,
                                   "-noshell", "-start_epmd", "false"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  return start_peer(name, std::move(args));
}

atom test_cluster::start_elixir(std::string_view prefix, const std::vector<std::string>& extra_args) {
  std::string name = unique_name(prefix);
  // What `iex --sname N --cookie C` runs, without the interactive shell: Elixir's modules are
  // loaded (Task.Supervisor, GenServer, ...) and the node serves until it is stopped.
  std::vector<std::string> args = {"elixir", "--sname", name, "--cookie", options_.cookie,
                                   "--erl", "-start_epmd false", "--no-halt"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  args.insert(args.end(), {"-e", ":ok"});
  return start_peer(name, std::move(args));
}

atom test_cluster::start_peer(const std::string& name, std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  // The environment as it is, with ERL_EPMD_PORT pointing at the cluster's port mapper.
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "ERL_EPMD_PORT=", 14) != 0) env.emplace_back(*e);
  env.push_back("ERL_EPMD_PORT=" + std::to_string(epmd_->port()));
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
  if (!options_.log) {
    posix_spawn_file_actions_addopen(&files, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&files, 2, "/dev/null", O_WRONLY, 0);
  }
  // A process group of its own, so stopping it reaches erl's helper processes too.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, argv[0], &files, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw std::runtime_error("test cluster: cannot start " + args[0] + ": " + std::strerror(rc));
  erls_.push_back({atom(name), pid});

  // Ready once it registered with the port mapper: from then on it accepts connections.
  std::string alive = name.substr(0, name.find('@'));
  auto deadline = clock::now() + options_.timeout;
  while (!registered(alive)) {
    if (reaped(pid)) {
      erls_.back().pid = -1;
      throw std::runtime_error("test cluster: " + args[0] + " " + name + " exited while starting");
    }
    if (clock::now() > deadline) throw std::runtime_error("test cluster: " + args[0] + " " + name + " did not come up");
    std::this_thread::sleep_for(poll_interval);
  }
  return atom(name);
}

void test_cluster::kill_erl(atom node) {
  for (auto& child : erls_) {
    if (child.name == node && child.pid > 0) {
      ::kill(-child.pid, SIGKILL);
      while (::waitpid(child.pid, nullptr, 0) < 0 && errno == EINTR) {
      }
      child.pid = -1;
    }
  }
}

void test_cluster::stop_child(erl_child& child) {
  if (child.pid <= 0) return;
  ::kill(-child.pid, SIGTERM);  // erl halts on SIGTERM (init:stop)
  auto deadline = clock::now() + options_.timeout;
  while (!reaped(child.pid)) {
    if (clock::now() > deadline) {
      ::kill(-child.pid, SIGKILL);
      while (::waitpid(child.pid, nullptr, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(poll_interval);
  }
  child.pid = -1;
}

}  // namespace otpp::otp
