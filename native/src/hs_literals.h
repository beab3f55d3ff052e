// A Hyperscan literal database (caseless) with a pool of scratch spaces, so
// that any number of threads can scan with it at once.
#pragma once
#include <hs.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace iochunt {

class HsLiterals {
 public:
  // Compiles `literals` (ids are their indexes); throws on a Hyperscan error.
  // When `serialized` holds a database serialised by an earlier run for the
  // same literals, it is loaded instead; if it does not load (another
  // Hyperscan version or CPU), the literals are compiled.
  HsLiterals(const std::vector<std::string>& literals, const std::vector<uint8_t>& serialized) {
    for (const auto& l : literals) lengths_.push_back(static_cast<uint32_t>(l.size()));
    if (!serialized.empty() &&
        hs_deserialize_database(reinterpret_cast<const char*>(serialized.data()), serialized.size(), &db_) == HS_SUCCESS) {
      loaded_ = true;
    } else {
      db_ = nullptr;
      Compile(literals);
    }
    if (hs_alloc_scratch(db_, &proto_) != HS_SUCCESS) {
      hs_free_database(db_);
      throw std::runtime_error("hyperscan: cannot allocate scratch");
    }
  }

  // True when the database came from `serialized`.
  bool loaded() const { return loaded_; }

  std::vector<uint8_t> Serialize() const {
    char* bytes = nullptr;
    size_t n = 0;
    if (hs_serialize_database(db_, &bytes, &n) != HS_SUCCESS) return {};
    std::vector<uint8_t> out(bytes, bytes + n);
    std::free(bytes);
    return out;
  }

 private:
  void Compile(const std::vector<std::string>& literals) {
    std::vector<const char*> exprs;
    std::vector<unsigned> flags, ids;
    std::vector<size_t> lens;
    for (size_t i = 0; i < literals.size(); i++) {
      exprs.push_back(literals[i].data());
      flags.push_back(HS_FLAG_CASELESS);
      ids.push_back(static_cast<unsigned>(i));
      lens.push_back(literals[i].size());
    }
    hs_compile_error_t* err = nullptr;
    if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(), static_cast<unsigned>(exprs.size()),
                             HS_MODE_BLOCK, nullptr, &db_, &err) != HS_SUCCESS) {
      std::string msg = err && err->message ? err->message : "unknown error";
      hs_free_compile_error(err);
      throw std::runtime_error("hyperscan: " + msg);
    }
  }

 public:
  ~HsLiterals() {
    for (auto* s : free_) hs_free_scratch(s);
    if (proto_) hs_free_scratch(proto_);
    if (db_) hs_free_database(db_);
  }
  HsLiterals(const HsLiterals&) = delete;
  HsLiterals& operator=(const HsLiterals&) = delete;

  uint32_t Length(unsigned id) const { return lengths_[id]; }

  // Calls on_match(id, end) for every occurrence of every literal in buf.
  template <typename F>
  void Scan(const uint8_t* buf, size_t len, F&& on_match) const {
    hs_scratch_t* scratch = Take();
    auto cb = [](unsigned id, unsigned long long, unsigned long long to, unsigned, void* ctx) -> int {
      (*static_cast<F*>(ctx))(id, static_cast<size_t>(to));
      return 0;
    };
    hs_error_t rc = hs_scan(db_, reinterpret_cast<const char*>(buf), static_cast<unsigned>(len), 0, scratch, cb, &on_match);
    Give(scratch);
    if (rc != HS_SUCCESS) throw std::runtime_error("hyperscan: scan failed");
  }

  size_t MemoryBytes() const {
    size_t n = 0;
    hs_database_size(db_, &n);
    return n;
  }

 private:
  hs_scratch_t* Take() const {
    std::lock_guard<std::mutex> lock(mu_);
    if (!free_.empty()) {
      hs_scratch_t* s = free_.back();
      free_.pop_back();
      return s;
    }
    // proto_ is never scanned with, so cloning it here is safe.
    hs_scratch_t* copy = nullptr;
    if (hs_clone_scratch(proto_, &copy) != HS_SUCCESS) throw std::runtime_error("hyperscan: cannot clone scratch");
    return copy;
  }
  void Give(hs_scratch_t* s) const {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(s);
  }

  hs_database_t* db_ = nullptr;
  hs_scratch_t* proto_ = nullptr;
  bool loaded_ = false;
  std::vector<uint32_t> lengths_;
  mutable std::mutex mu_;
  mutable std::vector<hs_scratch_t*> free_;
};

}  // namespace iochunt
