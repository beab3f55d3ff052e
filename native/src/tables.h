// Lookup structures held in native memory: open-addressing hash tables for
// strings, IPv4 and IPv6 addresses, and a binary radix trie for CIDR blocks.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "char_class.h"

namespace iochunt {

inline uint64_t Mix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb93fe53b85ebULL;
  h ^= h >> 33;
  return h;
}

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

// FNV-1a over bytes, ASCII-lower-cased when `fold`, finished with Mix64.
inline uint64_t HashBytes(const uint8_t* p, size_t n, bool fold) {
  uint64_t h = kFnvOffset;
  for (size_t i = 0; i < n; i++) h = (h ^ (fold ? Lower(p[i]) : p[i])) * kFnvPrime;
  return Mix64(h ^ n);
}

// The same hash computed from the last byte to the first, so that the hashes
// of every suffix of a domain come out of one right-to-left pass.
inline uint64_t HashBytesReverse(const uint8_t* p, size_t n) {
  uint64_t h = kFnvOffset;
  for (size_t i = n; i > 0; i--) h = (h ^ Lower(p[i - 1])) * kFnvPrime;
  return Mix64(h ^ n);
}

inline bool EqualFold(const uint8_t* a, const uint8_t* lowerB, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (Lower(a[i]) != lowerB[i]) return false;
  return true;
}

// A one-probe Bloom filter over 64-bit hashes, about 16 bits per key, so a
// miss (the common case in a log scan) is answered from a small, cache-resident
// bit array instead of a probe into the large table.
class Bloom {
 public:
  void Init(size_t keys) {
    size_t bits = 4096;
    while (bits < keys * 16) bits <<= 1;
    words_.assign(bits / 64, 0);
    mask_ = bits - 1;
  }
  void Add(uint64_t h) {
    size_t b = (h >> 20) & mask_;
    words_[b >> 6] |= uint64_t{1} << (b & 63);
  }
  bool MayContain(uint64_t h) const {
    size_t b = (h >> 20) & mask_;
    return (words_[b >> 6] >> (b & 63)) & 1;
  }
  size_t MemoryBytes() const { return words_.size() * 8; }

 private:
  std::vector<uint64_t> words_;
  size_t mask_ = 0;
};

// String key -> id. Keys are stored lower-cased when `fold` (all but URLs).
class StringTable {
 public:
  struct Slot {
    uint64_t hash;
    uint32_t offset;
    uint32_t length;
    uint32_t id;
    uint32_t used;
  };

  void Build(const std::vector<std::string>& keys, const std::vector<uint32_t>& ids, bool fold, bool reverseHash) {
    fold_ = fold;
    reverse_ = reverseHash;
    size_t cap = 16;
    while (cap < keys.size() * 2 + 2) cap <<= 1;
    slots_.assign(cap, Slot{0, 0, 0, 0, 0});
    mask_ = cap - 1;
    pool_.clear();
    bloom_.Init(keys.size());
    for (size_t i = 0; i < keys.size(); i++) {
      std::string k = keys[i];
      if (fold)
        for (auto& c : k) c = static_cast<char>(Lower(static_cast<uint8_t>(c)));
      const auto* p = reinterpret_cast<const uint8_t*>(k.data());
      uint64_t h = reverse_ ? HashBytesReverse(p, k.size()) : HashBytes(p, k.size(), false);
      if (Find(h, p, k.size()) >= 0) continue;  // keys are unique; keep the first
      bloom_.Add(h);
      size_t s = h & mask_;
      while (slots_[s].used) s = (s + 1) & mask_;
      slots_[s] = Slot{h, static_cast<uint32_t>(pool_.size()), static_cast<uint32_t>(k.size()), ids[i], 1};
      pool_.append(k);
    }
    size_ = keys.size();
  }

  // Looks up key bytes `p` (compared case-insensitively when the table folds).
  int64_t Find(uint64_t h, const uint8_t* p, size_t n) const {
    if (slots_.empty() || !bloom_.MayContain(h)) return -1;
    size_t s = h & mask_;
    for (;;) {
      const Slot& slot = slots_[s];
      if (!slot.used) return -1;
      if (slot.hash == h && slot.length == n) {
        const auto* k = reinterpret_cast<const uint8_t*>(pool_.data()) + slot.offset;
        if (fold_ ? EqualFold(p, k, n) : std::memcmp(p, k, n) == 0) return slot.id;
      }
      s = (s + 1) & mask_;
    }
  }

  int64_t FindBytes(const uint8_t* p, size_t n) const {
    return Find(reverse_ ? HashBytesReverse(p, n) : HashBytes(p, n, fold_), p, n);
  }

