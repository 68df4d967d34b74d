#include "kv.h"

#include "base64.h"

namespace kreg {
namespace etcd {

namespace {

constexpr int64_t kRangePage = 5000;

json PutRequest(const std::string& key, const std::string& value, int64_t lease) {
  json put = {{"key", Base64Encode(key)}, {"value", Base64Encode(value)}};
  if (lease != 0) put["lease"] = std::to_string(lease);
  return put;
}

int64_t HeaderRevision(const json& reply) {
  auto header = reply.find("header");
  return header == reply.end() ? 0 : Int64Field(*header, "revision");
}

}  // namespace

bool KeyValueFromJson(const json& j, KeyValue* out) {
  if (!j.is_object()) return false;
  if (!Base64Decode(j.value("key", ""), &out->key)) return false;
  if (!Base64Decode(j.value("value", ""), &out->value)) return false;
  out->create_revision = Int64Field(j, "create_revision");
  out->mod_revision = Int64Field(j, "mod_revision");
  out->version = Int64Field(j, "version");
  out->lease = Int64Field(j, "lease");
  return true;
}

Status Kv::Range(const std::string& what, const std::string& key, const std::string& range_end, int64_t revision,
                 bool keys_only, std::vector<KeyValue>* out, int64_t* revision_read, Clock::time_point deadline,
                 int* code) {
  out->clear();
  std::string from = key;
  for (;;) {
    json request = {{"key", Base64Encode(from)}, {"range_end", Base64Encode(range_end)}, {"limit", kRangePage}};
    if (revision != 0) request["revision"] = std::to_string(revision);
    if (keys_only) request["keys_only"] = true;
    json reply;
    Status s = http_->Call(what, "/v3/kv/range", request, &reply, deadline, code);
    if (!s.ok()) return s;
    if (revision == 0) revision = HeaderRevision(reply);
    for (const json& kv : reply.value("kvs", json::array())) {
      KeyValue parsed;
      if (!KeyValueFromJson(kv, &parsed)) return Status::Corrupt(what + ": etcd answered a key that is not base64");
      out->push_back(std::move(parsed));
    }
    if (!reply.value("more", false) || out->empty()) break;
    from = out->back().key + std::string(1, '\0');
  }
  *revision_read = revision;
  return Status::OK();
}

Status Kv::PutUnless(const std::string& what, const json& compare, const std::string& key, const std::string& value,
                     int64_t lease, TxnResult* result, Clock::time_point deadline, int* code) {
  json request = {{"compare", json::array({compare})},
                  {"success", json::array({{{"request_put", PutRequest(key, value, lease)}}})},
                  {"failure", json::array({{{"request_range", {{"key", Base64Encode(key)}}}}})}};
  json reply;
  Status s = http_->Call(what, "/v3/kv/txn", request, &reply, deadline, code);
  if (!s.ok()) return s;
  *result = TxnResult();
  result->succeeded = reply.value("succeeded", false);
  if (result->succeeded) {
    result->revision = HeaderRevision(reply);
    return Status::OK();
  }
  for (const json& response : reply.value("responses", json::array())) {
    auto range = response.find("response_range");
    if (range == response.end()) continue;
    for (const json& kv : range->value("kvs", json::array())) {
      result->found = KeyValueFromJson(kv, &result->existing);
    }
  }
  return Status::OK();
}

Status Kv::PutIfAbsent(const std::string& what, const std::string& key, const std::string& value, int64_t lease,
                       TxnResult* result, Clock::time_point deadline, int* code) {
  json compare = {{"key", Base64Encode(key)}, {"target", "CREATE"}, {"result", "EQUAL"}, {"create_revision", "0"}};
  return PutUnless(what, compare, key, value, lease, result, deadline, code);
}

Status Kv::PutIfLease(const std::string& what, const std::string& key, const std::string& value, int64_t lease,
                      TxnResult* result, Clock::time_point deadline, int* code) {
  json compare = {{"key", Base64Encode(key)}, {"target", "LEASE"}, {"result", "EQUAL"}, {"lease", std::to_string(lease)}};
  return PutUnless(what, compare, key, value, lease, result, deadline, code);
}

Status Kv::Put(const std::string& what, const std::string& key, const std::string& value, int64_t* revision,
               Clock::time_point deadline) {
  json reply;
  Status s = http_->Call(what, "/v3/kv/put", PutRequest(key, value, 0), &reply, deadline);
  if (s.ok()) *revision = HeaderRevision(reply);
  return s;
}

Status Kv::Delete(const std::string& what, const std::string& key, int64_t* revision, Clock::time_point deadline) {
  json reply;
  Status s = http_->Call(what, "/v3/kv/deleterange", {{"key", Base64Encode(key)}}, &reply, deadline);
  if (s.ok()) *revision = Int64Field(reply, "deleted") > 0 ? HeaderRevision(reply) : 0;
  return s;
}

Status Kv::DeleteIfLease(const std::string& what, const std::string& key, int64_t lease, int64_t* revision,
                         Clock::time_point deadline) {
  json request = {
      {"compare", json::array({{{"key", Base64Encode(key)}, {"target", "LEASE"}, {"result", "EQUAL"},
                                 {"lease", std::to_string(lease)}}})},
      {"success", json::array({{{"request_delete_range", {{"key", Base64Encode(key)}}}}})}};
  json reply;
  Status s = http_->Call(what, "/v3/kv/txn", request, &reply, deadline);
  if (!s.ok()) return s;
  *revision = 0;
  if (reply.value("succeeded", false)) {
    for (const json& response : reply.value("responses", json::array())) {
      auto del = response.find("response_delete_range");
      if (del != response.end() && Int64Field(*del, "deleted") > 0) *revision = HeaderRevision(reply);
    }
  }
  return Status::OK();
}

Status Kv::LeaseGrant(int64_t ttl_seconds, int64_t* id, Clock::time_point deadline) {
  json reply;
  Status s = http_->Call("etcd: granting the backend's lease", "/v3/lease/grant",
                         {{"TTL", std::to_string(ttl_seconds)}}, &reply, deadline);
  if (!s.ok()) return s;
  *id = Int64Field(reply, "ID");
  if (*id == 0) return Status::Internal("etcd: granting the backend's lease: the answer has no lease ID");
  return Status::OK();
}

Status Kv::LeaseKeepAlive(int64_t id, int64_t* ttl, Clock::time_point deadline) {
  json reply;
  Status s = http_->Call("etcd: renewing the backend's lease", "/v3/lease/keepalive",
                         {{"ID", std::to_string(id)}}, &reply, deadline);
  if (!s.ok()) return s;
  // A one-shot POST to the streaming call: the answer is {"result": {...}}.
  const json& result = reply.contains("result") ? reply["result"] : reply;
  *ttl = Int64Field(result, "TTL");
  return Status::OK();
}

Status Kv::LeaseRevoke(int64_t id, Clock::time_point deadline) {
  json reply;
  int code = 0;
  Status s = http_->Call("etcd: revoking the backend's lease", "/v3/lease/revoke", {{"ID", std::to_string(id)}},
                         &reply, deadline, &code);
  return code == kGrpcNotFound ? Status::OK() : s;
}

}  // namespace etcd
}  // namespace kreg
