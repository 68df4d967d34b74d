#include "raw_etcd.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace kreg {
namespace bench {

namespace {

const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "kreg-bench: raw etcd client: %s\n", what.c_str());
  std::exit(1);
}

// curl_global_init is not thread-safe: the first client makes the call
// before any thread of the benchmark uses curl.
void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) Fail("curl_global_init failed");
  });
}

size_t AppendTo(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// JSON headers, and no "Expect: 100-continue" round trip before a large
// body (a batch of puts).
curl_slist* JsonHeaders() {
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  return curl_slist_append(headers, "Expect:");
}

int64_t Int64Field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return 0;  // the gateway leaves out a zero
  return it->is_string() ? std::stoll(it->get<std::string>()) : it->get<int64_t>();
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = uint8_t(bytes[i]) << 16 | uint8_t(bytes[i + 1]) << 8 | uint8_t(bytes[i + 2]);
    out += {kAlphabet[n >> 18], kAlphabet[n >> 12 & 63], kAlphabet[n >> 6 & 63], kAlphabet[n & 63]};
  }
  if (i + 1 == bytes.size()) {
    uint32_t n = uint8_t(bytes[i]) << 16;
    out += {kAlphabet[n >> 18], kAlphabet[n >> 12 & 63], '=', '='};
  } else if (i + 2 == bytes.size()) {
    uint32_t n = uint8_t(bytes[i]) << 16 | uint8_t(bytes[i + 1]) << 8;
    out += {kAlphabet[n >> 18], kAlphabet[n >> 12 & 63], kAlphabet[n >> 6 & 63], '='};
  }
  return out;
}

std::string Base64Decode(std::string_view text) {
  static const auto table = [] {
    std::array<int8_t, 256> t;
    t.fill(-1);
    for (int i = 0; i < 64; ++i) t[uint8_t(kAlphabet[i])] = static_cast<int8_t>(i);
    return t;
  }();
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    if (c == '=') break;
    int8_t v = table[uint8_t(c)];
    if (v < 0) Fail("etcd sent a key or value that is not base64");
    bits = bits << 6 | uint32_t(v);
    if (++count == 4) {
      out += {char(bits >> 16), char(bits >> 8 & 255), char(bits & 255)};
      bits = 0;
      count = 0;
    }
  }
  if (count == 2) out += char(bits >> 4);
  if (count == 3) out += {char(bits >> 10), char(bits >> 2 & 255)};
  return out;
}

std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty() && uint8_t(prefix.back()) == 0xff) prefix.pop_back();
  if (prefix.empty()) return std::string(1, '\0');  // every key
  prefix.back() = char(uint8_t(prefix.back()) + 1);
  return prefix;
}

RawEtcd::RawEtcd(const std::string& addr) : base_url_("http://" + addr) {
  InitCurlOnce();
  curl_ = curl_easy_init();
  headers_ = JsonHeaders();
  if (curl_ == nullptr) Fail("curl_easy_init failed");
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &AppendTo);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &answer_);
  curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 60000L);
  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
}

RawEtcd::~RawEtcd() {
  curl_easy_cleanup(curl_);
  curl_slist_free_all(headers_);
}

nlohmann::json RawEtcd::Call(const std::string& path, const nlohmann::json& body) {
  const std::string url = base_url_ + path, text = body.dump();
  answer_.clear();
  curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, text.c_str());
  curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(text.size()));
  CURLcode rc = curl_easy_perform(curl_);
  if (rc != CURLE_OK) Fail("POST " + url + ": " + curl_easy_strerror(rc));
  long status = 0;
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) Fail("POST " + url + ": HTTP " + std::to_string(status) + ": " + answer_.substr(0, 300));
  nlohmann::json answer = nlohmann::json::parse(answer_, nullptr, /*allow_exceptions=*/false);
  if (answer.is_discarded()) Fail("POST " + url + ": an answer that is not JSON: " + answer_.substr(0, 300));
  return answer;
}

int64_t RawEtcd::GrantLease(int ttl_seconds) {
  return Int64Field(Call("/v3/lease/grant", {{"TTL", std::to_string(ttl_seconds)}}), "ID");
}

void RawEtcd::KeepAlive(int64_t lease) {
  nlohmann::json answer = Call("/v3/lease/keepalive", {{"ID", std::to_string(lease)}});
  if (Int64Field(answer.value("result", nlohmann::json::object()), "TTL") <= 0) Fail("the lease has expired");
}

void RawEtcd::Revoke(int64_t lease) { Call("/v3/lease/revoke", {{"ID", std::to_string(lease)}}); }

bool RawEtcd::PutIfAbsent(const std::string& key, const std::string& value, int64_t lease) {
  const std::string key64 = Base64Encode(key);
  nlohmann::json compare = {{"key", key64}, {"target", "CREATE"}, {"result", "EQUAL"}, {"create_revision", "0"}};
  nlohmann::json put = {{"key", key64}, {"value", Base64Encode(value)}, {"lease", std::to_string(lease)}};
  nlohmann::json answer = Call("/v3/kv/txn", {{"compare", nlohmann::json::array({compare})},
                                              {"success", nlohmann::json::array({{{"request_put", put}}})},
                                              {"failure", nlohmann::json::array({{{"request_range", {{"key", key64}}}}})}});
  return answer.value("succeeded", false);
}

