// URL normalisation, mirroring splitUrl/fullKey/schemelessKey in src/indicators/url.ts.
#pragma once
#include <string>

#include "char_class.h"

namespace iochunt {

struct UrlParts {
  std::string scheme, userinfo, host, port, pathQuery;
};

inline bool AllDigits(const std::string& s, size_t from) {
  for (size_t i = from; i < s.size(); i++)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

inline void LowerAscii(std::string& s) {
  for (auto& c : s) c = static_cast<char>(Lower(static_cast<uint8_t>(c)));
}

inline bool SplitUrl(const std::string& url, UrlParts& p) {
  size_t sep = url.find("://");
  if (sep == std::string::npos || sep == 0) return false;
  p.scheme.assign(url, 0, sep);
  LowerAscii(p.scheme);
  size_t restStart = sep + 3;
  size_t authEnd = url.size();
  for (size_t i = restStart; i < url.size(); i++) {
    char c = url[i];
    if (c == '/' || c == '?' || c == '#') {
      authEnd = i;
      break;
    }
  }
  std::string authority(url, restStart, authEnd - restStart);
  size_t at = authority.rfind('@');
  std::string hostPort;
  if (at == std::string::npos) {
    p.userinfo.clear();
    hostPort = authority;
  } else {
    p.userinfo.assign(authority, 0, at + 1);
    hostPort.assign(authority, at + 1, std::string::npos);
  }
  p.port.clear();
  if (!hostPort.empty() && hostPort[0] == '[') {
    size_t close = hostPort.find(']');
    if (close == std::string::npos) {
      p.host = hostPort;
    } else {
      p.host.assign(hostPort, 0, close + 1);
      std::string after(hostPort, close + 1, std::string::npos);
      if (!after.empty() && after[0] == ':' && AllDigits(after, 1)) p.port.assign(after, 1, std::string::npos);
      else if (!after.empty()) p.host = hostPort;
    }
  } else {
    size_t colon = hostPort.rfind(':');
    if (colon != std::string::npos && AllDigits(hostPort, colon + 1)) {
      p.host.assign(hostPort, 0, colon);
      p.port.assign(hostPort, colon + 1, std::string::npos);
    } else {
      p.host = hostPort;
    }
  }
  LowerAscii(p.host);
  if (!p.host.empty() && p.host.back() == '.') p.host.pop_back();
  if (p.host.empty()) return false;
  const char* def = nullptr;
  if (p.scheme == "http" || p.scheme == "ws") def = "80";
  else if (p.scheme == "https" || p.scheme == "wss") def = "443";
  else if (p.scheme == "ftp") def = "21";
  if (def && p.port == def) p.port.clear();
  p.pathQuery.assign(url, authEnd, std::string::npos);
  size_t hash = p.pathQuery.find('#');
  if (hash != std::string::npos) p.pathQuery.resize(hash);
  if (p.pathQuery.empty() || p.pathQuery[0] == '?') p.pathQuery.insert(p.pathQuery.begin(), '/');
  return true;
}

inline void SchemelessKey(const UrlParts& p, const std::string& pathQuery, std::string& out) {
  out.clear();
  out += p.userinfo;
  out += p.host;
  if (!p.port.empty()) {
    out += ':';
    out += p.port;
  }
  out += pathQuery;
}

inline void FullKey(const UrlParts& p, const std::string& pathQuery, std::string& out) {
  std::string tail;
  SchemelessKey(p, pathQuery, tail);
  out.clear();
  out += p.scheme;
  out += "://";
  out += tail;
}

}  // namespace iochunt
