// Logger events printed as Elixir 1.14's Logger prints them on the console (its translator for
// crashed processes, `~p`/`~w` arguments inspected in Elixir syntax), and the `logger` process
// that receives them on the shell's node.
#include "otpp/shell/logger.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <mutex>
#include <utility>
#include <vector>

#include "otpp/otp/io_format.hpp"
#include "otpp/runtime/process.hpp"

namespace otpp::shell {
namespace {

const atom a_log("log");
const atom a_time("time");
const atom a_string("string");
const atom a_report("report");

// "10:37:26.349": local time, milliseconds, as the console backend's $time.
std::string clock_text(const term& meta) {
  using namespace std::chrono;
  std::int64_t micros = 0;
  if (const term* t = meta.is_map() ? meta.map_find(term(a_time)) : nullptr) {
    micros = t->to_int64().value_or(0);
  }
  if (micros <= 0) {
    micros = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  }
  const std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>((micros / 1000) % 1000));
  return buf;
}

std::optional<std::u32string> format_chars(const term& fmt) {
  if (fmt.is_atom()) return io::from_utf8(fmt.atom_value().name());
  if (fmt.is_binary()) return io::from_utf8(fmt.bytes_as_string());
  return io::characters_to_list(fmt, io::encoding::unicode);
}

// Logger.Utils.scan_inspect/3: the format with every `~p`/`~w`/`~P`/`~W` turned into `~ts` and
// its argument into the text `inspect/1` gives, then io_lib:format/2.
std::optional<std::string> elixir_format(const term& fmt, const term& args,
                                         const format_context& ctx) {
  auto text = format_chars(fmt);
  if (!text || !args.is_list() || !args.is_proper_list()) return std::nullopt;
  const std::vector<term> in(args.list_elements().begin(), args.list_elements().end());
  std::size_t next = 0;
  auto take = [&]() -> std::optional<term> {
    if (next >= in.size()) return std::nullopt;
    return in[next++];
  };
  std::vector<term> out_fmt;
  std::vector<term> out_args;
  const std::u32string& f = *text;
  std::size_t i = 0;
  while (i < f.size()) {
    if (f[i] != U'~') {
      out_fmt.emplace_back(static_cast<std::int64_t>(f[i++]));
      continue;
    }
    // ~F.P.PadMC: field width, precision, pad character (each may be `*`: an argument).
    const std::size_t begin = i++;
    std::vector<term> star_args;
    auto number_or_star = [&] {
      if (i < f.size() && f[i] == U'*') {
        ++i;
        if (auto a = take()) star_args.push_back(*a);
        return;
      }
      if (i < f.size() && f[i] == U'-') ++i;
      while (i < f.size() && f[i] >= U'0' && f[i] <= U'9') ++i;
    };
    number_or_star();
    if (i < f.size() && f[i] == U'.') {
      ++i;
      number_or_star();
      if (i < f.size() && f[i] == U'.') {
        ++i;
        if (i < f.size() && f[i] == U'*') {
          ++i;
          if (auto a = take()) star_args.push_back(*a);
        } else if (i < f.size()) {
          ++i;
        }
      }
    }
    while (i < f.size() && (f[i] == U't' || f[i] == U'l' || f[i] == U'k')) ++i;
    if (i >= f.size()) return std::nullopt;
    const char32_t control = f[i++];
    if (control == U'p' || control == U'w' || control == U'P' || control == U'W') {
      auto value = take();
      if (!value) return std::nullopt;
      if (control == U'P' || control == U'W') (void)take();  // the depth
      for (char32_t c : std::u32string_view(U"~ts"))
        out_fmt.emplace_back(static_cast<std::int64_t>(c));
      out_args.push_back(term::binary(inspect(*value, ctx)));
      continue;
    }
    for (std::size_t k = begin; k < i; ++k) out_fmt.emplace_back(static_cast<std::int64_t>(f[k]));
    out_args.insert(out_args.end(), star_args.begin(), star_args.end());
    if (control == U'n' || control == U'~') continue;
    const int count = (control == U'x' || control == U'X') ? 2 : 1;
    for (int k = 0; k < count; ++k) {
      auto a = take();
      if (!a) return std::nullopt;
      out_args.push_back(*a);
    }
  }
  auto r = io::format(term::list(std::move(out_fmt)), term::list(std::move(out_args)),
                      &ctx.print.node_number);
  if (!r) return std::nullopt;
  return std::move(r.value());
}

// Logger.Translator for the emulator's "Error in process ~p [on node ~p] with exit value:~n~p~n".
std::optional<std::string> translate_process_error(const term& fmt, const term& args,
                                                   const format_context& ctx) {
  auto text = format_chars(fmt);
  if (!text || !text->starts_with(U"Error in process ") || !args.is_proper_list()) {
    return std::nullopt;
  }
  const std::vector<term> a(args.list_elements().begin(), args.list_elements().end());
  if (a.size() != 2 && a.size() != 3) return std::nullopt;
  const term& exit_value = a.back();
  if (!exit_value.is_tuple() || exit_value.tuple_size() != 2) return std::nullopt;
  auto stack = stack_from_term(exit_value[1]);
  if (!stack) return std::nullopt;
  std::string out = "Process " + inspect(a[0], ctx);
  if (a.size() == 3) out += " on node " + inspect(a[1], ctx);
  out +=
      " raised an exception\n" + format_banner(error_class::error, exit_value[0], *stack, {}, ctx);
  for (const stack_frame& f : *stack) out += "\n    " + format_frame(f, ctx);
  return out;
}

}  // namespace

