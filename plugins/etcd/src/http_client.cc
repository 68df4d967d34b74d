#include "http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <thread>

namespace kreg {
namespace etcd {

namespace {

using std::chrono::milliseconds;

size_t AppendToString(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// libcurl's own account of a failure (CURLOPT_ERRORBUFFER: which
// certificate check failed, say), or the code's generic text.
std::string CurlError(CURLcode rc, const char* detail) {
  return detail[0] != '\0' ? detail : curl_easy_strerror(rc);
}

// What to check of TLS, from the options set; "" without TLS.
std::string TlsHint(const Options& o) {
  const bool tls = std::any_of(o.endpoints.begin(), o.endpoints.end(),
                               [](const std::string& e) { return e.rfind("https://", 0) == 0; });
  if (!tls) return "";
  return std::string(", that ") + (o.tls.ca_file.empty() ? "the system's CAs trust" : "ca_file signed") +
         " its certificate, and " +
         (o.tls.cert_file.empty() ? "that it wants no client certificate (else set cert_file and key_file)"
                                  : "that it trusts the issuer of cert_file");
}

milliseconds Remaining(Clock::time_point deadline) {
  return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
}

// etcd refuses a request without a token with InvalidArgument "user name
// is empty", one with an expired token with Unauthenticated.
constexpr const char* kNoToken = "user name is empty";

Status MapError(const std::string& what, int code, const std::string& message, bool authenticating) {
  const std::string text = what + ": etcd answered \"" + message + "\"";
  if (message.find(kNoToken) != std::string::npos) {
    return Status::PermissionDenied(text + "; etcd has authentication on: set username and password_env");
  }
  switch (code) {
    case kGrpcPermissionDenied:
      return Status::PermissionDenied(text + "; give the user a role that may write the registry's keys");
    case kGrpcInvalidArgument:
      // etcd answers a wrong password with InvalidArgument.
      if (authenticating) return Status::PermissionDenied(text + "; check username and password_env");
      return Status::InvalidArgument(text);
    case 8:  // ResourceExhausted: "request is too large"
      return Status::InvalidArgument(text);
    case kGrpcNotFound:
      return Status::NotFound(text);
    case kGrpcDeadlineExceeded:
      return Status::Timeout(text);
    case kGrpcUnavailable:
    case kGrpcOutOfRange:
      return Status::Unavailable(text);
    default:
      return Status::Internal(text);
  }
}

}  // namespace

bool HttpClient::NeedsToken(int code, const Status& status) {
  return code == kGrpcUnauthenticated || status.message().find(kNoToken) != std::string::npos;
}

std::string StringField(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t Int64Field(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_string()) {
    try {
      return std::stoll(it->get<std::string>());
    } catch (const std::exception&) {
      return 0;
    }
  }
  return 0;
}

HttpClient::HttpClient(const Options& options, plugin::Logger log) : options_(options), log_(std::move(log)) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

HttpClient::~HttpClient() {
  for (void* h : pool_) curl_easy_cleanup(static_cast<CURL*>(h));
}

std::string HttpClient::EndpointList() const {
  std::string list;
  for (const std::string& e : options_.endpoints) list += (list.empty() ? "" : ", ") + e;
  return list;
}

void* HttpClient::Acquire() {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (!pool_.empty()) {
      void* h = pool_.back();
      pool_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void HttpClient::Release(void* handle) {
  std::lock_guard<std::mutex> lock(pool_mu_);
  pool_.push_back(handle);
}

std::string HttpClient::Token() const {
  std::lock_guard<std::mutex> lock(token_mu_);
  return token_;
}

void HttpClient::Prepare(void* handle, const std::string& url, const std::string& body, bool with_token,
                         curl_slist** headers) const {
  CURL* h = static_cast<CURL*>(handle);
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(h, CURLOPT_COPYPOSTFIELDS, body.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  if (!options_.tls.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.tls.ca_file.c_str());
  if (!options_.tls.cert_file.empty()) {
    curl_easy_setopt(h, CURLOPT_SSLCERT, options_.tls.cert_file.c_str());
    curl_easy_setopt(h, CURLOPT_SSLKEY, options_.tls.key_file.c_str());
  }
  *headers = curl_slist_append(nullptr, "Content-Type: application/json");
  // libcurl would otherwise wait a second for "100 Continue" on large bodies.
  *headers = curl_slist_append(*headers, "Expect:");
  std::string token = with_token ? Token() : std::string();
  if (!token.empty()) *headers = curl_slist_append(*headers, ("Authorization: " + token).c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, *headers);
}

Status HttpClient::Authenticate(Clock::time_point deadline) {
  json request = {{"name", options_.username}, {"password", options_.password}};
  json reply;
  int code = 0;
  // The old token stays in use by other threads until the new one is here:
  // a request without a token is refused ("user name is empty").
  Status s = Send("etcd: authenticating user \"" + options_.username + "\"", "/v3/auth/authenticate", request.dump(),
                  &reply, deadline, &code, /*authenticating=*/true);
  std::lock_guard<std::mutex> lock(token_mu_);
  if (!s.ok() && code == kGrpcFailedPrecondition) {
    // "authentication is not enabled": the server takes requests without a token.
    if (!auth_checked_) log_.Warn("etcd: the server has authentication off; username \"" + options_.username + "\" is not used");
    auth_checked_ = true;
    return Status::OK();
  }
  if (!s.ok()) return s;
  token_ = reply.value("token", "");
  auth_checked_ = true;
  return Status::OK();
}

Status HttpClient::Call(const std::string& what, const char* path, const json& request, json* reply,
                        Clock::time_point deadline, int* code) {
  if (!options_.username.empty()) {
    bool checked;
    {
      std::lock_guard<std::mutex> lock(token_mu_);
      checked = auth_checked_;
    }
    if (!checked) {
      Status s = Authenticate(deadline);
      if (!s.ok()) return s;
    }
  }
  const std::string body = request.dump();
  int grpc = 0;
  Status s = Send(what, path, body, reply, deadline, &grpc, false);
  if (NeedsToken(grpc, s) && !options_.username.empty()) {
    // The token expired (or the server restarted): fetch another, once.
    Status a = Authenticate(deadline);
    if (!a.ok()) return a;
    s = Send(what, path, body, reply, deadline, &grpc, false);
  }
  if (code != nullptr) *code = grpc;
  return s;
}

Status HttpClient::Send(const std::string& what, const char* path, const std::string& body, json* reply,
                        Clock::time_point deadline, int* code, bool authenticating) {
  const size_t n = options_.endpoints.size();
  std::vector<std::string> failures(n);
  std::vector<bool> definite(n, false);  // failures[i] is an answer, not a timeout
  bool timed_out = false;
  const size_t start = preferred_.load();
  *code = 0;
  for (int round = 0;; ++round) {
    for (size_t k = 0; k < n; ++k) {
      milliseconds remaining = Remaining(deadline);
      if (remaining.count() == 0) break;
      const size_t i = (start + k) % n;
      // With several endpoints one that accepts and never answers (a stopped
      // process) must leave time for the others.
      milliseconds attempt = n == 1 ? remaining : std::min(remaining, std::max(remaining / 2, milliseconds(250)));
      CURL* h = static_cast<CURL*>(Acquire());
      curl_slist* headers = nullptr;
      std::string answer;
      Prepare(h, options_.endpoints[i] + path, body, /*with_token=*/!authenticating, &headers);
      curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &AppendToString);
      curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer);
      curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<int64_t>(1, attempt.count())));
      char curl_detail[CURL_ERROR_SIZE] = "";
      curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_detail);
      CURLcode rc = curl_easy_perform(h);
      curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);  // a pooled handle outlives curl_detail
      long http_status = 0;
      curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http_status);
      curl_slist_free_all(headers);
      curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
      if (rc != CURLE_OK) {
        curl_easy_cleanup(h);  // a broken connection is not pooled
        // The last attempt gets what time is left, maybe too little for a
        // handshake: its timeout says less than the endpoint's refusal before.
        if (rc == CURLE_OPERATION_TIMEDOUT && definite[i]) continue;
        failures[i] = options_.endpoints[i] + ": " + CurlError(rc, curl_detail);
        definite[i] = rc != CURLE_OPERATION_TIMEDOUT;
        timed_out = timed_out || rc == CURLE_OPERATION_TIMEDOUT;
        continue;
      }
      Release(h);
      json parsed = json::parse(answer, nullptr, /*allow_exceptions=*/false);
      if (!parsed.is_object()) {
        failures[i] = options_.endpoints[i] + ": answered HTTP " + std::to_string(http_status) +
                      " without etcd's JSON (is this an etcd v3 endpoint?)";
        continue;
      }
      if (http_status == 200 && !parsed.contains("code") && !parsed.contains("error")) {
        preferred_.store(i);
        *reply = std::move(parsed);
        return Status::OK();
      }
      // A unary call answers {"error": "...", "code": N}, a streaming one
      // (lease keepalive) {"error": {"grpc_code": N, "message": "..."}}.
      auto nested = parsed.find("error");
      const bool streamed = nested != parsed.end() && nested->is_object();
      const json& detail = streamed ? *nested : parsed;
      *code = static_cast<int>(Int64Field(detail, streamed ? "grpc_code" : "code"));
      std::string message = StringField(detail, "message");
      if (message.empty()) message = StringField(detail, "error");
      if (message.empty()) message = "HTTP " + std::to_string(http_status);
      // The gateway answers its own deadline (a member without a leader
      // holds the request) as Unknown, "context deadline exceeded".
      const bool expired = *code == kGrpcDeadlineExceeded || message.find("deadline exceeded") != std::string::npos;
      if (*code == kGrpcUnavailable || expired) {
        failures[i] = options_.endpoints[i] + ": " + message;
        timed_out = timed_out || expired;
        continue;
      }
      preferred_.store(i);
      return MapError(what, *code, message, authenticating);
    }
    milliseconds remaining = Remaining(deadline);
    if (remaining.count() == 0) break;
    std::this_thread::sleep_for(std::min(remaining, milliseconds(std::min(50 * (round + 1), 500))));
  }
  std::string tried;
  for (const std::string& f : failures) {
    if (!f.empty()) tried += (tried.empty() ? "" : "; ") + f;
  }
  if (tried.empty()) tried = "no time left to try " + EndpointList();
  const std::string text = what + ": no etcd endpoint answered within " +
                           std::to_string(options_.timeout.count()) + " ms (" + tried + ")";
  if (timed_out) return Status::Timeout(text);
  return Status::Unavailable(text + "; check that etcd runs at addrs" + TlsHint(options_));
}

