// The native matcher. Each Scan* function mirrors the method of the same name
// in src/engine/js/js-engine.ts; the differential tests hold them together.
#include "matcher.h"

#include <algorithm>
#include <cstring>

#include "char_class.h"
#include "ip_parse.h"
#include "url.h"

namespace iochunt {

namespace {

inline bool IsMappedV4(const uint8_t* b) {
  for (int i = 0; i < 10; i++)
    if (b[i] != 0) return false;
  return b[10] == 0xff && b[11] == 0xff;
}

inline bool IsUrlTrail(uint8_t c) {
  return c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == ')' || c == ']';
}

void BuildKeys(StringTable& table, const KeyInput& in, bool fold, bool reverse) {
  table.Build(in.keys, in.ids, fold, reverse);
}

}  // namespace

struct Matcher::ScanState {
  const uint8_t* buf;
  std::vector<Hit>* hits;
  uint32_t lineStart;
  std::string url;
  std::string key;
  UrlParts parts;

  void Emit(size_t a, size_t b, uint32_t id) {
    hits->push_back(Hit{lineStart, static_cast<uint32_t>(a), static_cast<uint32_t>(b), id});
  }
};

Matcher::Matcher(const MatcherInput& in) : subdomains_(in.subdomains) {
  for (size_t i = 0; i < in.v4.ids.size(); i++) {
    const uint8_t* bytes = in.v4.bytes.data() + i * 4;
    if (in.v4.prefix[i] == 32) v4Exact_.Insert(bytes, in.v4.ids[i]);
    else v4Trie_.Insert(bytes, in.v4.prefix[i], in.v4.ids[i]);
  }
  v4Exact_.Finish();
  for (size_t i = 0; i < in.v6.ids.size(); i++) {
    const uint8_t* bytes = in.v6.bytes.data() + i * 16;
    if (in.v6.prefix[i] == 128) v6Exact_.Insert(bytes, in.v6.ids[i]);
    else v6Trie_.Insert(bytes, in.v6.prefix[i], in.v6.ids[i]);
  }
  v6Exact_.Finish();
  hasIp_ = !in.v4.ids.empty() || !in.v6.ids.empty();
  BuildKeys(domains_, in.domains, true, true);
  BuildKeys(hashes_, in.hashes, true, false);
  BuildKeys(emails_, in.emails, true, false);
  BuildKeys(urls_, in.urls, false, false);
  BuildKeys(urlsSchemeless_, in.urlsSchemeless, false, false);
  KeyInput tlds;
  for (const auto& k : in.domains.keys) {
    size_t dot = k.rfind('.');
    tlds.keys.push_back(dot == std::string::npos ? k : k.substr(dot + 1));
    tlds.ids.push_back(0);
  }
  tlds_.Build(tlds.keys, tlds.ids, true, false);
}

size_t Matcher::MemoryBytes() const {
  return v4Exact_.MemoryBytes() + v6Exact_.MemoryBytes() + v4Trie_.MemoryBytes() + v6Trie_.MemoryBytes() +
         domains_.MemoryBytes() + hashes_.MemoryBytes() + emails_.MemoryBytes() + urls_.MemoryBytes() +
         urlsSchemeless_.MemoryBytes() + tlds_.MemoryBytes();
}

void Matcher::Scan(const uint8_t* buf, size_t len, std::vector<Hit>& out) const {
  ScanState st;
  st.buf = buf;
  st.hits = &out;
  size_t first = out.size();
  size_t s = 0;
  while (s < len) {
    const void* nl = std::memchr(buf + s, '\n', len - s);
    size_t e = nl ? static_cast<size_t>(static_cast<const uint8_t*>(nl) - buf) : len;
    st.lineStart = static_cast<uint32_t>(s);
    ScanLine(st, s, e);
    s = e + 1;
  }
  auto begin = out.begin() + static_cast<std::ptrdiff_t>(first);
  auto less = [](const Hit& x, const Hit& y) {
    if (x.line != y.line) return x.line < y.line;
    if (x.start != y.start) return x.start < y.start;
    if (x.end != y.end) return x.end < y.end;
    return x.id < y.id;
  };
  auto same = [](const Hit& x, const Hit& y) {
    return x.line == y.line && x.start == y.start && x.end == y.end && x.id == y.id;
  };
  std::sort(begin, out.end(), less);
  out.erase(std::unique(begin, out.end(), same), out.end());
}

void Matcher::ScanLine(ScanState& st, size_t s, size_t e) const {
  if (hasIp_) {
    ScanIpv4(st, s, e);
    ScanIpv6(st, s, e);
  }
  if (!domains_.empty()) ScanDomains(st, s, e);
  if (!hashes_.empty()) ScanHashes(st, s, e);
  if (!emails_.empty()) ScanEmails(st, s, e);
  if (!urls_.empty() || !urlsSchemeless_.empty()) ScanUrls(st, s, e);
}

void Matcher::LookupV4(ScanState& st, uint32_t addr, size_t a, size_t b) const {
  uint8_t bytes[4] = {static_cast<uint8_t>(addr >> 24), static_cast<uint8_t>(addr >> 16),
                      static_cast<uint8_t>(addr >> 8), static_cast<uint8_t>(addr)};
  int64_t exact = v4Exact_.Find(bytes);
  if (exact >= 0) st.Emit(a, b, static_cast<uint32_t>(exact));
  if (!v4Trie_.empty()) v4Trie_.Lookup(bytes, 32, [&](uint32_t id) { st.Emit(a, b, id); });
}

void Matcher::LookupV6(ScanState& st, const uint8_t bytes[16], size_t a, size_t b) const {
  if (IsMappedV4(bytes)) {
    uint32_t addr = (uint32_t(bytes[12]) << 24) | (uint32_t(bytes[13]) << 16) | (uint32_t(bytes[14]) << 8) | bytes[15];
    LookupV4(st, addr, a, b);
    return;
  }
  int64_t exact = v6Exact_.Find(bytes);
  if (exact >= 0) st.Emit(a, b, static_cast<uint32_t>(exact));
  if (!v6Trie_.empty()) v6Trie_.Lookup(bytes, 128, [&](uint32_t id) { st.Emit(a, b, id); });
}

void Matcher::ScanIpv4(ScanState& st, size_t s, size_t e) const {
  const uint8_t* buf = st.buf;
  for (size_t p = s; p < e; p++) {
    if (!(Cls(buf[p]) & kDigit)) continue;
    if (p > s && ((Cls(buf[p - 1]) & kWord) || buf[p - 1] == '.')) continue;
    uint32_t addr;
    size_t end = ParseDottedQuad(buf, p, e, &addr);
    if (end == kNoParse) continue;
    if (end < e) {
      uint8_t c = buf[end];
      if (Cls(c) & kWord) continue;
      if (c == '.' && end + 1 < e && (Cls(buf[end + 1]) & kWord)) continue;
    }
    LookupV4(st, addr, p, end);
    p = end - 1;
  }
}

void Matcher::ScanIpv6(ScanState& st, size_t s, size_t e) const {
  const uint8_t* buf = st.buf;
  uint8_t v6[16];
  for (size_t p = s; p < e; p++) {
    if (!(Cls(buf[p]) & kHex) && buf[p] != ':') continue;
    if (p > s) {
      uint8_t prev = buf[p - 1];
      if ((Cls(prev) & kWord) || prev == ':' || prev == '.') continue;
    }
    size_t a = p;
    size_t r = p;
    int colons = 0;
    while (r < e && (Cls(buf[r]) & kV6)) {
      if (buf[r] == ':') colons++;
      r++;
    }
    p = r - 1;
    if (colons < 2) continue;
    size_t bound = r;
    if (bound < e && buf[bound] == '%') {
      bound++;
      while (bound < e && ((Cls(buf[bound]) & kWord) || buf[bound] == '-')) bound++;
    }
    if (bound < e && (Cls(buf[bound]) & kWord)) continue;
    size_t end = r;
    bool ok = ParseIpv6(buf, a, end, v6);
    if (!ok && buf[end - 1] == '.') {
      end--;
      ok = ParseIpv6(buf, a, end, v6);
    }
    if (!ok && buf[end - 1] == ':' && buf[end - 2] != ':') {
      end--;
      ok = ParseIpv6(buf, a, end, v6);
    }
    if (ok) LookupV6(st, v6, a, end);
  }
}

void Matcher::ScanDomains(ScanState& st, size_t s, size_t e) const {
  const uint8_t* buf = st.buf;
  for (size_t p = s; p < e; p++) {
    if (!(Cls(buf[p]) & kDomain) && buf[p] != '.') continue;
    size_t r = p;
    while (r < e && ((Cls(buf[r]) & kDomain) || buf[r] == '.')) r++;
    size_t a = p;
    size_t z = r;
    p = r - 1;
    while (a < z && buf[a] == '.') a++;
    while (z > a && buf[z - 1] == '.') z--;
    if (z == a) continue;
    const void* lastDotP = nullptr;
    for (size_t k = z; k > a; k--) {
      if (buf[k - 1] == '.') {
        lastDotP = buf + k - 1;
        break;
      }
    }
    if (!lastDotP) continue;
    size_t tldStart = static_cast<size_t>(static_cast<const uint8_t*>(lastDotP) - buf) + 1;
    if (tlds_.FindBytes(buf + tldStart, z - tldStart) < 0) continue;
    if (!subdomains_) {
      int64_t id = domains_.FindBytes(buf + a, z - a);
      if (id >= 0) st.Emit(a, z, static_cast<uint32_t>(id));
      continue;
    }
    uint64_t h = kFnvOffset;
    for (size_t i = z; i > a; i--) {
      h = (h ^ Lower(buf[i - 1])) * kFnvPrime;
      size_t k = i - 1;
      if (k == a || buf[k - 1] == '.') {
        size_t n = z - k;
        int64_t id = domains_.Find(Mix64(h ^ n), buf + k, n);
        if (id >= 0) st.Emit(a, z, static_cast<uint32_t>(id));
      }
    }
  }
}

void Matcher::ScanHashes(ScanState& st, size_t s, size_t e) const {
  const uint8_t* buf = st.buf;
  for (size_t p = s; p < e; p++) {
    if (!(Cls(buf[p]) & kWord)) continue;
    size_t r = p;
    bool allHex = true;
    while (r < e && (Cls(buf[r]) & kWord)) {
      if (!(Cls(buf[r]) & kHex)) allHex = false;
      r++;
    }
    size_t a = p;
    p = r - 1;
    size_t n = r - a;
    if (!allHex || (n != 32 && n != 40 && n != 64 && n != 128)) continue;
    int64_t id = hashes_.FindBytes(buf + a, n);
    if (id >= 0) st.Emit(a, r, static_cast<uint32_t>(id));
  }
}

void Matcher::ScanEmails(ScanState& st, size_t s, size_t e) const {
  const uint8_t* buf = st.buf;
  size_t from = s;
  while (from < e) {
    const void* hit = std::memchr(buf + from, '@', e - from);
    if (!hit) return;
    size_t q = static_cast<size_t>(static_cast<const uint8_t*>(hit) - buf);
    from = q + 1;
    size_t a = q;
    while (a > s && (Cls(buf[a - 1]) & kLocal)) a--;
    while (a < q && buf[a] == '.') a++;
    if (a == q) continue;
    size_t z = q + 1;
    while (z < e && ((Cls(buf[z]) & kDomain) || buf[z] == '.')) z++;
    while (z > q + 1 && buf[z - 1] == '.') z--;
    if (!std::memchr(buf + q + 1, '.', z - (q + 1))) continue;
    int64_t id = emails_.FindBytes(buf + a, z - a);
    if (id >= 0) st.Emit(a, z, static_cast<uint32_t>(id));
  }
}

bool Matcher::MatchUrl(ScanState& st, const std::string& url, size_t a, size_t z) const {
  UrlParts& parts = st.parts;
  if (!SplitUrl(url, parts)) return false;
  size_t before = st.hits->size();
  auto look = [&](const std::string& pathQuery) {
    if (!urls_.empty()) {
      FullKey(parts, pathQuery, st.key);
      int64_t id = urls_.FindBytes(reinterpret_cast<const uint8_t*>(st.key.data()), st.key.size());
      if (id >= 0) st.Emit(a, z, static_cast<uint32_t>(id));
    }
    if (!urlsSchemeless_.empty()) {
      SchemelessKey(parts, pathQuery, st.key);
      int64_t id = urlsSchemeless_.FindBytes(reinterpret_cast<const uint8_t*>(st.key.data()), st.key.size());
      if (id >= 0) st.Emit(a, z, static_cast<uint32_t>(id));
    }
  };
  look(parts.pathQuery);
  size_t qm = parts.pathQuery.find('?');
  if (qm != std::string::npos) look(parts.pathQuery.substr(0, qm));
  return st.hits->size() > before;
}

void Matcher::ScanUrls(ScanState& st, size_t s, size_t e) const {
  const uint8_t* buf = st.buf;
  size_t from = s;
  while (from < e) {
    const void* hit = std::memchr(buf + from, ':', e - from);
    if (!hit) return;
    size_t q = static_cast<size_t>(static_cast<const uint8_t*>(hit) - buf);
    from = q + 1;
    size_t bodyStart;
    if (q + 2 < e && buf[q + 1] == '/' && buf[q + 2] == '/') bodyStart = q + 3;
    else if (q + 4 < e && buf[q + 1] == '\\' && buf[q + 2] == '/' && buf[q + 3] == '\\' && buf[q + 4] == '/')
      bodyStart = q + 5;
    else continue;
    size_t a = q;
    while (a > s && (Cls(buf[a - 1]) & kScheme)) a--;
    while (a < q && !IsAlpha(buf[a])) a++;
    if (a == q) continue;
    std::string& url = st.url;
    url.assign(reinterpret_cast<const char*>(buf + a), q - a);
    url += "://";
    size_t z = bodyStart;
    while (z < e) {
      uint8_t c = buf[z];
      if (c == '\\' && z + 1 < e && buf[z + 1] == '/') {
        url += '/';
        z += 2;
        continue;
      }
      if (Cls(c) & kUrlStop) break;
      url += static_cast<char>(c);
      z++;
    }
    size_t minLen = q - a + 3;
    size_t trimmed = url.size();
    while (trimmed > minLen && IsUrlTrail(static_cast<uint8_t>(url[trimmed - 1]))) trimmed--;
    std::string candidate;
    for (size_t n = trimmed; n <= url.size(); n++) {
      candidate.assign(url, 0, n);
      if (MatchUrl(st, candidate, a, z - (url.size() - n))) break;
    }
  }
}

}  // namespace iochunt
