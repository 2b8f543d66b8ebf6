// Frame bodies to control signals: pass-through, distribution header and fragments.
#include "otpp/dist/frame_decoder.hpp"

#include "bytes.hpp"
#include "otpp/term/etf.hpp"

namespace otpp::dist {

namespace {
constexpr std::uint8_t pass_through = 112;
constexpr std::uint8_t version_magic = 131;
constexpr std::uint8_t dist_header = 68;
constexpr std::uint8_t dist_frag_header = 69;
constexpr std::uint8_t dist_frag_cont = 70;

// The body of one term, decoded from a version byte on or (after a header) without one.
result<etf::decoded> decode_one(std::span<const std::uint8_t> bytes, bool with_version,
                                const etf::decode_options& opts) {
  auto r = with_version ? etf::decode_prefix(bytes, opts) : etf::decode_body(bytes, opts);
  if (!r) return failure{r.error().to_string()};
  return std::move(r.value());
}
}  // namespace

failure frame_decoder::over_limit(std::string why) {
  limit_exceeded_ = true;
  return failure{std::move(why)};
}

std::string frame_decoder::pending_limit_text() const {
  return "fragments pending reassembly would exceed " + std::to_string(limits_.max_pending_bytes) +
         " bytes (" + std::to_string(partials_.size()) + " messages in flight)";
}

result<std::vector<atom>> frame_decoder::parse_atom_cache(std::span<const std::uint8_t> body,
                                                          std::size_t& pos) {
  detail::byte_reader r(body.subspan(pos));
  std::size_t n = r.u8();
  std::vector<atom> refs;
  if (!r.ok()) return failure{"truncated distribution header"};
  if (n == 0) {
    pos += r.position();
    return refs;
  }
  auto flags = r.take(n / 2 + 1);
  if (!r.ok()) return failure{"truncated atom cache flags"};
  auto nibble = [&](std::size_t i) -> std::uint8_t {
    std::uint8_t b = flags[i / 2];
    return (i % 2 == 0) ? (b & 0x0f) : (b >> 4);
  };
  bool long_atoms = nibble(n) & 0x01;
  refs.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint8_t f = nibble(i);
    bool is_new = f & 0x08;
    std::size_t index = static_cast<std::size_t>(f & 0x07) * 256 + r.u8();
    if (!r.ok()) return failure{"truncated atom cache reference"};
    if (is_new) {
      std::size_t len = long_atoms ? r.u16() : r.u8();
      std::string text = r.text(len);
      if (!r.ok()) return failure{"truncated atom in the atom cache"};
      auto a = limits_.new_atoms ? limits_.new_atoms->intern(text) : atom::try_make(text);
      if (!a && limits_.new_atoms && limits_.new_atoms->spent()) return over_limit(atom_budget_text());
      if (!a) return failure{"invalid atom text in the atom cache"};
      cache_[index] = *a;
      refs.push_back(*a);
    } else {
      if (!cache_[index]) return failure{"reference to an empty atom cache entry"};
      refs.push_back(*cache_[index]);
    }
  }
  pos += r.position();
  return refs;
}

result<std::optional<control_signal>> frame_decoder::decode_terms(
    std::span<const std::uint8_t> bytes, const std::vector<atom>& refs,
    std::shared_ptr<const std::vector<std::uint8_t>> shared) {
  etf::decode_options opts;
  opts.new_atoms = limits_.new_atoms;
  opts.atom_cache = refs;
  opts.shared_buffer = std::move(shared);
  opts.share_threshold = 16 * 1024;
  auto ctrl = decode_one(bytes, false, opts);
  if (!ctrl) return failure{"control message: " + ctrl.error()};
  auto rest = bytes.subspan(ctrl->consumed);
  if (rest.empty()) {
    auto s = parse_control(ctrl->value, nullptr);
    if (!s) return failure{s.error()};
    return std::optional<control_signal>(std::move(s.value()));
  }
  auto msg = decode_one(rest, false, opts);
  if (!msg) return failure{"message: " + msg.error()};
  if (msg->consumed != rest.size()) return failure{"trailing bytes after the message"};
  auto s = parse_control(ctrl->value, &msg->value);
  if (!s) return failure{s.error()};
  return std::optional<control_signal>(std::move(s.value()));
}

std::string frame_decoder::atom_budget_text() const {
  const atom_budget& b = *limits_.new_atoms;
  if (b.ceiling_reached() && b.ceiling())
    return "a new atom exceeds the ceiling of " + std::to_string(b.ceiling()->limit()) +
           " atoms all peers together may add";
  return "a new atom exceeds the budget of " + std::to_string(b.limit()) + " atoms " +
         (b.ceiling() ? "one connection may add" : "this node's peers may add");
}

