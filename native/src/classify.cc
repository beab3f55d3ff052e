// ByteMasks::Classify: a table-driven loop, and AVX2 and AVX-512BW ones
// (simdjson-style nibble lookups) chosen at run time on x86-64.
#include "classify.h"

#include <array>
#include <cstdlib>
#include <cstring>

#include "char_class.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define IOCHUNT_HAVE_AVX2_PATH 1
#include <immintrin.h>
#endif

namespace iochunt {

namespace {

enum : uint8_t { kMRun = 1, kMDot = 2, kMSplit = 4, kMColon = 8, kMHex = 16, kMTrigger = 32 };

constexpr std::array<uint8_t, 256> BuildMaskTable() {
  std::array<uint8_t, 256> t{};
  for (unsigned c = 0; c < 256; c++) {
    uint8_t v = 0;
    if (kRunClass[c] & kRun) v |= kMRun;
    if (c == '.') v |= kMDot;
    if (kRunClass[c] & kSplit) v |= kMSplit;
    if (c == ':') v |= kMColon;
    if (kClass[c] & kHex) v |= kMHex;
    if (c == '%' || c == '\\' || c == 0xef) v |= kMTrigger;
    t[c] = v;
  }
  return t;
}

constexpr std::array<uint8_t, 256> kMaskClass = BuildMaskTable();

// Bit i of the result: the lowest bit of byte i of x.
inline uint64_t ByteLows(uint64_t x) { return ((x & 0x0101010101010101ULL) * 0x0102040810204080ULL) >> 56; }

// Classifies n <= 64 bytes at p into one word, 8 bytes at a time: their
// classes as the bytes of a word, then each class bit gathered by a multiply.
inline Masks64 ClassifyScalar64(const uint8_t* p, size_t n, uint8_t& trigger) {
  Masks64 m{0, 0, 0, 0, 0};
  uint64_t any = 0;
  for (size_t g = 0; g * 8 < n; g++) {
    uint64_t c = 0;
    for (size_t i = 0; i < 8 && g * 8 + i < n; i++) c |= uint64_t{kMaskClass[p[g * 8 + i]]} << (8 * i);
    any |= c;
    const unsigned at = static_cast<unsigned>(g * 8);
    m.run |= ByteLows(c) << at;
    m.dot |= ByteLows(c >> 1) << at;
    m.split |= ByteLows(c >> 2) << at;
    m.colon |= ByteLows(c >> 3) << at;
    m.hex |= ByteLows(c >> 4) << at;
  }
  if (any & 0x2020202020202020ULL) trigger = 1;  // kMTrigger in some byte
  return m;
}

// Where Classify writes: word w of every plane.
struct PlaneOut {
  uint64_t* p[kPlanes];
  void Put(size_t w, const Masks64& m) const {
    p[kPlaneRun][w] = m.run;
    p[kPlaneDot][w] = m.dot;
    p[kPlaneSplit][w] = m.split;
    p[kPlaneColon][w] = m.colon;
    p[kPlaneHex][w] = m.hex;
  }
};

bool ClassifyScalar(const uint8_t* buf, size_t len, const PlaneOut& out) {
  uint8_t trigger = 0;
  size_t w = 0;
  for (; (w + 1) * 64 <= len; w++) out.Put(w, ClassifyScalar64(buf + w * 64, 64, trigger));
  out.Put(w, ClassifyScalar64(buf + w * 64, len - w * 64, trigger));
  return trigger != 0;
}

#if IOCHUNT_HAVE_AVX2_PATH
// Nibble tables (the same 16 bytes in both lanes): a byte is in class bit k
// when bit k is set in both lo[c & 15] and hi[c >> 4].
//   1: '-' '.'   2: digits   4: A-F a-f   8: A-O a-o   16: P-Z p-z   32: '_'
//   64: '%'   128: '\\'
#define IOCHUNT_LO                                                                                       \
  0x12, 0x1e, 0x1e, 0x1e, 0x1e, 0x5e, 0x1e, 0x1a, 0x1a, 0x1a, 0x18, 0x08, 0x88, 0x09, 0x09, 0x28
#define IOCHUNT_HI 0x00, 0x00, 0x41, 0x02, 0x0c, 0xb0, 0x0c, 0x10, 0, 0, 0, 0, 0, 0, 0, 0

__attribute__((target("avx2"))) inline uint32_t Mask(__m256i x) {
  return static_cast<uint32_t>(_mm256_movemask_epi8(x));
}

// 32 bytes into the 32-bit half `k` of every plane (planes are little-endian
// bit arrays, so half 2w + 1 is the upper half of word w).
__attribute__((target("avx2"))) inline void Classify32(const uint8_t* p, const PlaneOut& out, size_t k, __m256i& cls_acc,
                                                        __m256i& bom_acc) {
  const __m256i lo = _mm256_setr_epi8(IOCHUNT_LO, IOCHUNT_LO);
  const __m256i hi = _mm256_setr_epi8(IOCHUNT_HI, IOCHUNT_HI);
  const __m256i nib = _mm256_set1_epi8(0x0f);
  const __m256i zero = _mm256_setzero_si256();
  __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  __m256i cls = _mm256_and_si256(_mm256_shuffle_epi8(lo, _mm256_and_si256(v, nib)),
                                 _mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi16(v, 4), nib)));
  uint32_t sign = Mask(v);
  auto half = [&](unsigned plane) { return reinterpret_cast<uint32_t*>(out.p[plane]) + k; };
  *half(kPlaneRun) = ~Mask(_mm256_cmpeq_epi8(_mm256_and_si256(cls, _mm256_set1_epi8(0x3b)), zero)) | sign;
  *half(kPlaneDot) = Mask(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('.')));
  *half(kPlaneSplit) = Mask(_mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('-')), v));
  *half(kPlaneColon) = Mask(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(':')));
  *half(kPlaneHex) = ~Mask(_mm256_cmpeq_epi8(_mm256_and_si256(cls, _mm256_set1_epi8(0x06)), zero));
  cls_acc = _mm256_or_si256(cls_acc, cls);
  bom_acc = _mm256_or_si256(bom_acc, _mm256_cmpeq_epi8(v, _mm256_set1_epi8(static_cast<char>(0xef))));
}

