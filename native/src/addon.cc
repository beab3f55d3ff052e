// Node-API surface of the native engine. JavaScript validates and flattens
// the indicator tables (src/engine/native/native-engine.ts); this file only
// copies them into native memory and runs scans, synchronously or on a libuv
// worker thread. Every scan crosses into JavaScript once, with packed hits.
#include <napi.h>

#include <hs.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "matcher.h"

namespace {

using iochunt::Hit;
using iochunt::KeyInput;
using iochunt::Matcher;
using iochunt::MatcherInput;

// The JavaScript handle owns a shared pointer, so that release() while an
// async scan is running frees the matcher only when that scan ends.
struct Handle {
  std::shared_ptr<const Matcher> matcher;
};

Napi::Object Field(const Napi::Object& o, const char* name) {
  Napi::Value v = o.Get(name);
  if (!v.IsObject()) throw Napi::TypeError::New(o.Env(), std::string("tables.") + name + " must be an object");
  return v.As<Napi::Object>();
}

template <typename T>
std::vector<T> TypedCopy(const Napi::Object& o, const char* name) {
  Napi::Value v = o.Get(name);
  if (!v.IsTypedArray()) throw Napi::TypeError::New(o.Env(), std::string(name) + " must be a typed array");
  auto arr = v.As<Napi::TypedArray>();
  size_t bytes = arr.ByteLength();
  if (bytes % sizeof(T) != 0) throw Napi::TypeError::New(o.Env(), std::string(name) + " has a bad length");
  std::vector<T> out(bytes / sizeof(T));
  if (bytes) {
    const uint8_t* base = static_cast<const uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
    std::memcpy(out.data(), base, bytes);
  }
  return out;
}

// Keys arrive packed: `blob` (UTF-8 bytes of every key), `offsets` (n + 1
// Uint32 boundaries) and `ids` (n Uint32).
KeyInput ReadKeys(const Napi::Object& tables, const char* name) {
  Napi::Object o = Field(tables, name);
  auto blob = TypedCopy<uint8_t>(o, "blob");
  auto offsets = TypedCopy<uint32_t>(o, "offsets");
  KeyInput in;
  in.ids = TypedCopy<uint32_t>(o, "ids");
  if (offsets.size() != in.ids.size() + 1) throw Napi::RangeError::New(tables.Env(), std::string(name) + ": offsets/ids mismatch");
  in.keys.reserve(in.ids.size());
  for (size_t i = 0; i < in.ids.size(); i++) {
    if (offsets[i] > offsets[i + 1] || offsets[i + 1] > blob.size())
      throw Napi::RangeError::New(tables.Env(), std::string(name) + ": offsets out of range");
    in.keys.emplace_back(reinterpret_cast<const char*>(blob.data()) + offsets[i], offsets[i + 1] - offsets[i]);
  }
  return in;
}

void ReadIps(const Napi::Object& tables, const char* name, size_t width, iochunt::IpInput& out) {
  Napi::Object o = Field(tables, name);
  out.bytes = TypedCopy<uint8_t>(o, "bytes");
  out.prefix = TypedCopy<uint8_t>(o, "prefix");
  out.ids = TypedCopy<uint32_t>(o, "ids");
  if (out.prefix.size() != out.ids.size() || out.bytes.size() != out.ids.size() * width)
    throw Napi::RangeError::New(tables.Env(), std::string(name) + ": bytes/prefix/ids mismatch");
  for (uint8_t p : out.prefix)
    if (p > width * 8) throw Napi::RangeError::New(tables.Env(), std::string(name) + ": prefix too long");
}

Handle* GetHandle(const Napi::Value& v) {
  if (!v.IsExternal()) throw Napi::TypeError::New(v.Env(), "expected a matcher handle");
  return v.As<Napi::External<Handle>>().Data();
}

std::shared_ptr<const Matcher> LiveMatcher(const Napi::Value& v) {
  Handle* h = GetHandle(v);
  if (!h->matcher) throw Napi::Error::New(v.Env(), "matcher used after release()");
  return h->matcher;
}

struct Bytes {
  const uint8_t* data;
  size_t length;
};

Bytes GetBytes(const Napi::Value& v) {
  if (!v.IsTypedArray()) throw Napi::TypeError::New(v.Env(), "expected a Uint8Array");
  auto arr = v.As<Napi::TypedArray>();
  if (arr.ByteLength() > UINT32_MAX) throw Napi::RangeError::New(v.Env(), "buffer larger than 4 GiB");
  return {static_cast<const uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset(), arr.ByteLength()};
}

Napi::Uint32Array PackHits(Napi::Env env, const std::vector<Hit>& hits) {
  auto out = Napi::Uint32Array::New(env, hits.size() * 4);
  static_assert(sizeof(Hit) == 16, "Hit must pack to four uint32");
  if (!hits.empty()) std::memcpy(out.Data(), hits.data(), hits.size() * sizeof(Hit));
  return out;
}

Napi::Value Compile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, "compile(tables): tables must be an object");
  Napi::Object t = info[0].As<Napi::Object>();
  MatcherInput in;
  Napi::Value dm = t.Get("domainMatch");
  if (!dm.IsString()) throw Napi::TypeError::New(env, "tables.domainMatch must be a string");
  std::string mode = dm.As<Napi::String>().Utf8Value();
  if (mode != "subdomain" && mode != "exact") throw Napi::RangeError::New(env, "tables.domainMatch: " + mode);
  in.subdomains = mode == "subdomain";
  Napi::Value strategy = t.Get("domainStrategy");
  if (strategy.IsString()) {
    std::string name = strategy.As<Napi::String>().Utf8Value();
    if (name != "table" && name != "hyperscan") throw Napi::RangeError::New(env, "tables.domainStrategy: " + name);
    in.hyperscanDomains = name == "hyperscan";
  }
  Napi::Value db = t.Get("hsDomainsDb");
  if (db.IsTypedArray()) in.hsDomainsDb = TypedCopy<uint8_t>(t, "hsDomainsDb");
  ReadIps(t, "ipv4", 4, in.v4);
  ReadIps(t, "ipv6", 16, in.v6);
  in.domains = ReadKeys(t, "domains");
  in.hashes = ReadKeys(t, "hashes");
  in.emails = ReadKeys(t, "emails");
  in.urls = ReadKeys(t, "urls");
  in.urlsSchemeless = ReadKeys(t, "urlsSchemeless");
  std::shared_ptr<const Matcher> m;
  try {
    m = std::make_shared<const Matcher>(in);
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("compile failed: ") + e.what());
  }
  auto* handle = new Handle{std::move(m)};
  return Napi::External<Handle>::New(env, handle, [](Napi::Env, Handle* h) { delete h; });
}