result<std::optional<control_signal>> frame_decoder::decode(
    std::span<const std::uint8_t> body, std::shared_ptr<const std::vector<std::uint8_t>> shared) {
  limit_exceeded_ = false;
  auto r = decode_frame(body, std::move(shared));
  // The term decoder's failure for a spent budget is a resource limit, not a protocol error.
  if (!r && !limit_exceeded_ && limits_.new_atoms && limits_.new_atoms->spent() &&
      r.error().find("atoms peers may add") != std::string::npos)
    return over_limit(atom_budget_text());
  return r;
}

result<std::optional<control_signal>> frame_decoder::decode_frame(
    std::span<const std::uint8_t> body, std::shared_ptr<const std::vector<std::uint8_t>> shared) {
  if (body.empty()) return failure{"empty frame"};
  if (body[0] == pass_through) {
    etf::decode_options opts;
    opts.new_atoms = limits_.new_atoms;
    opts.shared_buffer = std::move(shared);
    opts.share_threshold = 16 * 1024;
    auto ctrl = decode_one(body.subspan(1), true, opts);
    if (!ctrl) return failure{"control message: " + ctrl.error()};
    auto rest = body.subspan(1 + ctrl->consumed);
    if (rest.empty()) {
      auto s = parse_control(ctrl->value, nullptr);
      if (!s) return failure{s.error()};
      return std::optional<control_signal>(std::move(s.value()));
    }
    auto msg = decode_one(rest, true, opts);
    if (!msg) return failure{"message: " + msg.error()};
    if (msg->consumed != rest.size()) return failure{"trailing bytes after the message"};
    auto s = parse_control(ctrl->value, &msg->value);
    if (!s) return failure{s.error()};
    return std::optional<control_signal>(std::move(s.value()));
  }
  if (body[0] != version_magic || body.size() < 2)
    return failure{"frame starts with neither 112 nor 131"};
  std::size_t pos = 2;
  switch (body[1]) {
    case dist_header: {
      auto refs = parse_atom_cache(body, pos);
      if (!refs) return failure{refs.error()};
      return decode_terms(body.subspan(pos), *refs, std::move(shared));
    }
    case dist_frag_header: {
      detail::byte_reader r(body.subspan(2));
      std::uint64_t seq = r.u64();
      std::uint64_t frag = r.u64();
      if (!r.ok()) return failure{"truncated fragment header"};
      pos += 16;
      auto refs = parse_atom_cache(body, pos);
      if (!refs) return failure{refs.error()};
      if (frag == 0) return failure{"fragment id 0"};
      if (frag == 1) return decode_terms(body.subspan(pos), *refs, std::move(shared));
      if (partials_.count(seq)) return failure{"fragment sequence started twice"};
      if (partials_.size() >= limits_.max_pending_sequences)
        return over_limit("more than " + std::to_string(limits_.max_pending_sequences) +
                          " fragmented messages in flight");
      std::size_t len = body.size() - pos;
      if (len > limits_.max_message_size) return over_limit("fragmented message exceeds the size limit");
      if (len > limits_.max_pending_bytes - pending_bytes_) return over_limit(pending_limit_text());
      partial p;
      p.data.assign(body.begin() + static_cast<std::ptrdiff_t>(pos), body.end());
      p.refs = std::move(*refs);
      p.next_fragment = frag - 1;
      pending_bytes_ += len;
      partials_.emplace(seq, std::move(p));
      return std::optional<control_signal>();
    }
    case dist_frag_cont: {
      detail::byte_reader r(body.subspan(2));
      std::uint64_t seq = r.u64();
      std::uint64_t frag = r.u64();
      if (!r.ok()) return failure{"truncated fragment header"};
      auto it = partials_.find(seq);
      if (it == partials_.end()) return failure{"continuation of an unknown fragment sequence"};
      auto& p = it->second;
      if (frag != p.next_fragment) return failure{"fragment out of order"};
      auto data = body.subspan(18);
      if (p.data.size() + data.size() > limits_.max_message_size)
        return over_limit("fragmented message exceeds the size limit");
      if (data.size() > limits_.max_pending_bytes - pending_bytes_) return over_limit(pending_limit_text());
      p.data.insert(p.data.end(), data.begin(), data.end());
      pending_bytes_ += data.size();
      if (frag > 1) {
        p.next_fragment = frag - 1;
        return std::optional<control_signal>();
      }
      auto whole = std::make_shared<std::vector<std::uint8_t>>(std::move(p.data));
      auto refs = std::move(p.refs);
      pending_bytes_ -= whole->size();
      partials_.erase(it);
      std::span<const std::uint8_t> bytes(*whole);
      return decode_terms(bytes, refs, whole);
    }
    default:
      return failure{"unknown distribution header " + std::to_string(body[1])};
  }
}

}  // namespace otpp::dist
