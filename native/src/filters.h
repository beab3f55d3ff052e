// Cheap pre-filters for the scan: a word-at-a-time hash of ASCII-case-folded
// bytes and a blocked bit set over such hashes. They only ever reject
// candidates that cannot match; whatever passes is checked exactly by the
// tables (tables.h), so a false positive costs time, never a wrong hit.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace iochunt {

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// The n < 8 bytes at p as a little-endian word (upper bytes zero), reading
// only inside [lo, hi).
inline uint64_t LoadTail(const uint8_t* p, size_t n, const uint8_t* lo, const uint8_t* hi) {
  if (n == 0) return 0;
  if (p + 8 <= hi) return Load64(p) & (~uint64_t{0} >> (64 - 8 * n));
  if (p + n >= lo + 8) return Load64(p + n - 8) >> (64 - 8 * n);
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

// A hash of p[0, n) with every byte OR 0x20: bytes equal under ASCII case
// folding (Lower) hash equally (the OR merges more, which a filter allows).
// Reads only inside [lo, hi), which must contain [p, p + n).
inline uint64_t FoldHash(const uint8_t* p, size_t n, const uint8_t* lo, const uint8_t* hi) {
  constexpr uint64_t kFold = 0x2020202020202020ULL;
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ULL;
  uint64_t h = (n + 1) * 0xC2B2AE3D27D4EB4FULL;
  if (n > 8 && n <= 16) {
    // Two overlapping words (most host names and last-two-label tails).
    h = (h ^ (Load64(p) | kFold)) * kMul;
    h ^= h >> 31;
    h = (h ^ (Load64(p + n - 8) | kFold)) * kMul;
    h ^= h >> 31;
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 32);
  }
  while (n >= 8) {
    h = (h ^ (Load64(p) | kFold)) * kMul;
    h ^= h >> 31;
    p += 8;
    n -= 8;
  }
  if (n) {
    uint64_t t = LoadTail(p, n, lo, hi) | (kFold >> (64 - 8 * n));
    h = (h ^ t) * kMul;
    h ^= h >> 31;
  }
  h *= 0xff51afd7ed558ccdULL;
  return h ^ (h >> 32);
}

inline uint64_t FoldHash(const std::string& s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  return FoldHash(p, s.size(), p, p + s.size());
}

// A blocked Bloom filter: two bits in one 64-bit word per hash, about 16 bits
// per key.
class HashBits {
 public:
  void Init(size_t keys) {
    size_t words = 64;
    while (words * 64 < keys * 16) words <<= 1;
    words_.assign(words, 0);
    shift_ = 64;
    for (size_t w = words; w > 1; w >>= 1) shift_--;
  }
  void Add(uint64_t h) { words_[h >> shift_] |= Bits(h); }
  bool MayContain(uint64_t h) const {
    uint64_t b = Bits(h);
    return (words_[h >> shift_] & b) == b;
  }
  bool empty() const { return words_.empty(); }
  size_t MemoryBytes() const { return words_.size() * 8; }

 private:
  static uint64_t Bits(uint64_t h) { return (uint64_t{1} << (h & 63)) | (uint64_t{1} << ((h >> 6) & 63)); }
  std::vector<uint64_t> words_;
  unsigned shift_ = 64;
};

}  // namespace iochunt
