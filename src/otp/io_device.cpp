// The I/O protocol's request handling, following OTP 25's group.erl reply for reply (checked
// against a real shell's group leader: `{error, format}`, `{error, {put_chars, Enc, Chars}}`,
// `{error, request}`, `{error, enotsup}`).
#include "otpp/otp/io_device.hpp"

#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>

namespace otpp::io {

namespace {

const atom a_get_line("get_line");
const atom a_get_chars("get_chars");
const atom a_get_until("get_until");
const atom a_get_password("get_password");
const atom a_setopts("setopts");
const atom a_getopts("getopts");
const atom a_requests("requests");
const atom a_get_geometry("get_geometry");
const atom a_columns("columns");
const atom a_rows("rows");
const atom a_io_lib("io_lib");
const atom a_format("format");
const atom a_fwrite("fwrite");
const atom a_request("request");
const atom a_enotsup("enotsup");
const atom a_eof("eof");
const atom a_binary("binary");
const atom a_list("list");
const atom a_encoding("encoding");
const atom a_echo("echo");
const atom a_expand_fun("expand_fun");
const atom a_utf8("utf8");
const atom a_collect_line("collect_line");
const atom a_collect_chars("collect_chars");
const atom a_no_translation("no_translation");

encoding enc_of(atom a) { return a == atoms::latin1 ? encoding::latin1 : encoding::unicode; }

term error_reply(term why) { return tuple_of(atoms::error, std::move(why)); }

bool is_encoding(const term& t) { return t.is_atom(atoms::unicode) || t.is_atom(atoms::latin1); }

}  // namespace

// ---- sinks and sources ------------------------------------------------------------------------

void fd_output_sink::write(std::string_view utf8) {
  std::lock_guard lock(mu_);
  while (!utf8.empty()) {
    ssize_t n = ::write(fd_, utf8.data(), utf8.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // output closed: drop, as a node with a closed stdout does
    utf8.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::optional<std::pair<int, int>> fd_output_sink::geometry() {
  winsize ws{};
  if (::isatty(fd_) && ::ioctl(fd_, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return std::pair<int, int>{ws.ws_col, ws.ws_row};
  return std::nullopt;
}

std::optional<std::string> fd_line_source::read_line() {
  for (;;) {
    auto nl = pending_.find('\n');
    if (nl != std::string::npos) {
      std::string line = pending_.substr(0, nl + 1);
      pending_.erase(0, nl + 1);
      return line;
    }
    if (eof_) {
      if (pending_.empty()) return std::nullopt;
      std::string rest = std::move(pending_);
      pending_.clear();
      return rest;
    }
    if (cancelled_) return std::nullopt;
    // Poll so that cancel() is noticed while no input comes.
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, 100);
    if (r == 0 || (r < 0 && errno == EINTR)) continue;
    char buf[4096];
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      eof_ = true;
      continue;
    }
    pending_.append(buf, static_cast<std::size_t>(n));
  }
}

// ---- requests ---------------------------------------------------------------------------------

bool io_device::reads_input(const term& r) {
  if (r.is_atom(a_get_password)) return true;
  if (!r.is_tuple() || r.tuple_size() == 0 || !r[0].is_atom()) return false;
  atom tag = r[0].atom_value();
  if (tag == a_get_line || tag == a_get_chars || tag == a_get_until || tag == a_get_password)
    return true;
  if (tag == a_requests && r.tuple_size() == 2 && r[1].is_list()) {
    for (const term& e : r[1].list_elements())
      if (reads_input(e)) return true;
  }
  return false;
}

term io_device::handle(const term& request) { return dispatch(request).reply; }

io_device::outcome io_device::dispatch(const term& r) {
  if (r.is_atom(a_getopts)) return getopts();
  if (r.is_atom(a_get_password)) return get(atoms::latin1, term(atom("")), term(a_get_line), 0);
  if (!r.is_tuple() || r.tuple_size() == 0 || !r[0].is_atom())
    return {error_reply(a_request), false};
  atom tag = r[0].atom_value();
  std::size_t n = r.tuple_size();
  if (tag == atoms::put_chars) {
    if (n == 3 && is_encoding(r[1])) return put_chars(r[1].atom_value(), r[2], r);
    if (n == 5 && is_encoding(r[1])) return put_chars_apply(r[1].atom_value(), r[2], r[3], r[4]);
    if (n == 2)
      return put_chars(atoms::latin1, r[1], tuple_of(atoms::put_chars, atoms::latin1, r[1]));
    if (n == 4) return put_chars_apply(atoms::latin1, r[1], r[2], r[3]);
  } else if (tag == a_get_line) {
    if (n == 3 && is_encoding(r[1])) return get(r[1].atom_value(), r[2], term(a_get_line), 0);
    if (n == 2) return get(atoms::latin1, r[1], term(a_get_line), 0);
  } else if (tag == a_get_chars) {
    auto count = [](const term& t) -> std::optional<std::size_t> {
      if (!t.is_small_integer() || t.small_integer() < 0) return std::nullopt;
      return static_cast<std::size_t>(t.small_integer());
    };
    if (n == 4 && is_encoding(r[1]))
      if (auto c = count(r[3])) return get(r[1].atom_value(), r[2], term(a_get_chars), *c);
    if (n == 3)
      if (auto c = count(r[2])) return get(atoms::latin1, r[1], term(a_get_chars), *c);
  } else if (tag == a_get_until) {
    if (n == 6 && is_encoding(r[1])) return get_until(r[1].atom_value(), r[2], r[3], r[4], r[5]);
    if (n == 5) return get_until(atoms::latin1, r[1], r[2], r[3], r[4]);
  } else if (tag == a_get_password) {
    return get(atoms::latin1, term(atom("")), term(a_get_line), 0);
  } else if (tag == a_setopts && n == 2 && r[1].is_list()) {
    return setopts(r[1]);
  } else if (tag == a_requests && n == 2 && r[1].is_proper_list()) {
    outcome last{atoms::ok, true};
    for (const term& sub : r[1].list_elements()) {
      last = dispatch(sub);
      if (!last.ok) return last;
    }
    return last;
  } else if (tag == a_get_geometry && n == 2 && (r[1].is_atom(a_columns) || r[1].is_atom(a_rows))) {
    auto g = out_->geometry();
    if (!g) return {error_reply(a_enotsup), false};
    return {term(r[1].is_atom(a_columns) ? g->first : g->second), true};
  }
  return {error_reply(a_request), false};
}

io_device::outcome io_device::put_chars(atom enc, const term& chars, const term& original) {
  auto text = characters_to_utf8(chars, enc_of(enc));
  if (!text) return {error_reply(original), false};
  if (!text->empty()) out_->write(*text);
  return {atoms::ok, true};
}

// {put_chars, Enc, M, F, A}: group.erl applies any M:F(A...); otpp knows io_lib:format/2,3 and
// io_lib:fwrite/2,3, and answers `{error, F}` for anything else, as group.erl does when the
// call fails.
io_device::outcome io_device::put_chars_apply(atom enc, const term& m, const term& f,
                                              const term& args) {
  term fail = error_reply(f);
  if (!m.is_atom(a_io_lib) || !(f.is_atom(a_format) || f.is_atom(a_fwrite)) ||
      !args.is_proper_list())
    return {fail, false};
  auto a = args.list_elements();
  if (a.size() != 2 && a.size() != 3) return {fail, false};
  auto formatted = format_chars(a[0], a[1], numbering_ ? &numbering_ : nullptr);
  if (!formatted) return {fail, false};
  if (enc == atoms::latin1) {
    for (char32_t c : formatted.value())
      if (c > 255) return {fail, false};
  }
  std::string text = to_utf8(formatted.value());
  if (!text.empty()) out_->write(text);
  return {atoms::ok, true};
}

void io_device::write_prompt(const term& prompt, atom enc) {
  // io_lib:format_prompt/2: {format, F, A}, text with ~s (~ts), anything else with ~p (~tp).
  dist::result<std::string> text = dist::failure{""};
  bool uni = enc == atoms::unicode;
  if (prompt.is_tuple() && prompt.tuple_size() == 3 && prompt[0].is_atom(a_format)) {
    text = format(prompt[1], prompt[2]);
  } else if (prompt.is_list() || prompt.is_atom() || prompt.is_binary()) {
    text = format(term::string(uni ? "~ts" : "~s"), list_of(prompt));
  } else {
    text = format(term::string(uni ? "~tp" : "~p"), list_of(prompt));
  }
  if (text && !text.value().empty()) out_->write(text.value());
}

bool io_device::fill_line() {
  if (input_eof_ || !in_) return false;
  auto line = in_->read_line();
  if (!line) {
    input_eof_ = true;
    return false;
  }
  auto decoded = from_utf8(*line);
  if (decoded) {
    input_ += *decoded;
  } else {
    for (unsigned char b : *line) input_.push_back(b);  // not UTF-8: take bytes as Latin-1
  }
  return true;
}

term io_device::make_input(const chars& text, atom enc, bool& ok) const {
  ok = true;
  if (enc == atoms::latin1) {
    for (char32_t c : text)
      if (c > 255) {
        ok = false;
        return error_reply(tuple_of(a_no_translation, atoms::unicode, atoms::latin1));
      }
  }
  if (!binary_) {
    std::vector<term> cps;
    cps.reserve(text.size());
    for (char32_t c : text) cps.emplace_back(static_cast<std::int64_t>(c));
    return term::list(std::move(cps));
  }
  if (enc == atoms::latin1) {
    std::string bytes;
    for (char32_t c : text) bytes.push_back(static_cast<char>(c));
    return term::binary(bytes);
  }
  return term::binary(to_utf8(text));
}

io_device::outcome io_device::get(atom enc, const term& prompt, const term& kind,
                                  std::size_t count) {
  if (!in_) return {term(a_eof), true};
  std::lock_guard lock(input_mu_);
  write_prompt(prompt, enc);
  chars taken;
  if (kind.is_atom(a_get_line)) {
    std::size_t nl;
    while ((nl = input_.find(U'\n')) == chars::npos && fill_line()) {
    }
    if (nl == chars::npos) nl = input_.empty() ? chars::npos : input_.size() - 1;
    if (nl == chars::npos) return {term(a_eof), true};
    taken = input_.substr(0, nl + 1);
    input_.erase(0, nl + 1);
  } else {
    if (count == 0) {
      bool ok = true;
      return {make_input({}, enc, ok), true};
    }
    while (input_.size() < count && fill_line()) {
    }
    if (input_.empty()) return {term(a_eof), true};
    taken = input_.substr(0, count);
    input_.erase(0, taken.size());
  }
  bool ok = true;
  term reply = make_input(taken, enc, ok);
  return {reply, ok};
}

io_device::outcome io_device::get_until(atom enc, const term& prompt, const term& m, const term& f,
                                        const term& args) {
  // io:get_line/io:get_chars as get_until (io_lib:collect_line/collect_chars) are served;
  // otpp cannot run other Erlang collectors (erl_scan:tokens for io:read, io_lib:fread).
  if (m.is_atom(a_io_lib) && f.is_atom(a_collect_line))
    return get(enc, prompt, term(a_get_line), 0);
  if (m.is_atom(a_io_lib) && f.is_atom(a_collect_chars) && args.is_proper_list() &&
      args.list_elements().size() == 1 && args.list_elements()[0].is_small_integer() &&
      args.list_elements()[0].small_integer() >= 0)
    return get(enc, prompt, term(a_get_chars),
               static_cast<std::size_t>(args.list_elements()[0].small_integer()));
  if (!in_) return {term(a_eof), true};
  return {error_reply(a_enotsup), false};
}

io_device::outcome io_device::setopts(const term& opts) {
  // Validate everything first, as group.erl does, then apply.
  std::optional<bool> binary, echo;
  std::optional<encoding> enc;
  for (const term& o : opts.list_elements()) {
    if (o.is_atom(a_binary)) {
      binary = true;
    } else if (o.is_atom(a_list)) {
      binary = false;
    } else if (o.is_atom(atoms::unicode)) {
      enc = encoding::unicode;
    } else if (o.is_atom(atoms::latin1)) {
      enc = encoding::latin1;
    } else if (o.is_atom(a_echo)) {
      echo = true;
    } else if (o.is_tuple() && o.tuple_size() == 2 && o[0].is_atom()) {
      atom k = o[0].atom_value();
      const term& v = o[1];
      bool is_bool = v.is_atom(atoms::true_) || v.is_atom(atoms::false_);
      if (k == a_binary && is_bool) {
        binary = v.is_atom(atoms::true_);
      } else if (k == a_echo && is_bool) {
        echo = v.is_atom(atoms::true_);
      } else if (k == a_encoding && (v.is_atom(atoms::unicode) || v.is_atom(a_utf8))) {
        enc = encoding::unicode;
      } else if (k == a_encoding && v.is_atom(atoms::latin1)) {
        enc = encoding::latin1;
      } else if (k != a_expand_fun) {
        return {error_reply(a_enotsup), false};
      }
    } else {
      return {error_reply(a_enotsup), false};
    }
  }
  if (binary) binary_ = *binary;
  if (echo) echo_ = *echo;
  if (enc) encoding_ = *enc;
  return {atoms::ok, true};
}

io_device::outcome io_device::getopts() {
  return {list_of(tuple_of(a_expand_fun, atoms::false_), tuple_of(a_echo, term::boolean(echo_)),
                  tuple_of(a_binary, term::boolean(binary_)),
                  tuple_of(a_encoding,
                           encoding_ == encoding::unicode ? atoms::unicode : atoms::latin1)),
          true};
}

}  // namespace otpp::io
