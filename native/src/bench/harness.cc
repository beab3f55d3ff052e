// Stand-alone harness for the native matcher: builds it from tables written
// by dump.ts, scans each block, checks the hits against the reference hits
// byte for byte, and reports the fastest scan. For callgrind / perf stat:
//
//   native/src/bench/build.sh            # -> /tmp/iochunt-harness-bin
//   /tmp/iochunt-harness-bin DIR REPS apache [vpcflow ...]
//
// Exit status 1 when any block's hits differ from the reference.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../matcher.h"

using namespace iochunt;

static std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(2);
  }
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

struct Reader {
  const std::vector<uint8_t>& d;
  size_t p = 0;
  uint32_t U32() {
    uint32_t v;
    std::memcpy(&v, d.data() + p, 4);
    p += 4;
    return v;
  }
  template <typename T>
  std::vector<T> Vec(size_t n) {
    std::vector<T> v(n);
    std::memcpy(v.data(), d.data() + p, n * sizeof(T));
    p += n * sizeof(T);
    return v;
  }
};

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: harness DIR REPS FORMAT...\n");
    return 2;
  }
  std::string dir = argv[1];
  int reps = std::atoi(argv[2]);
  auto tables = ReadFile(dir + "/tables.bin");
  Reader r{tables};
  MatcherInput in;
  in.subdomains = tables[0] == 1;
  r.p = 1;
  for (auto [ip, w] : {std::pair<IpInput*, size_t>{&in.v4, 4}, {&in.v6, 16}}) {
    uint32_t n = r.U32();
    ip->bytes = r.Vec<uint8_t>(n * w);
    ip->prefix = r.Vec<uint8_t>(n);
    ip->ids = r.Vec<uint32_t>(n);
  }
  for (KeyInput* k : {&in.domains, &in.hashes, &in.emails, &in.urls, &in.urlsSchemeless}) {
    uint32_t n = r.U32();
    uint32_t blobLen = r.U32();
    auto blob = r.Vec<char>(blobLen);
    auto offsets = r.Vec<uint32_t>(n + 1);
    k->ids = r.Vec<uint32_t>(n);
    for (uint32_t i = 0; i < n; i++) k->keys.emplace_back(blob.data() + offsets[i], offsets[i + 1] - offsets[i]);
  }
  Matcher m(in);
  int bad = 0;
  for (int a = 3; a < argc; a++) {
    std::string name = argv[a];
    auto block = ReadFile(dir + "/" + name + ".log");
    auto ref = ReadFile(dir + "/" + name + ".hits");
    std::vector<Hit> hits;
    // The fastest of `reps` scans: on a shared machine the minimum is the
    // figure least disturbed by other processes.
    double s = 1e9;
    for (int i = 0; i < reps || i == 0; i++) {
      hits.clear();
      auto t0 = std::chrono::steady_clock::now();
      m.Scan(block.data(), block.size(), hits);
      auto t1 = std::chrono::steady_clock::now();
      s = std::min(s, std::chrono::duration<double>(t1 - t0).count());
    }
    bool same = hits.size() * sizeof(Hit) == ref.size() && std::memcmp(hits.data(), ref.data(), ref.size()) == 0;
    if (!same) bad++;
    std::printf("%-14s %8zu bytes %5zu hits %s  %.3f ms  %.0f MB/s\n", name.c_str(), block.size(), hits.size(),
                same ? "same" : "DIFFERENT", s * 1e3, block.size() / s / 1e6);
  }
  return bad ? 1 : 0;
}