std::unique_ptr<HttpClient::Stream> HttpClient::NewStream() { return std::unique_ptr<Stream>(new Stream(this)); }

HttpClient::Stream::Stream(HttpClient* client) : client_(client), multi_(curl_multi_init()) {}

HttpClient::Stream::~Stream() { curl_multi_cleanup(static_cast<CURLM*>(multi_)); }

void HttpClient::Stream::Interrupt() {
  interrupted_.store(true);
  curl_multi_wakeup(static_cast<CURLM*>(multi_));
}

namespace {

// Splits a streamed answer into its newline-delimited JSON messages.
struct StreamState {
  const std::function<bool(const json&)>* on_message;
  std::string pending;
  Clock::time_point last_data;
  bool answered = false;
  bool stopped = false;  // on_message returned false
};

size_t OnStreamData(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<StreamState*>(user);
  state->last_data = Clock::now();
  state->pending.append(data, size * count);
  size_t begin = 0;
  for (size_t nl; !state->stopped && (nl = state->pending.find('\n', begin)) != std::string::npos; begin = nl + 1) {
    json message = json::parse(state->pending.begin() + begin, state->pending.begin() + nl, nullptr, false);
    if (message.is_discarded()) continue;
    state->answered = true;
    if (!(*state->on_message)(message)) state->stopped = true;
  }
  state->pending.erase(0, begin);
  return state->stopped ? 0 : size * count;  // 0 ends the transfer
}

}  // namespace

