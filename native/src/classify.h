// One pass over a buffer that classifies every byte into bit masks ("planes",
// one bit array per class, 64 bytes to a word: bit i of word w is byte 64w + i): the scan's passes then find
// dots, colons, runs and hex blocks with bit operations instead of walking
// bytes. AVX-512BW or AVX2 where the CPU has it (checked at run time), plain
// C++ elsewhere; all produce the same masks (test/native-matcher.test.ts
// compares them).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace iochunt {

struct Masks64 {
  uint64_t run;    // domain-run bytes: [A-Za-z0-9_-], '.', >= 0x80 (kRun)
  uint64_t dot;    // '.'
  uint64_t split;  // '-' and >= 0x80 (kSplit)
  uint64_t colon;  // ':'
  uint64_t hex;    // [0-9A-Fa-f]
};

// The planes. Each is its own bit array, so that the bits from any byte on
// can be read with one unaligned load (Bits).
enum Plane : unsigned { kPlaneRun, kPlaneDot, kPlaneSplit, kPlaneColon, kPlaneHex, kPlanes };

inline uint64_t LoadBits(const uint64_t* plane, size_t byte) {
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "bit planes are read as little-endian words");
  uint64_t v;
  std::memcpy(&v, reinterpret_cast<const uint8_t*>(plane) + byte, 8);
  return v;
}

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
  // len / 64 + 1, so a walk to the first clear run bit always stops.
  // Returns true when buf holds a '%', '\\' or 0xef byte (an escape or a BOM
  // may start there; without one, DecodedView::Decode changes nothing).
  bool Classify(const uint8_t* buf, size_t len);

  size_t words() const { return words_; }
  // Word w of plane P (bytes 64w to 64w + 63).
  template <unsigned P>
  uint64_t Word(size_t w) const {
    return plane(P)[w];
  }

  // Classes as sets of planes: the union of their bits.
  static constexpr unsigned kRunSet = 1u << kPlaneRun;
  // IPv6 bytes: hex, ':' and '.' (kV6).
  static constexpr unsigned kV6Set = (1u << kPlaneHex) | (1u << kPlaneColon) | (1u << kPlaneDot);
  template <unsigned Set>
  uint64_t Union(size_t w) const {
    uint64_t x = 0;
    for (unsigned p = 0; p < kPlanes; p++)
      if (Set & (1u << p)) x |= plane(p)[w];
    return x;
  }

  // The first byte of the maximal run of class bytes ending before i (i when
  // the byte before i is not in the class).
  template <unsigned Set>
  size_t Start(size_t i) const {
    size_t w = i >> 6;
    uint64_t x = ~Union<Set>(w) & ((uint64_t{1} << (i & 63)) - 1);
    while (!x) {
      if (w == 0) return 0;
      x = ~Union<Set>(--w);
    }
    return (w << 6) + 64 - static_cast<size_t>(__builtin_clzll(x));
  }
  // The first byte at or after i that is not in the class (at most len).
  template <unsigned Set>
  size_t End(size_t i) const {
    size_t w = i >> 6;
    uint64_t x = ~Union<Set>(w) & (~uint64_t{0} << (i & 63));
    while (!x) x = ~Union<Set>(++w);
    return (w << 6) + static_cast<size_t>(__builtin_ctzll(x));
  }
  // Start and End for the run bytes, from the run plane: one load covers the
  // 56 bytes before i (or the 57 from i), the word walk does longer runs.
  size_t RunStart(size_t i) const {
    const uint64_t* run = plane(kPlaneRun);
    // Bit k of y: byte 8 * (i / 8 - 7) + k (the guard word before the plane
    // reads as non-run bytes before byte 0).
    uint64_t y = LoadBits(run - 1, (i >> 3) + 1);
    unsigned before = 56 + static_cast<unsigned>(i & 7);  // bytes of y before i
    uint64_t x = ~y & ((uint64_t{1} << before) - 1);
    if (x) return i + 64 - static_cast<size_t>(__builtin_clzll(x)) - before;
    return Start<kRunSet>(i);
  }
  size_t RunEnd(size_t i) const {
    uint64_t x = ~LoadBits(plane(kPlaneRun), i >> 3) >> (i & 7);
    if (x) return i + static_cast<size_t>(__builtin_ctzll(x));
    return End<kRunSet>(i);
  }
  // Plane P from byte a on: bit k is byte a + k, for k < 57 (the bits above
  // may be zero). Zero past the end of the buffer.
  template <unsigned P>
  uint64_t Bits(size_t a) const {
    return LoadBits(plane(P), a >> 3) >> (a & 7);
  }

  // True when [a, z) holds "::".
  bool HasColonPair(size_t a, size_t z) const {
    if (z < a + 2) return false;
    for (size_t w = a >> 6; (w << 6) < z - 1; w++) {
      uint64_t x = Word<kPlaneColon>(w);
      uint64_t next = Word<kPlaneColon>(w + 1);  // zero past the end
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
    uint64_t x = Word<kPlaneDot>(w) & (~uint64_t{0} >> (63 - ((z - 1) & 63)));
    for (;;) {
      if (x) {
        size_t j = (w << 6) + 63 - static_cast<size_t>(__builtin_clzll(x));
        return j >= a ? j : SIZE_MAX;
      }
      if (w == 0 || (w << 6) <= a) return SIZE_MAX;
      x = Word<kPlaneDot>(--w);
    }
  }
  // True when plane P has at least n >= 1 set bits in [a, z) (n small: this
  // clears bits one by one, which beats a popcount call where the CPU
  // baseline has no popcnt instruction).
  template <unsigned P>
  bool AtLeast(size_t a, size_t z, unsigned n) const {
    if (z <= a) return false;
    size_t wa = a >> 6, wz = (z - 1) >> 6;
    uint64_t first = ~uint64_t{0} << (a & 63);
    uint64_t last = ~uint64_t{0} >> (63 - ((z - 1) & 63));
    if (wa == wz) return AtLeastBits(Word<P>(wa) & first & last, n);
    uint64_t x = Word<P>(wa) & first;
    for (size_t w = wa + 1;; w++) {
      for (; x; x &= x - 1)
        if (--n == 0) return true;
      if (w > wz) return false;
      x = Word<P>(w);
      if (w == wz) x &= last;
    }
  }
  template <unsigned P>
  bool Any(size_t a, size_t z) const {
    return AtLeast<P>(a, z, 1);
  }

  // True when this process classifies with AVX-512BW or AVX2 (false on other
  // CPUs, other architectures, or when IOCHUNT_NATIVE_SIMD=0 was set when the
  // addon loaded; IOCHUNT_NATIVE_SIMD=1 stops at AVX2).
  static bool UsesSimd();

 private:
  // Plane p: a zero guard word, words_ words, two zero words.
  const uint64_t* plane(unsigned p) const { return planes_.data() + p * stride_ + 1; }
  std::vector<uint64_t> planes_;
  size_t stride_ = 0;
  size_t words_ = 0;
};

}  // namespace iochunt
