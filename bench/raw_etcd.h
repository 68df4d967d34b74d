// The ceiling for the etcd backend: the HTTP calls kreg's etcd plugin makes
// to etcd's v3 JSON gateway, made with libcurl directly and nothing else.
// Keys and values travel base64-encoded, int64s as decimal strings.
#ifndef KREG_BENCH_RAW_ETCD_H_
#define KREG_BENCH_RAW_ETCD_H_

#include <curl/curl.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace kreg {
namespace bench {

std::string Base64Encode(std::string_view bytes);
// Aborts the benchmark on text that is not base64 (etcd sent it).
std::string Base64Decode(std::string_view text);
// The range_end that makes a range of `prefix` cover every key under it.
std::string PrefixEnd(std::string prefix);

struct KeyValue {
  std::string key;
  std::string value;
};

// One keep-alive connection (a curl easy handle): use one per thread.
// Every call aborts the benchmark when etcd does not answer 200 — a
// baseline that fails measures nothing.
class RawEtcd {
 public:
  explicit RawEtcd(const std::string& addr);  // "host:port"
  ~RawEtcd();
  RawEtcd(const RawEtcd&) = delete;
  RawEtcd& operator=(const RawEtcd&) = delete;

  // POSTs `body` to `path` ("/v3/kv/put") and returns the parsed answer.
  nlohmann::json Call(const std::string& path, const nlohmann::json& body);

  int64_t GrantLease(int ttl_seconds);
  // One keepalive of `lease` (a one-shot POST /v3/lease/keepalive).
  void KeepAlive(int64_t lease);
  void Revoke(int64_t lease);
  // Register's call, as kreg's plugin makes it: one transaction that puts
  // `key` with `lease` when the key does not exist (its create_revision is
  // 0) and otherwise reads it. Returns whether it put.
  bool PutIfAbsent(const std::string& key, const std::string& value, int64_t lease);
  // Puts every pair with `lease` in transactions of at most 128 puts
  // (etcd's default --max-txn-ops).
  void PutBatch(const std::vector<KeyValue>& pairs, int64_t lease);
  // Every key under `prefix`, in key order, `page` keys per request (0:
  // one request); *revision (when given) is the store revision of the
  // first page, which a watch started after it should start from.
  std::vector<KeyValue> RangePrefix(const std::string& prefix, int page, int64_t* revision = nullptr);

 private:
  std::string base_url_;
  CURL* curl_ = nullptr;
  curl_slist* headers_ = nullptr;
  std::string answer_;
};

// A streaming POST /v3/watch of one prefix on a thread of its own, calling
// `on_put(key, value)` there for each PUT event, in order.
class RawEtcdWatch {
 public:
  using OnPut = std::function<void(const std::string& key, const std::string& value)>;
  // Returns once etcd has confirmed the watch (created), so a put made
  // after the constructor returns is seen.
  RawEtcdWatch(const std::string& addr, const std::string& prefix, int64_t start_revision, OnPut on_put);
  ~RawEtcdWatch();  // ends the stream and joins the thread
  RawEtcdWatch(const RawEtcdWatch&) = delete;
  RawEtcdWatch& operator=(const RawEtcdWatch&) = delete;

 private:
  static size_t OnBytes(char* data, size_t size, size_t count, void* self);
  void OnLine(const std::string& line);
  void Run();

  OnPut on_put_;
  CURLM* multi_ = nullptr;
  CURL* curl_ = nullptr;
  curl_slist* headers_ = nullptr;
  std::string request_;
  std::string pending_;  // bytes after the last newline
  std::atomic<bool> created_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace bench
}  // namespace kreg

#endif  // KREG_BENCH_RAW_ETCD_H_
