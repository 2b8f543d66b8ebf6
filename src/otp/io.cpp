// The io server process and the io client calls (io.erl's request/2 with a monitor).
#include "otpp/otp/io.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "receive_timeout.hpp"

namespace otpp::io {

namespace {

const atom a_terminated("terminated");
const atom a_io_lib("io_lib");
const atom a_format("format");

// Runs the requests that may block reading input, one after another, on its own thread, and
// sends each reply itself. Stopped and joined when the io server process ends.
class reader {
 public:
  reader(runtime& rt, std::shared_ptr<io_device> dev) : rt_(rt), dev_(std::move(dev)) {}
  reader(const reader&) = delete;
  reader& operator=(const reader&) = delete;
  ~reader() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    dev_->cancel_input();
    if (thread_.joinable()) thread_.join();
  }

  void submit(const pid& from, term reply_as, term req) {
    std::lock_guard lock(mu_);
    jobs_.push_back({from, std::move(reply_as), std::move(req)});
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
    cv_.notify_one();
  }

 private:
  struct job {
    pid from;
    term reply_as;
    term req;
  };

  void run() {
    for (;;) {
      job j;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
        if (stop_) return;
        j = std::move(jobs_.front());
        jobs_.pop_front();
      }
      term reply = dev_->handle(j.req);
      std::lock_guard lock(mu_);
      if (stop_) return;  // the runtime may be going away: do not touch it
      rt_.send(j.from, tuple_of(atoms::io_reply, j.reply_as, reply));
    }
  }

  runtime& rt_;
  std::shared_ptr<io_device> dev_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<job> jobs_;
  bool stop_ = false;
  std::thread thread_;
};

process_task serve(process& self, std::shared_ptr<io_device> dev) {
  auto rd = std::make_shared<reader>(self.rt(), dev);
  for (;;) {
    co_await self.receive(
        on(atoms::io_request, any_pid, _, _) >>
            [&](pid from, term reply_as, term req) {
              if (io_device::reads_input(req)) {
                rd->submit(from, std::move(reply_as), std::move(req));
              } else {
                self.send(from, tuple_of(atoms::io_reply, std::move(reply_as), dev->handle(req)));
              }
            },
        on(ignore) >> [] {});  // group.erl ignores what it does not understand
  }
}

term terminated() { return tuple_of(atoms::error, a_terminated); }

}  // namespace

pid start_server(runtime& rt, std::shared_ptr<io_device> device, std::optional<atom> name) {
  pid p = rt.spawn(serve, std::move(device));
  if (name) rt.register_name(*name, p);
  return p;
}

pid start_stdio_server(runtime& rt, bool with_input) {
  auto dev =
      std::make_shared<io_device>(std::make_shared<fd_output_sink>(1),
                                  with_input ? std::make_shared<fd_line_source>(0) : nullptr);
  return start_server(rt, std::move(dev), atoms::user);
}

term put_chars_request(const std::string& utf8) {
  return tuple_of(atoms::put_chars, atoms::unicode, term::binary(utf8));
}

term format_request(const std::string& fmt, const std::vector<term>& args) {
  return term::tuple({atoms::put_chars, atoms::unicode, a_io_lib, a_format,
                      list_of(term::string(fmt), term::list(args))});
}

task<term> request(process& self, pid device, term req) {
  reference mref = self.monitor(device);
  self.send(device, term::tuple({atoms::io_request, self.self(), mref, std::move(req)}));
  term reply = co_await self.receive(
      on(atoms::io_reply, mref, _) >> [](term r) { return r; },
      on(atoms::DOWN, mref, ignore, ignore, ignore) >> [] { return terminated(); });
  self.demonitor(mref, true);
  co_return reply;
}

term request(scoped_process& self, const pid& device, const term& req,
             std::chrono::milliseconds timeout) {
  reference mref = self.monitor(device);
  self.send(device, term::tuple({atoms::io_request, self.self(), mref, req}));
  term reply = self.receive(
      on(atoms::io_reply, mref, _) >> [](term r) { return r; },
      on(atoms::DOWN, mref, ignore, ignore, ignore) >> [] { return terminated(); },
      after(otp::detail::receive_timeout(timeout),
            [] { return tuple_of(atoms::error, atoms::timeout); }));
  self.demonitor(mref, true);
  return reply;
}

task<term> put_chars(process& self, std::string utf8) {
  co_return co_await request(self, self.group_leader(), put_chars_request(utf8));
}

term put_chars(scoped_process& self, const std::string& utf8) {
  return request(self, self.group_leader(), put_chars_request(utf8));
}

task<term> format(process& self, std::string fmt, std::vector<term> args) {
  co_return co_await request(self, self.group_leader(), format_request(fmt, args));
}

term format(scoped_process& self, const std::string& fmt, const std::vector<term>& args) {
  return request(self, self.group_leader(), format_request(fmt, args));
}

}  // namespace otpp::io
