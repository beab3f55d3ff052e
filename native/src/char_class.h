// Byte classes of the matching rules; the same table as src/engine/js/char-class.ts.
#pragma once
#include <array>
#include <cstdint>

namespace iochunt {

enum : uint8_t {
  kWord = 1,      // [A-Za-z0-9_]
  kDigit = 2,     // [0-9]
  kHex = 4,       // [0-9A-Fa-f]
  kDomain = 8,    // [A-Za-z0-9_-] and bytes >= 0x80
  kLocal = 16,    // e-mail local part: [A-Za-z0-9._%+-]
  kV6 = 32,       // hex, ':' and '.'
  kScheme = 64,   // [A-Za-z0-9+.-]
  kUrlStop = 128, // bytes that end a URL
};

// Second table: bytes of a domain run (kDomain or '.'), and the run bytes that
// are neither word bytes nor '.' ('-' and >= 0x80).
enum : uint8_t {
  kRun = 1,
  kSplit = 2,
};

constexpr bool IsUrlStopByte(unsigned c) {
  return c <= 0x20 || c == 0x7f || c == '"' || c == '\'' || c == '<' || c == '>' || c == '\\' || c == '^' ||
         c == '`' || c == '{' || c == '|' || c == '}';
}

constexpr std::array<uint8_t, 256> BuildClassTable() {
  std::array<uint8_t, 256> t{};
  for (unsigned c = 0; c < 256; c++) {
    uint8_t v = 0;
    bool upper = c >= 'A' && c <= 'Z';
    bool lower = c >= 'a' && c <= 'z';
    bool digit = c >= '0' && c <= '9';
    bool hexAlpha = (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
    if (upper || lower) v |= kWord | kDomain | kLocal | kScheme;
    if (digit) v |= kWord | kDigit | kHex | kDomain | kLocal | kV6 | kScheme;
    if (hexAlpha) v |= kHex | kV6;
    if (c == '_') v |= kWord | kDomain | kLocal;
    if (c == '-') v |= kDomain | kLocal | kScheme;
    if (c == '.') v |= kLocal | kV6 | kScheme;
    if (c == '%') v |= kLocal;
    if (c == '+') v |= kLocal | kScheme;
    if (c == ':') v |= kV6;
    if (c >= 0x80) v |= kDomain;
    if (IsUrlStopByte(c)) v |= kUrlStop;
    t[c] = v;
  }
  return t;
}

inline constexpr std::array<uint8_t, 256> kClass = BuildClassTable();

constexpr std::array<uint8_t, 256> BuildRunTable() {
  std::array<uint8_t, 256> t{};
  for (unsigned c = 0; c < 256; c++) {
    bool run = (kClass[c] & kDomain) || c == '.';
    bool split = c == '-' || c >= 0x80;
    t[c] = static_cast<uint8_t>((run ? kRun : 0) | (split ? kSplit : 0));
  }
  return t;
}

inline constexpr std::array<uint8_t, 256> kRunClass = BuildRunTable();

inline uint8_t Cls(uint8_t c) { return kClass[c]; }
inline uint8_t RunCls(uint8_t c) { return kRunClass[c]; }
inline uint8_t Lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c; }
inline bool IsAlpha(uint8_t c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

}  // namespace iochunt
