// The native matcher. Each Scan* function mirrors the method of the same name
// in src/engine/js/js-engine.ts; the differential tests hold them together.
#include "matcher.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "char_class.h"
#include "classify.h"
#include "escapes.h"
#include "filters.h"
#include "ip_parse.h"
#include "url.h"

namespace iochunt {

namespace {

inline bool IsMappedV4(const uint8_t* b) {
  for (int i = 0; i < 10; i++)
    if (b[i] != 0) return false;
  return b[10] == 0xff && b[11] == 0xff;
}

// Bytes that end a URL's authority (HostMayMatch), and '@' and ':' in it.
enum : uint8_t { kAuthEnd = 1, kAuthAt = 2, kAuthColon = 3 };

constexpr std::array<uint8_t, 256> BuildAuthorityClass() {
  std::array<uint8_t, 256> t{};
  for (unsigned c = 0; c < 256; c++) {
    if (c == '/' || c == '?' || c == '#' || (kClass[c] & kUrlStop)) t[c] = kAuthEnd;
    else if (c == '@') t[c] = kAuthAt;
    else if (c == ':') t[c] = kAuthColon;
  }
  return t;
}

constexpr std::array<uint8_t, 256> kAuthorityClass = BuildAuthorityClass();

// The last byte c in p[0, n), or null (memrchr where the C library has it).
inline const uint8_t* LastByte(const uint8_t* p, size_t n, uint8_t c) {
#if defined(__GLIBC__)
  return static_cast<const uint8_t*>(memrchr(p, c, n));
#else
  for (size_t i = n; i > 0; i--)
    if (p[i - 1] == c) return p + i - 1;
  return nullptr;
#endif
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
  size_t len;
  std::vector<Hit>* hits;
  // Set while scanning a decoded view (escapes.h).
  const DecodedView* view = nullptr;
  // The byte masks of buf.
  const ByteMasks* masks = nullptr;
  std::string url;
  std::string candidate;
  std::string key;
  UrlParts parts;

  void Emit(size_t a, size_t b, uint32_t id) {
    hits->push_back(Hit{0, static_cast<uint32_t>(a), static_cast<uint32_t>(b), id});
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
  if (in.hyperscanDomains && !in.domains.keys.empty()) {
    hsDomains_ = std::make_unique<HsLiterals>(in.domains.keys, in.hsDomainsDb);
    hsDomainIds_ = in.domains.ids;
  }
  domainRuns_ = !domains_.empty() && !hsDomains_;
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
  // The last two labels of every key (see DomainRun); a key without a dot
  // would need its last label instead, so it turns the filter off.
  tail2_.Init(in.domains.keys.size());
  for (const auto& k : in.domains.keys) {
    size_t d1 = k.rfind('.');
    if (d1 == std::string::npos || d1 == 0) {
      tail2Usable_ = false;
      break;
    }
    size_t d2 = k.rfind('.', d1 - 1);
    tail2_.Add(FoldHash(d2 == std::string::npos ? k : k.substr(d2 + 1)));
  }
  // Cheaper than hashing: the lengths of the last labels, and their first two
  // bytes (ASCII-lower-cased), as bitmaps.
  tldFirst2_.assign(65536 / 64, 0);
  for (const auto& t : tlds.keys) {
    tldLengths_ |= t.size() >= 63 ? (uint64_t{1} << 63) : (uint64_t{1} << t.size());
    uint32_t k = First2Fold(reinterpret_cast<const uint8_t*>(t.data()), t.size());
    tldFirst2_[k >> 6] |= uint64_t{1} << (k & 63);
  }
  // Hosts of every URL indicator, normalised exactly as SplitUrl does, so that
  // a URL in a log whose host is not one of them is dropped before the URL is
  // copied and normalised.
  KeyInput hosts;
  UrlParts parts;
  for (const auto& k : in.urls.keys)
    if (SplitUrl(k, parts)) hosts.keys.push_back(parts.host);
  for (const auto& k : in.urlsSchemeless.keys)
    if (SplitUrl("x://" + k, parts)) hosts.keys.push_back(parts.host);
  urlHostBits_.Init(hosts.keys.size());
  for (const auto& h : hosts.keys) urlHostBits_.Add(FoldHash(h));
  // First two bytes of every key's authority (user info or host), folded.
  urlFirst2_.assign(65536 / 64, 0);
  auto mark = [&](const std::string& key, size_t from) {
    if (from >= key.size()) return;
    uint32_t k = First2(reinterpret_cast<const uint8_t*>(key.data()) + from, key.size() - from);
    urlFirst2_[k >> 6] |= uint64_t{1} << (k & 63);
  };
  for (const auto& k : in.urls.keys) {
    size_t sep = k.find("://");
    if (sep != std::string::npos) mark(k, sep + 3);
  }
  for (const auto& k : in.urlsSchemeless.keys) mark(k, 0);
}

size_t Matcher::MemoryBytes() const {
  return v4Exact_.MemoryBytes() + v6Exact_.MemoryBytes() + v4Trie_.MemoryBytes() + v6Trie_.MemoryBytes() +
         domains_.MemoryBytes() + hashes_.MemoryBytes() + emails_.MemoryBytes() + urls_.MemoryBytes() +
         urlsSchemeless_.MemoryBytes() + tlds_.MemoryBytes() + tail2_.MemoryBytes();
}

void Matcher::Scan(const uint8_t* buf, size_t len, std::vector<Hit>& out) const {
  // Each pass runs over the whole buffer, driven by the byte every token of
  // its kind must contain ('.', ':', '@', or a 16-byte aligned block of hex),
  // so bytes that cannot start anything are skipped by memchr. No token
  // contains '\n', so no pass needs to know where lines are; line starts are
  // attached to the (few) hits at the end.
  //
  // IP addresses, domain names, hashes and e-mail addresses are searched in
  // the decoded view of the buffer (escapes.h), when decoding changes it, and
  // their offsets mapped back; URLs in the raw buffer, and encoded URLs (an
  // escaped "://") in the view.
  size_t first = out.size();
  const bool urls = !urls_.empty() || !urlsSchemeless_.empty();
  const bool tokens = hasIp_ || !domains_.empty() || !emails_.empty() || !hashes_.empty();
  // One view and two mask arrays per scanning thread, reused from scan to scan.
  thread_local DecodedView view;
  thread_local ByteMasks rawMasks, viewMasks;
  if (!tokens && !urls) return;
  // Without a '%', '\\' or 0xef byte nothing decodes, and the view is not built.
  const bool mayDecode = rawMasks.Classify(buf, len);
  const bool decoded = mayDecode && view.Decode(buf, len);
  if (decoded) viewMasks.Classify(view.data(), view.size());
  ScanState tk;
  tk.buf = decoded ? view.data() : buf;
  tk.len = decoded ? view.size() : len;
  tk.hits = &out;
  tk.view = decoded ? &view : nullptr;
  tk.masks = decoded ? &viewMasks : &rawMasks;
  if (hasIp_ || domainRuns_) ScanDotted(tk);
  if (hsDomains_) HsDomains(tk);
  // Without a view, one pass over the colons finds URLs and IPv6 addresses;
  // with one, the view's pass finds IPv6 and encoded URLs, the raw pass URLs.
  if (hasIp_ || urls) ScanColons(tk, urls, decoded, hasIp_);
  if (!emails_.empty()) ScanEmails(tk);
  if (!hashes_.empty()) ScanHashes(tk);
  if (decoded) {
    for (size_t i = first; i < out.size(); i++) {
      out[i].start = static_cast<uint32_t>(view.Map(out[i].start));
      out[i].end = static_cast<uint32_t>(view.Map(out[i].end));
    }
  }
  if (decoded && urls) {
    ScanState st;
    st.buf = buf;
    st.len = len;
    st.hits = &out;
    st.masks = &rawMasks;
    ScanColons(st, true, false, false);
  }
  if (out.size() == first) return;
  auto begin = out.begin() + static_cast<std::ptrdiff_t>(first);
  std::sort(begin, out.end(), [](const Hit& x, const Hit& y) { return x.start < y.start; });
  // Line starts: the last newline before each hit, searched backwards only
  // as far as the previous hit (so every byte is looked at once at most).
  size_t lineStart = 0, searched = 0;
  for (auto it = begin; it != out.end(); ++it) {
    if (it->start > searched) {
      const uint8_t* nl = LastByte(buf + searched, it->start - searched, '\n');
      if (nl) lineStart = static_cast<size_t>(nl - buf) + 1;
      searched = it->start;
    }
    it->line = static_cast<uint32_t>(lineStart);
  }
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

// A run of domain bytes and dots holding at least one dot: every IPv4 address
// and every domain name lies inside one.
void Matcher::ScanDotted(ScanState& st) const {
  const uint8_t* buf = st.buf;
  const ByteMasks& mk = *st.masks;
  size_t from = 0;
  for (size_t w = 0; w < mk.words(); w++) {
    const size_t base = w << 6;
    uint64_t dots = mk.Word<kPlaneDot>(w);
    if (from > base) {
      if (from - base >= 64) continue;
      dots &= ~uint64_t{0} << (from - base);
    }
    while (dots) {
      size_t dot = base + static_cast<size_t>(__builtin_ctzll(dots));
      // The whole run. When it holds a byte that splits [A-Za-z0-9_.]
      // segments ('-' or >= 0x80) every segment may start an IPv4 address;
      // without one only the run's first byte can.
      size_t a = mk.RunStart(dot);
      size_t z = mk.RunEnd(dot + 1);
      if (z - a <= 56) {
        ShortRun(st, a, z);
      } else {
        if (hasIp_) {
          if (mk.Any<kPlaneSplit>(a, z)) Ipv4InRun(st, a, z);
          else if (Cls(buf[a]) & kDigit) Ipv4At(st, a, z);
        }
        if (domainRuns_) DomainRun(st, a, z);
      }
      from = z;
      if (z - base >= 64) break;
      dots &= ~uint64_t{0} << (z - base);
    }
  }
}

// ScanDotted for a run of at most 56 bytes: the same checks, on the run's
// dot and split bits in one word (bit i: byte a + i).
inline void Matcher::ShortRun(ScanState& st, size_t a, size_t z) const {
  const uint8_t* buf = st.buf;
  const ByteMasks& mk = *st.masks;
  const size_t n = z - a;
  const uint64_t inRun = ~uint64_t{0} >> (64 - n);  // 1 <= n <= 56
  const uint64_t dots = mk.Bits<kPlaneDot>(a) & inRun;
  if (hasIp_) {
    if (mk.Bits<kPlaneSplit>(a) & inRun) Ipv4InRun(st, a, z);
    // A dotted quad holds three dots in its first 15 bytes.
    else if ((Cls(buf[a]) & kDigit) && AtLeast3Bits(dots & 0x7fff)) Ipv4Parse(st, a, z);
  }
  if (!domainRuns_) return;
  // Trim leading and trailing dots; the rest must hold a dot.
  const uint64_t nonDots = ~dots & inRun;
  if (!nonDots) return;
  const unsigned lead = static_cast<unsigned>(__builtin_ctzll(nonDots));
  const unsigned last = 63 - static_cast<unsigned>(__builtin_clzll(nonDots));
  const unsigned end = last + 1;
  const uint64_t inner = dots & (~uint64_t{0} << lead) & ((uint64_t{2} << last) - 1);
  if (!inner) return;
  const unsigned lastDot = 63 - static_cast<unsigned>(__builtin_clzll(inner));
  const size_t tldStart = a + lastDot + 1;
  if (!TldBitsMayMatch(buf + tldStart, a + end - tldStart)) return;
  const uint64_t before = inner & ~(uint64_t{1} << lastDot);
  const size_t t2 = before ? a + 64 - static_cast<size_t>(__builtin_clzll(before)) : a + lead;
  DomainTail(st, a + lead, a + end, tldStart, t2);
}

// An IPv4 address starting at p, inside a [A-Za-z0-9_.] segment ending at segEnd.
void Matcher::Ipv4At(ScanState& st, size_t p, size_t segEnd) const {
  // A dotted quad holds three dots in its first 15 bytes.
  if (!st.masks->AtLeast<kPlaneDot>(p, std::min(segEnd, p + 15), 3)) return;
  Ipv4Parse(st, p, segEnd);
}

void Matcher::Ipv4Parse(ScanState& st, size_t p, size_t segEnd) const {
  const uint8_t* buf = st.buf;
  uint32_t addr;
  size_t end = ParseDottedQuad16(buf, p, segEnd, st.len, &addr);
  if (end == kNoParse) return;
  if (end < st.len) {
    uint8_t c = buf[end];
    if (Cls(c) & kWord) return;
    if (c == '.' && end + 1 < st.len && (Cls(buf[end + 1]) & kWord)) return;
  }
  LookupV4(st, addr, p, end);
}

// IPv4 candidates are the starts of the maximal [A-Za-z0-9_.] segments of the
// run that begin with a digit: anywhere else the byte before is a word byte
// or a dot.
void Matcher::Ipv4InRun(ScanState& st, size_t s, size_t e) const {
  const uint8_t* buf = st.buf;
  size_t p = s;
  while (p < e) {
    if (!(Cls(buf[p]) & kWord) && buf[p] != '.') {
      p++;
      continue;
    }
    size_t segEnd = p;
    while (segEnd < e && ((Cls(buf[segEnd]) & kWord) || buf[segEnd] == '.')) segEnd++;
    if (Cls(buf[p]) & kDigit) Ipv4At(st, p, segEnd);
    p = segEnd;
  }
}

uint32_t Matcher::First2(const uint8_t* p, size_t n) {
  uint32_t a = Lower(p[0]);
  uint32_t b = n > 1 ? Lower(p[1]) : 0;
  return (a << 8) | b;
}

// Bytes OR 0x20: equal under ASCII case folding gives equal pairs (and
// more pairs are equal, which a filter allows).
uint32_t Matcher::First2Fold(const uint8_t* p, size_t n) {
  return (uint32_t{static_cast<uint8_t>(p[0] | 0x20)} << 8) | (n > 1 ? (p[1] | 0x20u) : 0u);
}

bool Matcher::TldBitsMayMatch(const uint8_t* p, size_t n) const {
  uint64_t lenBit = uint64_t{1} << (n >= 63 ? 63 : n);
  if (!(tldLengths_ & lenBit)) return false;
  uint32_t k = First2Fold(p, n);
  return (tldFirst2_[k >> 6] >> (k & 63)) & 1;
}

void Matcher::DomainRun(ScanState& st, size_t a, size_t z) const {
  const uint8_t* buf = st.buf;
  while (a < z && buf[a] == '.') a++;
  while (z > a && buf[z - 1] == '.') z--;
  if (z == a) return;
  const ByteMasks& mk = *st.masks;
  size_t lastDot = mk.LastDot(a, z);
  if (lastDot == SIZE_MAX) return;  // no dot inside
  size_t tldStart = lastDot + 1;
  // The last label's length and first two bytes, against those of the keys.
  if (!TldBitsMayMatch(buf + tldStart, z - tldStart)) return;
  // A key that is a label-boundary suffix of [a, z) and holds a dot ends with
  // the run's last two labels [t2, z) (the whole run when it has one dot),
  // and its own last two labels are exactly those: one filter probe rejects
  // most runs before any suffix is hashed.
  size_t dot2 = mk.LastDot(a, lastDot);
  DomainTail(st, a, z, tldStart, dot2 == SIZE_MAX ? a : dot2 + 1);
}

// The rest of DomainRun for the trimmed run [a, z), its last label from
// tldStart and its last two labels from t2.
void Matcher::DomainTail(ScanState& st, size_t a, size_t z, size_t tldStart, size_t t2) const {
  const uint8_t* buf = st.buf;
  if (tail2Usable_ && !tail2_.MayContain(FoldHash(buf + t2, z - t2, buf, buf + st.len))) return;
  if (tlds_.FindBytes(buf + tldStart, z - tldStart) < 0) return;
  if (!subdomains_) {
    int64_t id = domains_.FindBytes(buf + a, z - a);
    if (id >= 0) st.Emit(a, z, static_cast<uint32_t>(id));
    return;
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

// The Hyperscan way to the hits of DomainRun: every occurrence of a domain key
// is checked to be a label-boundary suffix of its trimmed run (the whole run
// with --domain-match exact).
void Matcher::HsDomains(ScanState& st) const {
  const uint8_t* buf = st.buf;
  const size_t len = st.len;
  hsDomains_->Scan(buf, len, [&](unsigned i, size_t to) {
    size_t s = to - hsDomains_->Length(i);
    size_t z = to;
    while (z < len && buf[z] == '.') z++;
    if (z < len && (RunCls(buf[z]) & kRun)) return;
    bool runStart = s == 0 || !(RunCls(buf[s - 1]) & kRun);
    if (!runStart && buf[s - 1] != '.') return;
    size_t a = s;
    while (a > 0 && (RunCls(buf[a - 1]) & kRun)) a--;
    while (a < s && buf[a] == '.') a++;
    if (!subdomains_ && a != s) return;
    st.Emit(a, to, hsDomainIds_[i]);
  });
}

// Every ':' may start a URL body ("://") and every IPv6 address holds two.
// With `encoded`, only URLs whose "://" holds an escape (in a decoded view).
void Matcher::ScanColons(ScanState& st, bool urls, bool encoded, bool v6) const {
  const uint8_t* buf = st.buf;
  const size_t len = st.len;
  const ByteMasks& mk = *st.masks;
  size_t v6Done = 0;
  for (size_t w = 0; w < mk.words(); w++) {
    for (uint64_t colons = mk.Word<kPlaneColon>(w); colons; colons &= colons - 1) {
      size_t q = (w << 6) + static_cast<size_t>(__builtin_ctzll(colons));
      // Every URL body starts ":/" (or ":\\/", JSON-escaped).
      if (urls && q + 1 < len && (buf[q + 1] == '/' || buf[q + 1] == '\\')) UrlAt(st, q, encoded);
      if (!v6 || q < v6Done) continue;
      // A colon followed by a byte that is not hex, ':' or '.' ends its run
      // alone (the ':' of "://"): one colon, no address.
      if (q + 1 < len && !(Cls(buf[q + 1]) & kV6)) {
        v6Done = q + 1;
        continue;
      }
      v6Done = Ipv6Run(st, q);
    }
  }
}

// The maximal run of hex, ':' and '.' around the colon at q: an IPv6 candidate
// when the byte before it is not a word byte. Returns the run's end.
size_t Matcher::Ipv6Run(ScanState& st, size_t q) const {
  const uint8_t* buf = st.buf;
  const size_t e = st.len;
  const ByteMasks& mk = *st.masks;
  size_t r = mk.End<ByteMasks::kV6Set>(q);
  // q is the first colon of the run (ScanColons skips the rest). An address
  // without "::" has 7 colons, or 6 before a dotted quad; trimming one byte
  // at the end (below) keeps that true of [q, r).
  if (r - q <= 56) {
    uint64_t colons = mk.Bits<kPlaneColon>(q) & ((uint64_t{1} << (r - q)) - 1);
    if (!(colons & (colons >> 1)) && !AtLeastBits(colons, 6)) return r;
  } else if (!mk.AtLeast<kPlaneColon>(q, r, 6) && !mk.HasColonPair(q, r)) {
    return r;
  }
  size_t a = mk.Start<ByteMasks::kV6Set>(q);
  if (a > 0 && (Cls(buf[a - 1]) & kWord)) return r;
  size_t bound = r;
  if (bound < e && buf[bound] == '%') {
    bound++;
    while (bound < e && ((Cls(buf[bound]) & kWord) || buf[bound] == '-')) bound++;
  }
  if (bound < e && (Cls(buf[bound]) & kWord)) return r;
  uint8_t v6[16];
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
  return r;
}

// A hash is a whole word run of 32, 40, 64 or 128 hex digits, so it contains
// a 16-byte aligned block of hex digits; only such blocks are looked at.
void Matcher::ScanHashes(ScanState& st) const {
  const uint8_t* buf = st.buf;
  const size_t len = st.len;
  const ByteMasks& mk = *st.masks;
  size_t done = 0;
  for (size_t w = 0; w < mk.words(); w++) {
    // Bit 16j of `blocks`: the 16 bytes from 64w + 16j are all hex digits.
    uint64_t blocks = mk.Word<kPlaneHex>(w);
    blocks &= blocks >> 1;
    blocks &= blocks >> 2;
    blocks &= blocks >> 4;
    blocks &= blocks >> 8;
    for (blocks &= 0x0001000100010001ULL; blocks; blocks &= blocks - 1) {
      size_t k = (w << 6) + static_cast<size_t>(__builtin_ctzll(blocks));
      if (k < done) continue;
      size_t a = k;
      while (a > 0 && (Cls(buf[a - 1]) & kWord)) a--;
      size_t r = k + 16;
      bool hexRun = true;
      while (r < len && (Cls(buf[r]) & kWord)) {
        if (!(Cls(buf[r]) & kHex)) hexRun = false;
        r++;
      }
      for (size_t i = a; hexRun && i < k; i++)
        if (!(Cls(buf[i]) & kHex)) hexRun = false;
      done = r;
      size_t n = r - a;
      if (!hexRun || (n != 32 && n != 40 && n != 64 && n != 128)) continue;
      int64_t id = hashes_.FindBytes(buf + a, n);
      if (id >= 0) st.Emit(a, r, static_cast<uint32_t>(id));
    }
  }
}

void Matcher::ScanEmails(ScanState& st) const {
  const uint8_t* buf = st.buf;
  const size_t e = st.len;
  size_t from = 0;
  while (from < e) {
    const void* hit = std::memchr(buf + from, '@', e - from);
    if (!hit) return;
    size_t q = static_cast<size_t>(static_cast<const uint8_t*>(hit) - buf);
    from = q + 1;
    size_t a = q;
    while (a > 0 && (Cls(buf[a - 1]) & kLocal)) a--;
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

// False only when no candidate URL starting at bodyStart can have the host of
// a URL indicator. When the authority is followed by '/', '\\/' or '#', every
// candidate (however much trailing punctuation is trimmed) has the same host,
// computed here as SplitUrl would; otherwise (a '?' or the end right after the
// host) trimming can change it, and the answer is a conservative true.
bool Matcher::HostMayMatch(const uint8_t* buf, size_t bodyStart, size_t e) const {
  // Every key's authority starts with one of a few byte pairs. (The URL text
  // may use "\\/" for "/", but a pair holding '\\' never starts a key.)
  if (bodyStart < e) {
    uint32_t k = First2(buf + bodyStart, e - bodyStart);
    if (!((urlFirst2_[k >> 6] >> (k & 63)) & 1)) return false;
  }
  // One walk to the end of the authority, noting its last '@' and ':'.
  size_t p = bodyStart;
  size_t lastAt = SIZE_MAX, lastColon = SIZE_MAX;
  for (; p < e; p++) {
    uint8_t t = kAuthorityClass[buf[p]];
    if (!t) continue;
    if (t == kAuthEnd) break;
    if (t == kAuthAt) lastAt = p;
    else lastColon = p;
  }
  if (p >= e) return true;
  uint8_t d = buf[p];
  bool fixed = d == '/' || d == '#' || (d == '\\' && p + 1 < e && buf[p + 1] == '/');
  if (!fixed) return true;
  size_t h = lastAt == SIZE_MAX ? bodyStart : lastAt + 1;
  size_t hostEnd = p;
  auto allDigits = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; i++)
      if (buf[i] < '0' || buf[i] > '9') return false;
    return true;
  };
  if (h < p && buf[h] == '[') {
    size_t close = h;
    while (close < p && buf[close] != ']') close++;
    if (close < p) {
      size_t after = close + 1;
      if (after < p && buf[after] == ':' && allDigits(after + 1, p)) hostEnd = after;
      else if (after == p) hostEnd = p;
    }
  } else {
    // The last ':' after the last '@' (or p when there is none).
    size_t colon = lastColon != SIZE_MAX && (lastAt == SIZE_MAX || lastColon > lastAt) ? lastColon : p;
    if (colon < p && allDigits(colon + 1, p)) hostEnd = colon;
  }
  if (hostEnd > h && buf[hostEnd - 1] == '.') hostEnd--;
  if (hostEnd == h) return false;
  return urlHostBits_.MayContain(FoldHash(buf + h, hostEnd - h, buf, buf + e));
}

void Matcher::UrlAt(ScanState& st, size_t q, bool encoded) const {
  const uint8_t* buf = st.buf;
  size_t e = st.len;
  size_t bodyStart;
  if (encoded) {
    // An encoded URL: its "://" holds an escape, and it ends at a raw '&'.
    if (!(q + 2 < e && buf[q + 1] == '/' && buf[q + 2] == '/')) return;
    if (!st.view || !(st.view->Escaped(q) || st.view->Escaped(q + 1) || st.view->Escaped(q + 2))) return;
    bodyStart = q + 3;
    const void* nl = std::memchr(buf + bodyStart, '\n', e - bodyStart);
    if (nl) e = static_cast<size_t>(static_cast<const uint8_t*>(nl) - buf);
    for (size_t k = bodyStart; k < e;) {
      const void* amp = std::memchr(buf + k, '&', e - k);
      if (!amp) break;
      size_t at = static_cast<size_t>(static_cast<const uint8_t*>(amp) - buf);
      if (!st.view->Escaped(at)) {
        e = at;
        break;
      }
      k = at + 1;
    }
  } else if (q + 2 < e && buf[q + 1] == '/' && buf[q + 2] == '/') bodyStart = q + 3;
  else if (q + 4 < e && buf[q + 1] == '\\' && buf[q + 2] == '/' && buf[q + 3] == '\\' && buf[q + 4] == '/')
    bodyStart = q + 5;
  else return;
  size_t a = q;
  while (a > 0 && (Cls(buf[a - 1]) & kScheme)) a--;
  while (a < q && !IsAlpha(buf[a])) a++;
  if (a == q) return;
  if (!HostMayMatch(buf, bodyStart, e)) return;
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
  std::string& candidate = st.candidate;
  for (size_t n = trimmed; n <= url.size(); n++) {
    candidate.assign(url, 0, n);
    if (MatchUrl(st, candidate, a, z - (url.size() - n))) break;
  }
}

}  // namespace iochunt
