// HttpClient: etcd's v3 API as JSON over HTTP (the gRPC gateway, paths
// /v3/...), on libcurl. It owns what every call shares: the endpoints (tried
// in turn, starting with the last that answered), the auth token (fetched
// with the username and password, fetched again when it expires; neither is
// ever logged), TLS, and a pool of connections kept alive between calls.
//
// Thread-safe: any number of threads may Call at once, each on a pooled
// connection of its own. A Stream runs on its caller's thread, on a
// connection of its own; Interrupt() may be called from any thread.
#ifndef KREG_PLUGINS_ETCD_HTTP_CLIENT_H_
#define KREG_PLUGINS_ETCD_HTTP_CLIENT_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

struct curl_slist;

#include "kreg/plugin.hpp"
#include "kreg/status.hpp"
#include "options.h"

namespace kreg {
namespace etcd {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

// gRPC status codes etcd answers with (the gateway's "code" field).
enum GrpcCode : int {
  kGrpcOk = 0,
  kGrpcInvalidArgument = 3,
  kGrpcDeadlineExceeded = 4,
  kGrpcNotFound = 5,
  kGrpcPermissionDenied = 7,
  kGrpcFailedPrecondition = 9,
  kGrpcOutOfRange = 11,
  kGrpcUnavailable = 14,
  kGrpcUnauthenticated = 16,
};

class HttpClient {
 public:
  HttpClient(const Options& options, plugin::Logger log);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // POSTs `request` to `path` ("/v3/kv/put") and parses the answer into
  // *reply. Connection failures and "unavailable" answers (no leader, a
  // leader change) move on to the next endpoint and, after a round of them
  // all, try again until `deadline`: then UNAVAILABLE (or TIMEOUT when an
  // endpoint took the request and did not answer), naming every endpoint
  // tried. An error etcd answers is mapped to a Status (PERMISSION_DENIED,
  // INVALID_ARGUMENT, NOT_FOUND, ...) whose message starts with `what`; its
  // gRPC code goes to *code when given.
  Status Call(const std::string& what, const char* path, const json& request, json* reply, Clock::time_point deadline,
              int* code = nullptr);

  // A streaming call (watch): POSTs `request` to `path` on one endpoint and
  // hands each JSON message of the answer to `on_message` as it arrives,
  // until on_message returns false, the connection breaks, nothing arrives
  // for `idle_timeout`, or Interrupt() is called; `on_wake` runs about every
  // 200 ms and after each batch of data. `endpoint` picks the
  // endpoint (taken modulo their number); *answered tells whether any
  // message came. Returns OK when on_message or Interrupt ended it,
  // TIMEOUT when it was idle too long, otherwise why it ended.
  class Stream {
   public:
    ~Stream();
    // Ends a Run in progress, or the next one, from any thread.
    void Interrupt();
    Status Run(const char* path, const json& request, size_t endpoint, std::chrono::milliseconds idle_timeout,
               const std::function<bool(const json&)>& on_message, const std::function<void()>& on_wake,
               bool* answered);

   private:
    friend class HttpClient;
    explicit Stream(HttpClient* client);
    HttpClient* client_;
    void* multi_;  // CURLM*
    std::atomic<bool> interrupted_{false};
  };
  std::unique_ptr<Stream> NewStream();

  size_t endpoint_count() const { return options_.endpoints.size(); }
  // The endpoint that answered last, for a stream to start on.
  size_t preferred_endpoint() const { return preferred_.load(); }
  std::string endpoint(size_t i) const { return options_.endpoints[i % options_.endpoints.size()]; }
  std::string EndpointList() const;

 private:
  struct Attempt;
  void* Acquire();  // CURL*, from the pool or new
  void Release(void* handle);
  // Sets what every request carries: URL, TLS, headers (with the token,
  // unless this is the request that fetches one).
  void Prepare(void* handle, const std::string& url, const std::string& body, bool with_token,
               struct curl_slist** headers) const;
  std::string Token() const;
  // Whether an answer says the token is missing or expired.
  static bool NeedsToken(int code, const Status& status);
  // One round of Call: no token fetching, except that `authenticating` sends
  // the request without a token.
  Status Send(const std::string& what, const char* path, const std::string& body, json* reply,
              Clock::time_point deadline, int* code, bool authenticating);
  // Fetches a token with the username and password. OK with no token when
  // the server has authentication off.
  Status Authenticate(Clock::time_point deadline);

  const Options options_;
  const plugin::Logger log_;
  std::atomic<size_t> preferred_{0};

  mutable std::mutex token_mu_;
  std::string token_;       // never logged
  bool auth_checked_ = false;  // Authenticate ran once (token_ may still be empty: auth off)

  std::mutex pool_mu_;
  std::vector<void*> pool_;
};

// A string field of an etcd answer; "" when absent or not a string.
std::string StringField(const json& object, const char* name);

// An int64 field of an etcd answer: the gateway writes them as JSON strings
// and leaves out zero values.
int64_t Int64Field(const json& object, const char* name);

}  // namespace etcd
}  // namespace kreg

#endif  // KREG_PLUGINS_ETCD_HTTP_CLIENT_H_
