// The decoded view that IP addresses, domain names, hashes and e-mail
// addresses are searched in; the same rules as src/engine/escapes.ts (which
// documents them): %XX is the byte 0xXX, \u00XX below U+0080 is that
// character, a "\\" pair never starts an escape, a UTF-8 BOM at the start of a
// line is dropped. Offsets in the view map back to the raw buffer through the
// list of escapes and dropped BOMs (8 bytes each).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace iochunt {

class DecodedView {
 public:
  // Decodes buf; returns false when decoding changes nothing (the view is then
  // empty). Buffers are kept between calls (one view per scanning thread), so
  // a scan allocates only when it needs more room than the last one.
  bool Decode(const uint8_t* buf, size_t len) {
    size_ = 0;
    marks_.clear();
    raw_ = buf;
    nextPct_ = nextBs_ = nextEf_ = kUnknown;
    // Nothing is copied until the first escape (most blocks without one have
    // a '%' or a '\\' somewhere that starts none).
    const size_t first = FirstChange(buf, len);
    if (first >= len) return false;
    if (bytes_.size() < len) bytes_.resize(len);
    uint8_t* out = bytes_.data();
    std::memcpy(out, buf, first);
    size_t n = first;
    size_t i = first;
    bool changed = false;
    while (i < len) {
      // Copy up to the next byte that may start something.
      size_t next = NextTrigger(buf, i, len);
      if (next > i) {
        std::memcpy(out + n, buf + i, next - i);
        n += next - i;
        i = next;
        if (i >= len) break;
      }
      uint8_t c = buf[i];
      if (c == 0xef) {
        bool lineStart = i == 0 || buf[i - 1] == '\n';
        if (lineStart && i + 2 < len && buf[i + 1] == 0xbb && buf[i + 2] == 0xbf) {
          marks_.push_back(Mark{U32(n), U32(i)});
          i += 3;
          changed = true;
          continue;
        }
      } else if (c == '%' && i + 2 < len) {
        int h = HexVal(buf[i + 1]), l = HexVal(buf[i + 2]);
        if (h >= 0 && l >= 0) {
          marks_.push_back(Mark{U32(n), U32(i)});
          out[n++] = static_cast<uint8_t>(h * 16 + l);
          i += 3;
          changed = true;
          continue;
        }
      } else if (c == '\\' && i + 1 < len) {
        if (buf[i + 1] == '\\') {
          out[n++] = c;
          out[n++] = c;
          i += 2;
          continue;
        }
        if (i + 5 < len && buf[i + 1] == 'u' && buf[i + 2] == '0' && buf[i + 3] == '0') {
          int h = HexVal(buf[i + 4]), l = HexVal(buf[i + 5]);
          if (h >= 0 && h < 8 && l >= 0) {
            marks_.push_back(Mark{U32(n), U32(i)});
            out[n++] = static_cast<uint8_t>(h * 16 + l);
            i += 6;
            changed = true;
            continue;
          }
        }
      }
      out[n++] = c;
      i++;
    }
    if (!changed) {
      marks_.clear();
      return false;
    }
    size_ = n;
    rawLen_ = len;
    // Do not keep a huge buffer for the next (ordinary) scan.
    if (bytes_.capacity() > kKeepBytes && len <= kKeepBytes) {
      std::vector<uint8_t>(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(n)).swap(bytes_);
    }
    if (marks_.capacity() * sizeof(Mark) > kKeepBytes && len <= kKeepBytes) std::vector<Mark>(marks_).swap(marks_);
    return true;
  }

  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return size_; }

  // Raw offset of view offset d (d == size() maps to the raw length).
  size_t Map(size_t d) const {
    if (d >= size_) return rawLen_;
    const Mark* m = Last(d);
    if (!m) return d;
    uint8_t kind = raw_[m->raw];
    if (kind == 0xef) return m->raw + 3 + (d - m->view);  // a dropped BOM
    if (d == m->view) return m->raw;
    return m->raw + (kind == '%' ? 3 : 6) + (d - m->view - 1);
  }

  // True when the view byte at d came from an escape.
  bool Escaped(size_t d) const {
    const Mark* m = Last(d);
    return m && m->view == d && raw_[m->raw] != 0xef;
  }

 private:
  // An escape (view byte `view` decoded from raw offset `raw`) or a dropped
  // BOM (raw offset of its first byte; `view` is that of the byte after it);
  // which one is told by the raw byte at `raw`: '%', '\\' or 0xef.
  struct Mark {
    uint32_t view, raw;
  };

  // The last mark at or before view offset d (the escape, when a BOM and an escape share it).
  const Mark* Last(size_t d) const {
    auto it = std::upper_bound(marks_.begin(), marks_.end(), d, [](size_t x, const Mark& m) { return x < m.view; });
    return it == marks_.begin() ? nullptr : &*(it - 1);
  }

  static uint32_t U32(size_t x) { return static_cast<uint32_t>(x); }

  static int HexVal(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    uint8_t l = c | 0x20;
    if (l >= 'a' && l <= 'f') return l - 'a' + 10;
    return -1;
  }

  // Offset of the first escape or line-start BOM (len when there is none),
  // walking backslash pairs as Decode does.
  size_t FirstChange(const uint8_t* buf, size_t len) {
    size_t i = 0;
    while (i < len) {
      size_t at = NextTrigger(buf, i, len);
      if (at >= len) return len;
      uint8_t c = buf[at];
      i = at + 1;
      if (c == 0xef) {
        if ((at == 0 || buf[at - 1] == '\n') && at + 2 < len && buf[at + 1] == 0xbb && buf[at + 2] == 0xbf) return at;
      } else if (c == '%') {
        if (at + 2 < len && HexVal(buf[at + 1]) >= 0 && HexVal(buf[at + 2]) >= 0) return at;
      } else if (at + 1 < len && buf[at + 1] == '\\') {
        i = at + 2;
      } else if (at + 5 < len && buf[at + 1] == 'u' && buf[at + 2] == '0' && buf[at + 3] == '0') {
        int h = HexVal(buf[at + 4]);
        if (h >= 0 && h < 8 && HexVal(buf[at + 5]) >= 0) return at;
      }
    }
    return len;
  }

  // Next '%', '\\' or 0xef at or after from; the three positions are cached
  // so that every byte is searched once per kind (no rescans).
  size_t NextTrigger(const uint8_t* buf, size_t from, size_t len) {
    auto next = [&](size_t& cached, int c) {
      if (cached != kUnknown && cached >= from) return cached;
      const void* p = std::memchr(buf + from, c, len - from);
      cached = p ? static_cast<size_t>(static_cast<const uint8_t*>(p) - buf) : len;
      return cached;
    };
    return std::min(next(nextPct_, '%'), std::min(next(nextBs_, '\\'), next(nextEf_, 0xef)));
  }

  static constexpr size_t kUnknown = ~size_t{0};
  static constexpr size_t kKeepBytes = size_t{8} << 20;
  size_t nextPct_ = kUnknown, nextBs_ = kUnknown, nextEf_ = kUnknown;
  std::vector<uint8_t> bytes_;
  size_t size_ = 0;
  std::vector<Mark> marks_;
  const uint8_t* raw_ = nullptr;
  size_t rawLen_ = 0;
};

}  // namespace iochunt
