// Strict IPv4/IPv6 parsing (inet_pton rules), mirroring src/engine/js/ip-parse.ts.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "char_class.h"

namespace iochunt {

constexpr size_t kNoParse = static_cast<size_t>(-1);

// Four dotted decimal octets from p, not reading at or past limit. Returns the end
// (exclusive) and writes the address, or kNoParse. Does not look at what follows.
// Octets are 1-3 digits, without a leading zero, at most 255, and not followed by
// a fourth digit.
inline size_t ParseDottedQuad(const uint8_t* buf, size_t p, size_t limit, uint32_t* out) {
  size_t pos = p;
  uint32_t value = 0;
  auto digit = [&](size_t i) -> unsigned { return i < limit ? static_cast<unsigned>(buf[i]) - '0' : 10u; };
  for (int octet = 0; octet < 4; octet++) {
    unsigned v = digit(pos);
    if (v > 9) return kNoParse;
    pos++;
    unsigned d = digit(pos);
    if (d <= 9) {
      if (v == 0) return kNoParse;
      v = v * 10 + d;
      pos++;
      d = digit(pos);
      if (d <= 9) {
        v = v * 10 + d;
        pos++;
        if (v > 255 || digit(pos) <= 9) return kNoParse;
      }
    }
    value = (value << 8) | v;
    if (octet < 3) {
      if (pos < limit && buf[pos] == '.') pos++;
      else return kNoParse;
    }
  }
  *out = value;
  return pos;
}

#if defined(__SSE2__)
// ParseDottedQuad on 16 bytes at once, for when buf[p, p + 16) is readable
// (len is the buffer's length): the same answers, from digit and dot bit masks.
inline size_t ParseDottedQuad16(const uint8_t* buf, size_t p, size_t limit, size_t len, uint32_t* out) {
  if (p + 16 > len) return ParseDottedQuad(buf, p, limit, out);
  __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(buf + p));
  __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
  const size_t room = limit - p;
  const uint32_t inLimit = room >= 16 ? 0xffffu : (1u << room) - 1;
  // Bit i: byte p + i is a digit / a dot (only before limit).
  uint32_t digits = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d))) & inLimit;
  uint32_t dots = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('.')))) & inLimit;
  uint32_t value = 0;
  unsigned at = 0;
  for (int octet = 0; octet < 4; octet++) {
    // Digits from `at`: 1 to 3 of them, and no fourth.
    unsigned n = static_cast<unsigned>(__builtin_ctz(~(digits >> at)));
    if (n == 0 || n > 3) return kNoParse;
    const uint8_t* q = buf + p + at;
    unsigned o = q[0] - '0';
    if (n > 1) {
      if (o == 0) return kNoParse;
      o = o * 10 + (q[1] - '0');
      if (n > 2) {
        o = o * 10 + (q[2] - '0');
        if (o > 255) return kNoParse;
      }
    }
    value = (value << 8) | o;
    at += n;
    if (octet < 3) {
      if (!((dots >> at) & 1)) return kNoParse;
      at++;
    }
  }
  *out = value;
  return p + at;
}
#else
inline size_t ParseDottedQuad16(const uint8_t* buf, size_t p, size_t limit, size_t, uint32_t* out) {
  return ParseDottedQuad(buf, p, limit, out);
}
#endif

inline int HexVal(uint8_t c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

// Parses buf[a, b) as one complete IPv6 address into out[16].
inline bool ParseIpv6(const uint8_t* buf, size_t a, size_t b, uint8_t out[16]) {
  uint16_t groups[10];
  int ngroups = 0;
  int dbl = -1;
  size_t i = a;
  if (b - a < 2) return false;
  if (buf[i] == ':') {
    if (buf[i + 1] != ':') return false;
    dbl = 0;
    i += 2;
    if (i == b) {
      std::memset(out, 0, 16);
      return true;
    }
  }
  bool tail = false;
  uint32_t tailV4 = 0;
  for (;;) {
    size_t start = i;
    uint32_t v = 0;
    while (i < b && i - start < 4 && (Cls(buf[i]) & kHex)) {
      v = v * 16 + HexVal(buf[i]);
      i++;
    }
    if (i < b && buf[i] == '.') {
      if (ParseDottedQuad(buf, start, b, &tailV4) != b) return false;
      tail = true;
      break;
    }
    if (i == start) return false;
    if (i < b && (Cls(buf[i]) & kHex)) return false;
    groups[ngroups++] = static_cast<uint16_t>(v);
    if (ngroups > 8) return false;
    if (i == b) break;
    if (buf[i] != ':') return false;
    i++;
    if (i < b && buf[i] == ':') {
      if (dbl >= 0) return false;
      dbl = ngroups;
      i++;
      if (i == b) break;
    } else if (i == b) {
      return false;
    }
  }
  uint16_t words[10];
  int nwords = 0;
  for (int k = 0; k < ngroups; k++) words[nwords++] = groups[k];
  if (tail) {
    words[nwords++] = static_cast<uint16_t>(tailV4 >> 16);
    words[nwords++] = static_cast<uint16_t>(tailV4 & 0xffff);
  }
  uint16_t full[8];
  if (dbl < 0) {
    if (nwords != 8) return false;
    for (int k = 0; k < 8; k++) full[k] = words[k];
  } else {
    if (nwords > 7) return false;
    int zeros = 8 - nwords;
    int k = 0;
    for (int j = 0; j < dbl; j++) full[k++] = words[j];
    for (int j = 0; j < zeros; j++) full[k++] = 0;
    for (int j = dbl; j < nwords; j++) full[k++] = words[j];
  }
  for (int k = 0; k < 8; k++) {
    out[k * 2] = static_cast<uint8_t>(full[k] >> 8);
    out[k * 2 + 1] = static_cast<uint8_t>(full[k] & 0xff);
  }
  return true;
}

}  // namespace iochunt
