// Frames waiting to be written on one connection: small frames are appended to one batch
// buffer (so many messages leave in one write), large ones get buffers of their own, and
// messages over the fragment size are split into 131 69/70 fragments that reference one
// shared encoding of the payload (no copy per fragment).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "otpp/dist/flags.hpp"
#include "otpp/term/etf.hpp"
#include "otpp/term/term.hpp"

namespace otpp::dist::detail {

/// A piece of output: bytes it owns, a slice of a shared buffer, or the bytes of a binary
/// term it keeps alive (large binaries are written from where they are, not copied).
struct out_chunk {
  std::vector<std::uint8_t> own;
  std::shared_ptr<const std::vector<std::uint8_t>> shared;
  std::size_t offset = 0, size = 0;
  term held;  ///< a binary whose bytes this chunk is, when it is one
  [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept {
    if (shared) return std::span<const std::uint8_t>(shared->data() + offset, size);
    if (held.is_bitstring()) return held.bytes();
    return own;
  }
};

/// Not thread-safe: the owning peer's mutex guards it.
class out_queue {
 public:
  static constexpr std::size_t batch_limit = 256 * 1024;  ///< close a batch buffer past this
  static constexpr std::size_t own_frame_threshold = 32 * 1024;  ///< larger frames get their own buffer

  void configure(std::uint64_t flags, std::size_t fragment_size) {
    flags_ = flags;
    fragment_size_ = fragment_size < 64 ? 64 : fragment_size;
  }

  /// What closures in payloads become for this peer (none: written as they are).
  void set_closure_rewriter(std::shared_ptr<const etf::closure_rewriter> rewriter) {
    rewriter_ = std::move(rewriter);
  }

  /// Appends one control message: `encode(bytes&)` appends the control term (without 131)
  /// and returns the payload term, if any. With `must_wait`, a message whose payload it holds
  /// true for is not queued (false).
  template <class Encode>
  bool add(Encode&& encode, const std::function<bool(const term&)>* must_wait = nullptr) {
    // With FRAGMENTS (or the atom cache) agreed, erts accepts only frames with a
    // distribution header: 131 68 0 (no atom cache references), then the terms without
    // their version bytes. Otherwise the pass-through form: 112, 131 control, 131 payload.
    const bool header = flags_ & (dflag::fragments | dflag::dist_hdr_atom_cache);
    const std::size_t head = header ? 7 : 6;
    std::size_t start = current_.size();
    current_.resize(start + head);
    std::optional<term> payload = encode(current_);
    std::size_t ctrl_end = current_.size();
    if (payload && must_wait && (*must_wait)(*payload)) {
      current_.resize(start);
      return false;
    }
    if (payload) {
      auto opts = etf::dist_encoding();
      opts.rewrite_closure = rewriter_.get();
      std::size_t psize = etf::encoded_size(*payload, opts, !header);
      std::size_t ctrl_size = ctrl_end - start - head;
      if ((flags_ & dflag::fragments) && ctrl_size + psize > fragment_size_) {
        std::vector<std::uint8_t> ctrl(current_.begin() + static_cast<std::ptrdiff_t>(start + head), current_.end());
        current_.resize(start);
        auto body = std::make_shared<std::vector<std::uint8_t>>(psize);
        etf::encode_into(*payload, body->data(), opts, false);
        add_fragments(ctrl, std::move(body));
        return true;
      }
      if (psize >= own_frame_threshold && payload->is_binary()) {
        // A large binary message: the frame's head here, the binary's bytes from the term.
        std::vector<std::uint8_t> frame(current_.begin() + static_cast<std::ptrdiff_t>(start), current_.end());
        current_.resize(start);
        if (!header) frame.push_back(131);
        frame.push_back(109);  // BINARY_EXT
        std::size_t n = payload->bytes().size();
        frame.resize(frame.size() + 4);
        store32(frame.data() + frame.size() - 4, static_cast<std::uint32_t>(n));
        finish_header(frame, 0, header);
        store32(frame.data(), static_cast<std::uint32_t>(frame.size() - 4 + n));
        close_batch();
        bytes_ += frame.size() + n;
        closed_.push_back(out_chunk{std::move(frame), nullptr, 0, 0, term()});
        closed_.push_back(out_chunk{{}, nullptr, 0, n, std::move(*payload)});
        return true;
      }
      if (psize >= own_frame_threshold) {
        std::vector<std::uint8_t> frame;
        frame.reserve(ctrl_end - start + psize);
        frame.insert(frame.end(), current_.begin() + static_cast<std::ptrdiff_t>(start), current_.end());
        current_.resize(start);
        std::size_t at = frame.size();
        frame.resize(at + psize);
        etf::encode_into(*payload, frame.data() + at, opts, !header);
        finish_header(frame, 0, header);
        close_batch();
        bytes_ += frame.size();
        closed_.push_back(out_chunk{std::move(frame), nullptr, 0, 0, term()});
        return true;
      }
      current_.resize(ctrl_end + psize);
      etf::encode_into(*payload, current_.data() + ctrl_end, opts, !header);
    }
    finish_header(current_, start, header);
    bytes_ += current_.size() - start;
    if (current_.size() >= batch_limit) close_batch();
    return true;
  }

