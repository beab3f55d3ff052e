// The native matcher: indicator tables in native memory and a scan over whole
// buffers that implements the matching rules of the README. It is read-only
// after construction, so any number of threads may scan with it at once.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "filters.h"
#include "hs_literals.h"
#include "tables.h"

namespace iochunt {

struct Hit {
  uint32_t line, start, end, id;
};

struct KeyInput {
  std::vector<std::string> keys;
  std::vector<uint32_t> ids;
};

struct IpInput {
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> prefix;
  std::vector<uint32_t> ids;
};

struct MatcherInput {
  bool subdomains = true;
  // Find domain names with a Hyperscan literal database instead of walking
  // every dotted run (see README: both are measured by the benchmark).
  bool hyperscanDomains = false;
  // A database serialised by SerializedDomains() of an earlier run, or empty.
  std::vector<uint8_t> hsDomainsDb;
  IpInput v4, v6;
  KeyInput domains, hashes, emails, urls, urlsSchemeless;
};

class Matcher {
 public:
  explicit Matcher(const MatcherInput& in);

  // Scans buf (whole lines; the last may lack '\n') and appends hits, sorted
  // by (line, start, end, id) and without duplicates.
  void Scan(const uint8_t* buf, size_t len, std::vector<Hit>& out) const;

  size_t MemoryBytes() const;

  // The Hyperscan domain database, serialised (empty when domains use the tables).
  std::vector<uint8_t> SerializedDomains() const { return hsDomains_ ? hsDomains_->Serialize() : std::vector<uint8_t>{}; }
  bool UsesHyperscanDomains() const { return hsDomains_ != nullptr; }

 private:
  struct ScanState;
  void ScanDotted(ScanState& st) const;
  void Ipv4InRun(ScanState& st, size_t s, size_t e) const;
  void ShortRun(ScanState& st, size_t a, size_t z) const;
  void Ipv4At(ScanState& st, size_t p, size_t segEnd) const;
  void Ipv4Parse(ScanState& st, size_t p, size_t segEnd) const;
  void DomainRun(ScanState& st, size_t a, size_t z) const;
  void DomainTail(ScanState& st, size_t a, size_t z, size_t tldStart, size_t t2) const;
  void ScanColons(ScanState& st, bool urls, bool encoded, bool v6) const;
  size_t Ipv6Run(ScanState& st, size_t q) const;
  void UrlAt(ScanState& st, size_t q, bool encoded) const;
  bool HostMayMatch(const uint8_t* buf, size_t bodyStart, size_t e) const;
  void ScanHashes(ScanState& st) const;
  void ScanEmails(ScanState& st) const;
  void HsDomains(ScanState& st) const;
  bool MatchUrl(ScanState& st, const std::string& url, size_t a, size_t z) const;
  void LookupV4(ScanState& st, uint32_t addr, size_t a, size_t b) const;
  void LookupV6(ScanState& st, const uint8_t bytes[16], size_t a, size_t b) const;

  bool subdomains_;
  std::unique_ptr<HsLiterals> hsDomains_;
  std::vector<uint32_t> hsDomainIds_;
  bool hasIp_;
  // Domain names are found by walking dotted runs (not by Hyperscan).
  bool domainRuns_ = false;
  AddressTable<4> v4Exact_;
  AddressTable<16> v6Exact_;
  BitTrie v4Trie_, v6Trie_;
  StringTable domains_, hashes_, emails_, urls_, urlsSchemeless_;
  // TLD filter: hashes of the last label of every domain key; a token whose last
  // label is not here cannot match any domain.
  StringTable tlds_;
  uint64_t tldLengths_ = 0;
  std::vector<uint64_t> tldFirst2_;
  static uint32_t First2(const uint8_t* p, size_t n);
  static uint32_t First2Fold(const uint8_t* p, size_t n);
  bool TldBitsMayMatch(const uint8_t* p, size_t n) const;
  // Last two labels of every domain key (DomainRun), when every key has a dot.
  HashBits tail2_;
  bool tail2Usable_ = true;
  // Hosts of the URL indicators (see HostMayMatch).
  HashBits urlHostBits_;
  std::vector<uint64_t> urlFirst2_;
};

}  // namespace iochunt