__attribute__((target("avx2"))) bool ClassifyAvx2(const uint8_t* buf, size_t len, const PlaneOut& out) {
  __m256i cls = _mm256_setzero_si256(), bom = _mm256_setzero_si256();
  size_t k = 0;
  for (; (k + 1) * 32 <= len; k++) Classify32(buf + k * 32, out, k, cls, bom);
  // The tail, zero-padded (a zero byte is in no class), up to a whole word.
  alignas(32) uint8_t tail[64] = {0};
  if (len > k * 32) std::memcpy(tail, buf + k * 32, len - k * 32);
  Classify32(tail, out, k, cls, bom);
  if (!(k & 1)) Classify32(tail + 32, out, k + 1, cls, bom);
  // '%' and '\\' have class bits 64 and 128.
  __m256i trig = _mm256_or_si256(_mm256_and_si256(cls, _mm256_set1_epi8(static_cast<char>(0xc0))), bom);
  return !_mm256_testz_si256(trig, trig);
}

// The same classification, 64 bytes per step with AVX-512BW: the compares
// give the 64-bit masks directly.
__attribute__((target("avx512f,avx512bw"))) inline Masks64 Classify64x512(const uint8_t* p, __m512i& trig) {
  // (Loaded from arrays: _mm512_broadcast_i32x4 trips GCC 12's uninitialised-value warning.)
  alignas(64) static const uint8_t kLo[64] = {IOCHUNT_LO, IOCHUNT_LO, IOCHUNT_LO, IOCHUNT_LO};
  alignas(64) static const uint8_t kHi[64] = {IOCHUNT_HI, IOCHUNT_HI, IOCHUNT_HI, IOCHUNT_HI};
  const __m512i lo = _mm512_load_si512(kLo);
  const __m512i hi = _mm512_load_si512(kHi);
  const __m512i nib = _mm512_set1_epi8(0x0f);
  __m512i v = _mm512_loadu_si512(p);
  __m512i cls = _mm512_and_si512(_mm512_shuffle_epi8(lo, _mm512_and_si512(v, nib)),
                                 _mm512_shuffle_epi8(hi, _mm512_and_si512(_mm512_srli_epi16(v, 4), nib)));
  uint64_t sign = _mm512_movepi8_mask(v);
  Masks64 m;
  m.run = _mm512_test_epi8_mask(cls, _mm512_set1_epi8(0x3b)) | sign;
  m.dot = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('.'));
  m.split = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('-')) | sign;
  m.colon = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(':'));
  m.hex = _mm512_test_epi8_mask(cls, _mm512_set1_epi8(0x06));
  __mmask64 t = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('%')) | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\\')) |
                _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(static_cast<char>(0xef)));
  trig = _mm512_or_si512(trig, _mm512_movm_epi8(t));
  return m;
}

__attribute__((target("avx512f,avx512bw"))) bool ClassifyAvx512(const uint8_t* buf, size_t len, const PlaneOut& out) {
  __m512i trig = _mm512_setzero_si512();
  size_t w = 0;
  for (; (w + 1) * 64 <= len; w++) out.Put(w, Classify64x512(buf + w * 64, trig));
  alignas(64) uint8_t tail[64] = {0};
  if (len > w * 64) std::memcpy(tail, buf + w * 64, len - w * 64);
  out.Put(w, Classify64x512(tail, trig));
  return _mm512_test_epi8_mask(trig, trig) != 0;
}

// 0: table, 1: AVX2, 2: AVX-512BW. IOCHUNT_NATIVE_SIMD=0 (or 1) caps it.
int DetectSimd() {
  const char* env = std::getenv("IOCHUNT_NATIVE_SIMD");
  int cap = env && env[0] >= '0' && env[0] <= '2' ? env[0] - '0' : 2;
  __builtin_cpu_init();
  int level = __builtin_cpu_supports("avx512bw") ? 2 : __builtin_cpu_supports("avx2") ? 1 : 0;
  return level < cap ? level : cap;
}
#else
int DetectSimd() { return 0; }
#endif

const int kSimd = DetectSimd();

}  // namespace

bool ByteMasks::UsesSimd() { return kSimd != 0; }

bool ByteMasks::Classify(const uint8_t* buf, size_t len) {
  words_ = len / 64 + 1;
  stride_ = words_ + 3;
  if (planes_.size() < stride_ * kPlanes) planes_.resize(stride_ * kPlanes);
  // Do not keep a huge array for the next (ordinary) scan.
  constexpr size_t kKeepWords = (size_t{8} << 20) / 64;
  if (planes_.capacity() > kKeepWords * kPlanes && stride_ <= kKeepWords) std::vector<uint64_t>(stride_ * kPlanes).swap(planes_);
  PlaneOut out;
  for (unsigned p = 0; p < kPlanes; p++) {
    out.p[p] = planes_.data() + p * stride_ + 1;
    out.p[p][-1] = 0;
    out.p[p][words_] = 0;
    out.p[p][words_ + 1] = 0;
  }
#if IOCHUNT_HAVE_AVX2_PATH
  if (kSimd == 2) return ClassifyAvx512(buf, len, out);
  if (kSimd == 1) return ClassifyAvx2(buf, len, out);
#endif
  return ClassifyScalar(buf, len, out);
}

}  // namespace iochunt