void RawEtcd::PutBatch(const std::vector<KeyValue>& pairs, int64_t lease) {
  const size_t kMaxOps = 128;
  for (size_t from = 0; from < pairs.size(); from += kMaxOps) {
    nlohmann::json success = nlohmann::json::array();
    for (size_t i = from; i < std::min(pairs.size(), from + kMaxOps); ++i) {
      success.push_back({{"request_put",
                          {{"key", Base64Encode(pairs[i].key)},
                           {"value", Base64Encode(pairs[i].value)},
                           {"lease", std::to_string(lease)}}}});
    }
    Call("/v3/kv/txn", {{"success", success}});
  }
}

std::vector<KeyValue> RawEtcd::RangePrefix(const std::string& prefix, int page, int64_t* revision) {
  std::vector<KeyValue> out;
  const std::string end = Base64Encode(PrefixEnd(prefix));
  std::string from = prefix;
  int64_t at_revision = 0;
  for (;;) {
    nlohmann::json request = {{"key", Base64Encode(from)}, {"range_end", end}};
    if (page > 0) request["limit"] = std::to_string(page);
    // Every page at the first page's revision: one consistent snapshot.
    if (at_revision > 0) request["revision"] = std::to_string(at_revision);
    nlohmann::json answer = Call("/v3/kv/range", request);
    if (at_revision == 0) at_revision = Int64Field(answer["header"], "revision");
    for (const auto& kv : answer.value("kvs", nlohmann::json::array())) {
      out.push_back({Base64Decode(kv["key"].get<std::string>()), Base64Decode(kv.value("value", ""))});
    }
    if (!answer.value("more", false) || out.empty()) break;
    from = out.back().key + '\0';
  }
  if (revision != nullptr) *revision = at_revision;
  return out;
}

RawEtcdWatch::RawEtcdWatch(const std::string& addr, const std::string& prefix, int64_t start_revision, OnPut on_put)
    : on_put_(std::move(on_put)) {
  InitCurlOnce();
  nlohmann::json create = {{"key", Base64Encode(prefix)}, {"range_end", Base64Encode(PrefixEnd(prefix))}};
  if (start_revision > 0) create["start_revision"] = std::to_string(start_revision);
  request_ = nlohmann::json{{"create_request", create}}.dump();
  const std::string url = "http://" + addr + "/v3/watch";
  multi_ = curl_multi_init();
  curl_ = curl_easy_init();
  headers_ = JsonHeaders();
  if (multi_ == nullptr || curl_ == nullptr) Fail("curl_multi_init or curl_easy_init failed");
  curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
  curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, request_.c_str());
  curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(request_.size()));
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &RawEtcdWatch::OnBytes);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
  curl_multi_add_handle(multi_, curl_);
  thread_ = std::thread([this] { Run(); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!created_) {
    if (std::chrono::steady_clock::now() > deadline) Fail("the watch of " + prefix + " was not created in 10 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

RawEtcdWatch::~RawEtcdWatch() {
  stop_ = true;
  curl_multi_wakeup(multi_);
  thread_.join();
  curl_multi_remove_handle(multi_, curl_);
  curl_easy_cleanup(curl_);
  curl_multi_cleanup(multi_);
  curl_slist_free_all(headers_);
}

void RawEtcdWatch::Run() {
  while (!stop_) {
    int running = 0;
    if (curl_multi_perform(multi_, &running) != CURLM_OK) Fail("curl_multi_perform failed on the watch");
    if (running == 0) {
      if (!stop_) Fail("etcd ended the watch stream");
      break;
    }
    curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
  }
}

size_t RawEtcdWatch::OnBytes(char* data, size_t size, size_t count, void* self) {
  auto* watch = static_cast<RawEtcdWatch*>(self);
  watch->pending_.append(data, size * count);
  size_t start = 0;
  for (size_t nl; (nl = watch->pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
    watch->OnLine(watch->pending_.substr(start, nl - start));
  }
  watch->pending_.erase(0, start);
  return size * count;
}

void RawEtcdWatch::OnLine(const std::string& line) {
  nlohmann::json message = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded()) Fail("the watch stream sent a line that is not JSON: " + line.substr(0, 300));
  if (message.contains("error")) Fail("the watch stream failed: " + line.substr(0, 300));
  auto at = message.find("result");
  if (at == message.end()) return;
  const nlohmann::json& result = *at;
  if (result.value("created", false)) created_ = true;
  for (const auto& event : result.value("events", nlohmann::json::array())) {
    if (event.value("type", "PUT") != "PUT") continue;  // the gateway leaves out PUT, the zero
    const nlohmann::json& kv = event["kv"];
    on_put_(Base64Decode(kv["key"].get<std::string>()), Base64Decode(kv.value("value", "")));
  }
}

}  // namespace bench
}  // namespace kreg