Status HttpClient::Stream::Run(const char* path, const json& request, size_t endpoint,
                               milliseconds idle_timeout, const std::function<bool(const json&)>& on_message,
                               const std::function<void()>& on_wake, bool* answered) {
  *answered = false;
  if (interrupted_.load()) return Status::OK();
  const std::string url = client_->endpoint(endpoint) + path;
  const bool authenticating = !client_->options_.username.empty();
  if (authenticating && client_->Token().empty()) {
    Status s = client_->Authenticate(Clock::now() + client_->options_.timeout);
    if (!s.ok()) return s;
  }
  bool token_refused = false;
  const std::function<bool(const json&)> checked = [&](const json& message) {
    auto error = message.find("error");
    if (error != message.end() && error->is_object()) {
      int code = static_cast<int>(Int64Field(*error, "grpc_code"));
      token_refused = NeedsToken(code, Status::Internal(error->value("message", "")));
    }
    return on_message(message);
  };
  CURL* h = curl_easy_init();
  curl_slist* headers = nullptr;
  client_->Prepare(h, url, request.dump(), /*with_token=*/true, &headers);
  // Ask the member to end the stream when it loses its leader (etcd's
  // "require leader" metadata), so a partitioned member cannot keep a watch
  // silently stale.
  headers = curl_slist_append(headers, "Grpc-Metadata-hasleader: true");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(client_->options_.timeout.count()));
  StreamState state{&checked, {}, Clock::now()};
  char curl_detail[CURL_ERROR_SIZE] = "";  // the handle is cleaned up below, before this goes
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_detail);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnStreamData);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &state);
  CURLM* multi = static_cast<CURLM*>(multi_);
  curl_multi_add_handle(multi, h);
  Status result;
  for (;;) {
    int running = 0;
    curl_multi_perform(multi, &running);
    int queued = 0;
    CURLMsg* msg = curl_multi_info_read(multi, &queued);
    if (msg != nullptr && msg->msg == CURLMSG_DONE) {
      CURLcode rc = msg->data.result;
      if (!state.stopped && !interrupted_.load()) {
        result = Status::Unavailable(url + ": the stream ended (" +
                                     (rc == CURLE_OK ? std::string("closed by the server") : CurlError(rc, curl_detail)) +
                                     ")");
      }
      break;
    }
    if (state.stopped || interrupted_.load()) break;
    on_wake();
    if (Clock::now() - state.last_data > idle_timeout) {
      result = Status::Timeout(url + ": the stream brought nothing for " + std::to_string(idle_timeout.count()) +
                                   " ms");
      break;
    }
    curl_multi_poll(multi, nullptr, 0, 200, nullptr);
  }
  curl_multi_remove_handle(multi, h);
  curl_easy_cleanup(h);
  curl_slist_free_all(headers);
  *answered = state.answered;
  if (authenticating && token_refused) {
    // The token expired: the next stream carries a new one.
    Status s = client_->Authenticate(Clock::now() + client_->options_.timeout);
    if (!s.ok()) return s;
  }
  return result;
}

}  // namespace etcd
}  // namespace kreg