std::optional<std::string> format_log_event(const term& event, const format_context& ctx) {
  if (!event.is_tuple() || (event.tuple_size() != 4 && event.tuple_size() != 5) ||
      !event[0].is_atom(a_log) || !event[1].is_atom()) {
    return std::nullopt;
  }
  std::string level(event[1].atom_value().name());
  if (level == "warn") level = "warning";
  const term& meta = event[event.tuple_size() - 1];
  std::optional<std::string> message;
  if (event.tuple_size() == 5) {
    message = translate_process_error(event[2], event[3], ctx);
    if (!message) message = elixir_format(event[2], event[3], ctx);
    if (!message) message = inspect(tuple_of(event[2], event[3]), ctx);
  } else {
    const term& msg = event[2];
    if (msg.is_tuple() && msg.tuple_size() == 2 && msg[0].is_atom(a_string)) {
      message = io::characters_to_utf8(msg[1], io::encoding::unicode);
    } else if (msg.is_tuple() && msg.tuple_size() == 2 && msg[0].is_atom(a_report)) {
      message = inspect(msg[1], ctx);
    } else if (msg.is_tuple() && msg.tuple_size() == 2) {
      message = elixir_format(msg[0], msg[1], ctx);
    }
    if (!message) message = inspect(msg, ctx);
  }
  return "\n" + clock_text(meta) + " [" + level + "] " + *message + "\n";
}

// ---- the logger process ------------------------------------------------------------------------

struct log_printer::state {
  std::mutex mu;
  format_context ctx;
  std::function<void(std::string_view)> out;  // empty once the printer is destroyed
  std::vector<std::pair<atom, pid>> replaced;  // names taken over, and their earlier owners
};

namespace {

const atom a_sync("$otpp_log_sync");

process_task log_loop(process& self, std::shared_ptr<log_printer::state> st) {
  for (;;) {
    term msg = co_await self.receive();
    if (msg.is_tuple() && msg.tuple_size() == 3 && msg[0].is_atom(a_sync) && msg[1].is_pid()) {
      self.send(msg[1].pid_value(), tuple_of(a_sync, msg[2]));
      continue;
    }
    std::lock_guard lock(st->mu);
    if (!st->out) continue;
    if (auto text = format_log_event(msg, st->ctx)) st->out(*text);
  }
}

}  // namespace

log_printer::log_printer(runtime& rt, format_context ctx, std::function<void(std::string_view)> out)
    : rt_(rt), state_(std::make_shared<state>()) {
  state_->ctx = std::move(ctx);
  state_->out = std::move(out);
  for (const char* name : {"logger", "logger_proxy"}) {
    const pid p = rt_.spawn(log_loop, state_);
    processes_.push_back(p);
    // The node's default logger (otp/logger.hpp, Erlang's format) gives way to the shell's
    // (iex's format) while the shell runs, and gets its name back after.
    const atom a(name);
    if (auto previous = rt_.whereis(a); previous && rt_.unregister_name(a)) {
      state_->replaced.emplace_back(a, *previous);
    }
    (void)rt_.register_name(a, p);
  }
}

void log_printer::sync(scoped_process& self) {
  for (const pid& p : processes_) {
    const reference ref = self.make_ref();
    self.send(p, tuple_of(a_sync, self.self(), ref));
    (void)self.receive(on(a_sync, ref) >> [] {}, after(std::chrono::seconds(1), [] {}));
  }
}

log_printer::~log_printer() {
  {
    std::lock_guard lock(state_->mu);
    state_->out = nullptr;
  }
  for (const auto& [name, previous] : state_->replaced) {
    auto now = rt_.whereis(name);
    if (!now || std::find(processes_.begin(), processes_.end(), *now) == processes_.end()) continue;
    if (rt_.unregister_name(name) && rt_.is_alive(previous)) (void)rt_.register_name(name, previous);
  }
  for (const pid& p : processes_) rt_.exit(p, term(atoms::kill));
}

}  // namespace otpp::shell
