// One pass over a buffer that classifies every byte into bit masks, 64 bytes
// to a word (bit i of word w is byte 64w + i): the scan's passes then find
// dots, colons, runs and hex blocks with bit operations instead of walking
// bytes. AVX-512BW or AVX2 where the CPU has it (checked at run time), plain
// C++ elsewhere; all produce the same masks (test/native-matcher.test.ts
// compares them).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace iochunt {

struct Masks64 {
  uint64_t run;    // domain-run bytes: [A-Za-z0-9_-], '.', >= 0x80 (kRun)
  uint64_t dot;    // '.'
  uint64_t split;  // '-' and >= 0x80 (kSplit)
  uint64_t colon;  // ':'
  uint64_t hex;    // [0-9A-Fa-f]
};

// True when x has at least n >= 1 set bits (n small).
inline bool AtLeastBits(uint64_t x, unsigned n) {
  for (; n > 1 && x; n--) x &= x - 1;
  return x != 0;
}
inline bool AtLeast3Bits(uint64_t x) {
  x &= x - 1;
  x &= x - 1;
  return x != 0;
}

class ByteMasks {
 public:
  // Classifies buf[0, len). Words past the end are zero: words() is
  // len / 64 + 1, so a walk to the first clear run bit always stops, and one
  // more zero word follows (for Window).
  // Returns true when buf holds a '%', '\\' or 0xef byte (an escape or a BOM
  // may start there; without one, DecodedView::Decode changes nothing).
  bool Classify(const uint8_t* buf, size_t len);

  const Masks64* data() const { return m_.data(); }
  size_t words() const { return words_; }

  // The first byte of the maximal run of class bytes ending before i (i when
  // the byte before i is not in the class). `cls(word)` gives a word's class bits.
  template <typename F>
  size_t Start(size_t i, F cls) const {
    size_t w = i >> 6;
    uint64_t x = ~cls(m_[w]) & ((uint64_t{1} << (i & 63)) - 1);
    while (!x) {
      if (w == 0) return 0;
      x = ~cls(m_[--w]);
    }
    return (w << 6) + 64 - static_cast<size_t>(__builtin_clzll(x));
  }
  // The first byte at or after i that is not in the class (at most len).
  template <typename F>
  size_t End(size_t i, F cls) const {
    size_t w = i >> 6;
    uint64_t x = ~cls(m_[w]) & (~uint64_t{0} << (i & 63));
    while (!x) x = ~cls(m_[++w]);
    return (w << 6) + static_cast<size_t>(__builtin_ctzll(x));
  }
  static uint64_t Run(const Masks64& m) { return m.run; }
  // IPv6 bytes: hex, ':' and '.' (kV6).
  static uint64_t V6(const Masks64& m) { return m.hex | m.colon | m.dot; }
  size_t RunStart(size_t i) const { return Start(i, Run); }
  size_t RunEnd(size_t i) const { return End(i, Run); }

  // True when [a, z) holds "::".
  bool HasColonPair(size_t a, size_t z) const {
    if (z < a + 2) return false;
    for (size_t w = a >> 6; (w << 6) < z - 1; w++) {
      uint64_t x = m_[w].colon;
      uint64_t next = w + 1 < words_ ? m_[w + 1].colon : 0;
      uint64_t pair = x & ((x >> 1) | (next << 63));  // bit j: bytes j and j + 1 are ':'
      size_t base = w << 6;
      if (base < a) pair &= ~uint64_t{0} << (a - base);
      if (z - 1 - base < 64) pair &= (uint64_t{1} << (z - 1 - base)) - 1;
      if (pair) return true;
    }
    return false;
  }
  // The last dot in [a, z), or SIZE_MAX when there is none.
  size_t LastDot(size_t a, size_t z) const {
    if (z <= a) return SIZE_MAX;
    size_t w = (z - 1) >> 6;
    uint64_t x = m_[w].dot & (~uint64_t{0} >> (63 - ((z - 1) & 63)));
    for (;;) {
      if (x) {
        size_t j = (w << 6) + 63 - static_cast<size_t>(__builtin_clzll(x));
        return j >= a ? j : SIZE_MAX;
      }
      if (w == 0 || (w << 6) <= a) return SIZE_MAX;
      x = m_[--w].dot;
    }
  }
  // True when field F has at least n >= 1 set bits in [a, z) (n small: this
  // clears bits one by one, which beats a popcount call where the CPU
  // baseline has no popcnt instruction).
  template <uint64_t Masks64::*F>
  bool AtLeast(size_t a, size_t z, unsigned n) const {
    if (z <= a) return false;
    size_t wa = a >> 6, wz = (z - 1) >> 6;
    uint64_t first = ~uint64_t{0} << (a & 63);
    uint64_t last = ~uint64_t{0} >> (63 - ((z - 1) & 63));
    if (wa == wz) return AtLeastBits(m_[wa].*F & first & last, n);
    uint64_t x = m_[wa].*F & first;
    for (size_t w = wa + 1;; w++) {
      for (; x; x &= x - 1)
        if (--n == 0) return true;
      if (w > wz) return false;
      x = m_[w].*F;
      if (w == wz) x &= last;
    }
  }
  template <uint64_t Masks64::*F>
  bool Any(size_t a, size_t z) const {
    return AtLeast<F>(a, z, 1);
  }

  // Field F of the 64 bytes from a, as one word (bit i: byte a + i; zero
  // past the end of the buffer).
  template <uint64_t Masks64::*F>
  uint64_t Window(size_t a) const {
    size_t w = a >> 6;
    unsigned s = a & 63;
    uint64_t lo = m_[w].*F >> s;
    return s ? lo | (m_[w + 1].*F << (64 - s)) : lo;
  }
  // True when this process classifies with AVX-512BW or AVX2 (false on other
  // CPUs, other architectures, or when IOCHUNT_NATIVE_SIMD=0 was set when the
  // addon loaded; IOCHUNT_NATIVE_SIMD=1 stops at AVX2).
  static bool UsesSimd();

 private:
  std::vector<Masks64> m_;
  size_t words_ = 0;
};

}  // namespace iochunt