Napi::Value Scan(const Napi::CallbackInfo& info) {
  auto matcher = LiveMatcher(info[0]);
  Bytes b = GetBytes(info[1]);
  std::vector<Hit> hits;
  matcher->Scan(b.data, b.length, hits);
  return PackHits(info.Env(), hits);
}

class ScanWorker : public Napi::AsyncWorker {
 public:
  ScanWorker(Napi::Env env, std::shared_ptr<const Matcher> matcher, Napi::Value buf)
      : Napi::AsyncWorker(env, "iochunt.scan"), deferred_(Napi::Promise::Deferred::New(env)), matcher_(std::move(matcher)) {
    Bytes b = GetBytes(buf);
    data_ = b.data;
    length_ = b.length;
    // Keep the buffer alive (and its memory in place) until the scan ends.
    buffer_ = Napi::Persistent(buf.As<Napi::Object>());
  }

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      matcher_->Scan(data_, length_, hits_);
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    buffer_.Reset();
    deferred_.Resolve(PackHits(Env(), hits_));
  }
  void OnError(const Napi::Error& e) override {
    buffer_.Reset();
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<const Matcher> matcher_;
  Napi::ObjectReference buffer_;
  const uint8_t* data_ = nullptr;
  size_t length_ = 0;
  std::vector<Hit> hits_;
};

Napi::Value ScanAsync(const Napi::CallbackInfo& info) {
  auto matcher = LiveMatcher(info[0]);
  auto* worker = new ScanWorker(info.Env(), std::move(matcher), info[1]);
  auto promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value Release(const Napi::CallbackInfo& info) {
  GetHandle(info[0])->matcher.reset();
  return info.Env().Undefined();
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  auto matcher = LiveMatcher(info[0]);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("memoryBytes", Napi::Number::New(info.Env(), static_cast<double>(matcher->MemoryBytes())));
  return o;
}

// The Hyperscan domain database of a matcher, serialised for the cache, or undefined.
Napi::Value SerializedDomains(const Napi::CallbackInfo& info) {
  auto matcher = LiveMatcher(info[0]);
  if (!matcher->UsesHyperscanDomains()) return info.Env().Undefined();
  std::vector<uint8_t> bytes = matcher->SerializedDomains();
  auto out = Napi::Uint8Array::New(info.Env(), bytes.size());
  if (!bytes.empty()) std::memcpy(out.Data(), bytes.data(), bytes.size());
  return out;
}

Napi::Value Versions(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("hyperscan", Napi::String::New(info.Env(), hs_version()));
  o.Set("addon", Napi::String::New(info.Env(), IOCHUNT_ADDON_VERSION));
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("compile", Napi::Function::New(env, Compile, "compile"));
  exports.Set("scan", Napi::Function::New(env, Scan, "scan"));
  exports.Set("scanAsync", Napi::Function::New(env, ScanAsync, "scanAsync"));
  exports.Set("release", Napi::Function::New(env, Release, "release"));
  exports.Set("stats", Napi::Function::New(env, Stats, "stats"));
  exports.Set("versions", Napi::Function::New(env, Versions, "versions"));
  exports.Set("serializedDomains", Napi::Function::New(env, SerializedDomains, "serializedDomains"));
  return exports;
}

}  // namespace

NODE_API_MODULE(iochunt, Init)
