// The node's default logger: logger events printed as OTP's default handler prints them
// (logger_formatter with its legacy header), through the node's io server.
#include "otpp/otp/logger.hpp"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "otpp/otp/io.hpp"
#include "otpp/otp/io_format.hpp"
#include "otpp/runtime/process.hpp"

namespace otpp::otp {

namespace {

const atom a_log("log");
const atom a_time("time");
const atom a_string("string");
const atom a_report("report");
const atom a_logger_proxy("logger_proxy");

// The title logger_formatter's legacy header uses: the metadata's
// `logger_formatter => #{title => Title}` (a supervisor's "SUPERVISOR REPORT"), if any.
std::optional<std::string> title_of(const term& meta) {
  static const atom logger_formatter("logger_formatter"), title("title");
  const term* f = meta.is_map() ? meta.map_find(term(logger_formatter)) : nullptr;
  const term* t = f && f->is_map() ? f->map_find(term(title)) : nullptr;
  if (!t) return std::nullopt;
  return io::characters_to_utf8(*t, io::encoding::unicode);
}

// "=ERROR REPORT==== 30-Nov-2026::10:59:21.357794 ===\n": the title (by default the level in
// capitals and REPORT), the event's time (microseconds since the epoch; now when it has none)
// in local time.
std::string report_header(atom level, const term& meta) {
  using namespace std::chrono;
  std::int64_t micros = 0;
  if (const term* t = meta.is_map() ? meta.map_find(term(a_time)) : nullptr) {
    micros = t->to_int64().value_or(0);
  }
  if (micros <= 0) micros = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::string name(level.name());
  if (name == "warn") name = "warning";
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%d-%s-%d::%02d:%02d:%02d.%06lld", tm.tm_mday,
                months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(micros % 1000000));
  std::string title = title_of(meta).value_or(name + " REPORT");
  return "=" + title + "==== " + stamp + " ===\n";
}

// The format's text (a character list, a binary or an atom), as UTF-8.
std::optional<std::string> format_text(const term& fmt) {
  if (fmt.is_atom()) return std::string(fmt.atom_value().name());
  return io::characters_to_utf8(fmt, io::encoding::unicode);
}

process_task logger_loop(process& self, pid output) {
  for (;;) {
    term msg = co_await self.receive();
    // io replies and anything else that is not an event are dropped.
    if (auto req = log_event_request(msg)) {
      self.send(output, term::tuple({atoms::io_request, self.self(), atoms::undefined, *req}));
    }
  }
}

}  // namespace

std::optional<term> log_event_request(const term& event) {
  if (!event.is_tuple() || (event.tuple_size() != 4 && event.tuple_size() != 5) ||
      !event[0].is_atom(a_log) || !event[1].is_atom()) {
    return std::nullopt;
  }
  const term& meta = event[event.tuple_size() - 1];
  std::vector<term> args{term::binary(report_header(event[1].atom_value(), meta))};
  term fmt, fmt_args;
  if (event.tuple_size() == 5) {
    fmt = event[2];
    fmt_args = event[3];
  } else if (const term& m = event[2]; m.is_tuple() && m.tuple_size() == 2 && m[0].is_atom(a_string)) {
    fmt = term::string("~ts");
    fmt_args = list_of(m[1]);
  } else if (m.is_tuple() && m.tuple_size() == 2 && m[0].is_atom(a_report)) {
    fmt = term::string("~tp");
    fmt_args = list_of(m[1]);
  } else if (m.is_tuple() && m.tuple_size() == 2) {
    fmt = m[0];
    fmt_args = m[1];
  } else {
    fmt = term::string("~tp");
    fmt_args = list_of(m);
  }
  auto text = format_text(fmt);
  if (!text || !fmt_args.is_list() || !fmt_args.is_proper_list() || !io::format(fmt, fmt_args)) {
    args.push_back(fmt);
    args.push_back(fmt_args);
    return io::format_request("~tsFORMAT ERROR: ~tp - ~tp~n~n", args);
  }
  for (const term& a : fmt_args.list_elements()) args.push_back(a);
  // logger_formatter ends the message with a newline; the handler adds the empty line.
  return io::format_request("~ts" + *text + "~n", args);
}

pid start_logger(runtime& rt, const pid& output) {
  const pid p = rt.spawn(logger_loop, output);
  (void)rt.register_name(a_logger_proxy, p);
  return p;
}

}  // namespace otpp::otp