  /// A tick: an empty frame.
  void add_tick() {
    current_.insert(current_.end(), 4, 0);
    bytes_ += 4;
  }

  [[nodiscard]] bool empty() const noexcept { return bytes_ == 0; }
  [[nodiscard]] std::size_t queued_bytes() const noexcept { return bytes_; }

  /// Moves everything queued to the end of `into`.
  void take(std::vector<out_chunk>& into) {
    close_batch();
    for (auto& c : closed_) into.push_back(std::move(c));
    closed_.clear();
    bytes_ = 0;
  }

  /// Drops everything queued (the connection is gone).
  void clear() {
    current_.clear();
    closed_.clear();
    bytes_ = 0;
  }

  /// Gives a written batch buffer back for reuse.
  void recycle(std::vector<std::uint8_t>&& buffer) {
    if (buffer.capacity() >= 4096 && buffer.capacity() <= 4 * batch_limit && spare_.size() < 4) {
      buffer.clear();
      spare_.push_back(std::move(buffer));
    }
  }

 private:
  static void store32(std::uint8_t* p, std::uint32_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
  }
  static void finish_header(std::vector<std::uint8_t>& buf, std::size_t start, bool header) {
    store32(buf.data() + start, static_cast<std::uint32_t>(buf.size() - start - 4));
    if (header) {
      buf[start + 4] = 131;
      buf[start + 5] = 68;
      buf[start + 6] = 0;  // NumberOfAtomCacheRefs
    } else {
      buf[start + 4] = 112;
      buf[start + 5] = 131;
    }
  }
  static void put64(std::vector<std::uint8_t>& out, std::uint64_t v) {
    for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
  }

  void close_batch() {
    if (current_.empty()) return;
    closed_.push_back(out_chunk{std::move(current_), nullptr, 0, 0, term()});
    if (!spare_.empty()) {
      current_ = std::move(spare_.back());
      spare_.pop_back();
    } else {
      current_ = std::vector<std::uint8_t>();
      current_.reserve(64 * 1024);
    }
  }

  // The control message and the start of the payload go in the first fragment (131 69,
  // no atom cache references), the rest of the payload in 131 70 fragments; FragmentId
  // counts down to 1.
  void add_fragments(const std::vector<std::uint8_t>& ctrl, std::shared_ptr<std::vector<std::uint8_t>> body) {
    close_batch();
    std::size_t first = fragment_size_ > ctrl.size() ? fragment_size_ - ctrl.size() : 1;
    if (first > body->size()) first = body->size();
    std::size_t rest = body->size() - first;
    std::uint64_t count = 1 + (rest + fragment_size_ - 1) / fragment_size_;
    std::uint64_t seq = ++next_sequence_;
    std::shared_ptr<const std::vector<std::uint8_t>> shared = std::move(body);
    std::vector<std::uint8_t> head;
    head.resize(4);
    head.push_back(131);
    head.push_back(69);
    put64(head, seq);
    put64(head, count);
    head.push_back(0);  // NumberOfAtomCacheRefs
    head.insert(head.end(), ctrl.begin(), ctrl.end());
    store32(head.data(), static_cast<std::uint32_t>(head.size() - 4 + first));
    bytes_ += head.size() + first;
    closed_.push_back(out_chunk{std::move(head), nullptr, 0, 0, term()});
    if (first) closed_.push_back(out_chunk{{}, shared, 0, first, term()});
    std::size_t off = first;
    for (std::uint64_t id = count - 1; id >= 1; --id) {
      std::size_t k = std::min(fragment_size_, shared->size() - off);
      std::vector<std::uint8_t> h;
      h.reserve(22);
      h.resize(4);
      h.push_back(131);
      h.push_back(70);
      put64(h, seq);
      put64(h, id);
      store32(h.data(), static_cast<std::uint32_t>(h.size() - 4 + k));
      bytes_ += h.size() + k;
      closed_.push_back(out_chunk{std::move(h), nullptr, 0, 0, term()});
      closed_.push_back(out_chunk{{}, shared, off, k, term()});
      off += k;
    }
  }

  std::uint64_t flags_ = 0;
  std::shared_ptr<const etf::closure_rewriter> rewriter_;
  std::size_t fragment_size_ = 256 * 1024;
  std::uint64_t next_sequence_ = 0;
  std::vector<std::uint8_t> current_;
  std::vector<out_chunk> closed_;
  std::vector<std::vector<std::uint8_t>> spare_;
  std::size_t bytes_ = 0;
};

}  // namespace otpp::dist::detail