  bool empty() const { return size_ == 0; }
  size_t MemoryBytes() const { return slots_.size() * sizeof(Slot) + pool_.size() + bloom_.MemoryBytes(); }

 private:
  std::vector<Slot> slots_;
  std::string pool_;
  Bloom bloom_;
  size_t mask_ = 0;
  size_t size_ = 0;
  bool fold_ = true;
  bool reverse_ = false;
};

// Fixed-size key (4 or 16 bytes) -> id.
template <size_t N>
class AddressTable {
 public:
  struct Slot {
    uint8_t key[N];
    uint32_t id;
    uint32_t used;
  };

  void Insert(const uint8_t* key, uint32_t id) { pending_.push_back({key, id}); }

  void Finish() {
    size_t cap = 16;
    while (cap < pending_.size() * 2 + 2) cap <<= 1;
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    bloom_.Init(pending_.size());
    for (auto& [key, id] : pending_) {
      if (Find(key) >= 0) continue;
      bloom_.Add(HashKey(key));
      size_t s = HashKey(key) & mask_;
      while (slots_[s].used) s = (s + 1) & mask_;
      std::memcpy(slots_[s].key, key, N);
      slots_[s].id = id;
      slots_[s].used = 1;
    }
    size_ = pending_.size();
    pending_.clear();
  }

  int64_t Find(const uint8_t* key) const {
    if (slots_.empty()) return -1;
    uint64_t h = HashKey(key);
    if (!bloom_.MayContain(h)) return -1;
    size_t s = h & mask_;
    for (;;) {
      const Slot& slot = slots_[s];
      if (!slot.used) return -1;
      if (std::memcmp(slot.key, key, N) == 0) return slot.id;
      s = (s + 1) & mask_;
    }
  }

  bool empty() const { return size_ == 0; }
  size_t MemoryBytes() const { return slots_.size() * sizeof(Slot) + bloom_.MemoryBytes(); }

 private:
  Bloom bloom_;
  static uint64_t HashKey(const uint8_t* key) {
    uint64_t a = 0, b = 0;
    std::memcpy(&a, key, N < 8 ? N : 8);
    if (N > 8) std::memcpy(&b, key + 8, N - 8);
    return Mix64(a ^ Mix64(b + N));
  }

  std::vector<std::pair<const uint8_t*, uint32_t>> pending_;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

// Binary radix trie of address prefixes. Lookup reports every stored block that
// contains the address, shortest prefix first.
class BitTrie {
 public:
  BitTrie() : top16_(65536 / 64, 0) { nodes_.push_back(Node{{0, 0}, -1}); }

  void Insert(const uint8_t* bytes, int prefix, uint32_t id) {
    // Mark every /16 the block touches: most addresses are then rejected by
    // one bit test, without walking the trie.
    uint32_t first = (uint32_t(bytes[0]) << 8) | bytes[1];
    uint32_t span = prefix >= 16 ? 1 : (1u << (16 - prefix));
    first &= ~(span - 1);
    for (uint32_t k = first; k < first + span; k++) top16_[k >> 6] |= uint64_t{1} << (k & 63);
    int32_t node = 0;
    for (int i = 0; i < prefix; i++) {
      int bit = (bytes[i >> 3] >> (7 - (i & 7))) & 1;
      int32_t next = nodes_[node].child[bit];
      if (next == 0) {
        next = static_cast<int32_t>(nodes_.size());
        nodes_.push_back(Node{{0, 0}, -1});
        nodes_[node].child[bit] = next;
      }
      node = next;
    }
    nodes_[node].id = static_cast<int64_t>(id);
    count_++;
  }

  template <typename F>
  void Lookup(const uint8_t* bytes, int bits, F&& found) const {
    uint32_t k = (uint32_t(bytes[0]) << 8) | bytes[1];
    if (!((top16_[k >> 6] >> (k & 63)) & 1)) return;
    int32_t node = 0;
    for (int i = 0;; i++) {
      const Node& n = nodes_[node];
      if (n.id >= 0) found(static_cast<uint32_t>(n.id));
      if (i == bits) return;
      int bit = (bytes[i >> 3] >> (7 - (i & 7))) & 1;
      int32_t next = n.child[bit];
      if (next == 0) return;
      node = next;
    }
  }

  bool empty() const { return count_ == 0; }
  size_t MemoryBytes() const { return nodes_.size() * sizeof(Node) + top16_.size() * 8; }

 private:
  struct Node {
    int32_t child[2];
    int64_t id;
  };
  std::vector<Node> nodes_;
  std::vector<uint64_t> top16_;
  size_t count_ = 0;
};

}  // namespace iochunt
