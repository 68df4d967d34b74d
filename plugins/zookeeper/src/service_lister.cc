#include "service_lister.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "kreg/data_model.hpp"
#include "kreg/json_format.hpp"
#include "kreg/validate.hpp"
#include "nodes.h"
#include "requests.h"
#include "mirrored_service.h"
#include "status.h"

namespace kreg {
namespace zk {

namespace {

// The nodes of a service that a listing reads.
enum class Node { kService, kInstanceDir, kPropertyDir, kProperty, kInstance };

// A read of one node of the service names[service].
struct Request {
  Node node = Node::kService;
  size_t service = 0;
  std::string id;  // kInstance only
  std::string path;
};

// A reply, as the completion thread hands it to the caller.
struct Arrival {
  Request request;
  Reply reply;
  size_t chained = 0;                    // reads of what it lists, issued by its completion
  std::vector<std::string> invalid_ids;  // kInstanceDir: children not read
};

// Enough requests in flight to hide the round trip, few enough to bound
// what is buffered.
constexpr size_t kListWindow = 2000;
// The caller is woken for this many replies, or by its poll.
constexpr size_t kWakeBatch = 64;
constexpr std::chrono::milliseconds kPoll{2};

ReadOp OpOf(Node node) {
  return node == Node::kProperty || node == Node::kInstance ? ReadOp::kGet : ReadOp::kGetChildren;
}

// True when `listing`, the children of child_path's parent, names it.
bool Lists(const Reply& listing, const std::string& child_path) {
  const std::string name = child_path.substr(child_path.rfind('/') + 1);
  return std::find(listing.children.begin(), listing.children.end(), name) != listing.children.end();
}

// What one listing shares between its caller and the completions of its
// requests. Each completion holds it, so one that arrives after the caller
// gave up finds it still there, and drops its reply.
class Listing : public std::enable_shared_from_this<Listing> {
 public:
  Listing(Session* session, const Layout& layout, const std::vector<std::string>& names)
      : session_(session), layout_(layout), names_(names) {}

  // Issues `requests`, keeping at most kListWindow in flight.
  void Queue(std::vector<Request> requests);
  // Moves the replies that arrived into *out (emptied first), waiting for
  // one until `deadline`; false when it passed first.
  bool Take(const Deadline& deadline, std::vector<Arrival>* out);
  // The caller is gone: nothing more is issued, later replies are dropped.
  void Abandon();

 private:
  void OnReply(Request request, Reply&& reply);  // on the completion thread
  // The reads of what `a` lists, for its completion to issue at once;
  // moves the children it does not read into a->invalid_ids.
  std::vector<Request> Chain(Arrival* a) const;
  void Deliver(Arrival a, std::vector<Request> chained);
  void Pump();  // issues from the backlog while the window has room
  void Issue(Request request);

  Session* const session_;
  // Copies: a completion may run after the caller's are gone.
  const Layout layout_;
  const std::vector<std::string> names_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request> backlog_;
  size_t in_flight_ = 0;
  std::vector<Arrival> arrived_;
  bool caller_waiting_ = false;
  bool abandoned_ = false;
};

void Listing::Queue(std::vector<Request> requests) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (Request& r : requests) backlog_.push_back(std::move(r));
  }
  Pump();
}

bool Listing::Take(const Deadline& deadline, std::vector<Arrival>* out) {
  out->clear();
  std::unique_lock<std::mutex> lock(mu_);
  while (arrived_.empty()) {
    if (deadline.passed()) return false;
    caller_waiting_ = true;
    // Woken for a batch (Deliver); the poll picks up the rest, and sees a
    // deadline cancelled from outside.
    cv_.wait_until(lock, std::min(deadline.at, Clock::now() + kPoll));
    caller_waiting_ = false;
  }
  out->swap(arrived_);
  return true;
}

void Listing::Abandon() {
  std::lock_guard<std::mutex> lock(mu_);
  abandoned_ = true;
  backlog_.clear();
  arrived_.clear();
}

std::vector<Request> Listing::Chain(Arrival* a) const {
  std::vector<Request> chained;
  const size_t service = a->request.service;
  const std::string& name = names_[service];
  switch (a->request.node) {
    case Node::kService:
      if (Lists(a->reply, layout_.PropertyDir(name))) {
        chained.push_back(Request{Node::kPropertyDir, service, "", layout_.PropertyDir(name)});
      }
      break;
    case Node::kPropertyDir:
      if (Lists(a->reply, layout_.Property(name))) {
        chained.push_back(Request{Node::kProperty, service, "", layout_.Property(name)});
      }
      break;
    case Node::kInstanceDir:
      chained.reserve(a->reply.children.size());
      for (std::string& id : a->reply.children) {
        if (!ValidateName("instance id", id).ok()) {
          a->invalid_ids.push_back(std::move(id));
          continue;
        }
        std::string path = layout_.Instance(name, id);
        chained.push_back(Request{Node::kInstance, service, std::move(id), std::move(path)});
      }
      a->reply.children.clear();
      break;
    case Node::kProperty:
    case Node::kInstance:
      break;
  }
  return chained;
}

void Listing::OnReply(Request request, Reply&& reply) {
  Arrival a;
  a.request = std::move(request);
  a.reply = std::move(reply);
  std::vector<Request> chained;
  if (a.reply.rc == ZOK) chained = Chain(&a);
  Deliver(std::move(a), std::move(chained));
  Pump();
}

void Listing::Deliver(Arrival a, std::vector<Request> chained) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    --in_flight_;
    if (abandoned_) return;
    // A failure at once, the rest in batches: a wake-up per reply would
    // cost the server's threads more than the caller gains.
    const bool failed = a.reply.rc != ZOK && a.reply.rc != ZNONODE;
    a.chained = chained.size();
    arrived_.push_back(std::move(a));
    // First in line: what one service lists is read before more services
    // are, so its records reach the caller early and the backlog stays
    // short.
    for (auto it = chained.rbegin(); it != chained.rend(); ++it) backlog_.push_front(std::move(*it));
    wake = caller_waiting_ && (failed || arrived_.size() >= kWakeBatch || in_flight_ == 0);
  }
  if (wake) cv_.notify_one();
}

void Listing::Pump() {
  for (;;) {
    std::vector<Request> issuing;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (abandoned_) return;
      while (in_flight_ < kListWindow && !backlog_.empty()) {
        issuing.push_back(std::move(backlog_.front()));
        backlog_.pop_front();
        ++in_flight_;
      }
    }
    if (issuing.empty()) return;
    // Not under mu_: a completion of these may already be waiting for it.
    for (Request& r : issuing) Issue(std::move(r));
  }
}

void Listing::Issue(Request request) {
  const Node node = request.node;
  const size_t service = request.service;
  std::string id = request.id;  // kept for a refusal, which destroys `request`
  Read read{OpOf(node), request.path};
  int rc = ReadAsync(session_, read, /*watch=*/false,
                     [self = shared_from_this(), request = std::move(request)](Reply&& reply) mutable {
                       self->OnReply(std::move(request), std::move(reply));
                     });
  if (rc == ZOK) return;
  Arrival refused;
  refused.request = Request{node, service, std::move(id), std::move(read.path)};
  refused.reply.rc = rc;
  Deliver(std::move(refused), {});
}

// What the caller has gathered of one service.
struct Gathered {
  bool deleted = false;  // since the root was listed
  size_t pending = 0;    // its reads not answered yet
  int64_t instance_dir_pzxid = 0;
  int64_t property_dir_pzxid = 0;
  int64_t max_instance_mzxid = 0;  // malformed ones included
  bool has_property = false;
  Property property;  // version = mzxid, also of a malformed one
  Service service;
};

// Takes in what `a` answered of service `name`; a failure is the listing's.
Status Apply(const plugin::Logger& log, const std::string& name, Arrival* a, Gathered* g) {
  const Request& r = a->request;
  const Reply& reply = a->reply;
  switch (r.node) {
    case Node::kService:
      if (reply.rc == ZNONODE) g->deleted = true;
      return reply.rc == ZOK || reply.rc == ZNONODE ? Status::OK() : ZkStatus(reply.rc, "read", r.path);
    case Node::kInstanceDir:
      if (reply.rc == ZNONODE) return Status::OK();
      if (reply.rc != ZOK) return ZkStatus(reply.rc, "list", r.path);
      g->instance_dir_pzxid = reply.stat.pzxid;
      for (const std::string& id : a->invalid_ids) {
        log.Warn("zookeeper: skipping node with an invalid instance id: " + r.path + "/" + id);
      }
      return Status::OK();
    case Node::kPropertyDir:
      // A deleted property leaves its trace only in its directory's pzxid.
      if (reply.rc == ZNONODE) return Status::OK();
      if (reply.rc != ZOK) return ZkStatus(reply.rc, "read", r.path);
      g->property_dir_pzxid = reply.stat.pzxid;
      return Status::OK();
    case Node::kProperty: {
      Stat stat;
      Status error;
      switch (DecodePropertyReply(reply, log, r.path, name, &g->property, &stat, &error)) {
        case ReadResult::kOk:
          g->has_property = true;
          break;
        case ReadResult::kMissing:
          break;
        case ReadResult::kMalformed:
          g->property = Property();
          g->property.version = stat.mzxid;  // counts in the version, merges nothing
          break;
        case ReadResult::kError:
          return error;
      }
      return Status::OK();
    }
    case Node::kInstance: {
      Instance instance;
      Stat stat;
      Status error;
      switch (DecodeInstanceReply(reply, log, r.path, name, r.id, &instance, &stat, &error)) {
        case ReadResult::kOk:
          g->max_instance_mzxid = std::max(g->max_instance_mzxid, instance.version);
          AddInstance(std::move(instance), &g->service);
          break;
        case ReadResult::kMissing:  // deleted since the listing
          break;
        case ReadResult::kMalformed:
          g->max_instance_mzxid = std::max(g->max_instance_mzxid, stat.mzxid);
          break;
        case ReadResult::kError:
          return error;
      }
      return Status::OK();
    }
  }
  return Status::OK();
}

}  // namespace

Status ServiceLister::List(const std::vector<std::string>& names, const Deadline& deadline,
                           const ServiceFn& emit) const {
  auto listing = std::make_shared<Listing>(session_, *layout_, names);
  // However List ends, an error or `emit` throwing included, nothing more
  // is issued for it (after a whole listing nothing is left to issue).
  struct AbandonAtExit {
    Listing* listing;
    ~AbandonAtExit() { listing->Abandon(); }
  } abandon_at_exit{listing.get()};
  std::vector<Gathered> gathered(names.size());
  std::vector<Request> first;
  first.reserve(2 * names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    first.push_back(Request{Node::kService, i, "", layout_->Service(names[i])});
    first.push_back(Request{Node::kInstanceDir, i, "", layout_->InstanceDir(names[i])});
    gathered[i].pending = 2;
  }
  size_t outstanding = first.size();
  listing->Queue(std::move(first));

  // Hands over, in order, the services whose reads are all in.
  size_t next = 0;
  auto emit_read = [&] {
    for (; next < names.size() && gathered[next].pending == 0; ++next) {
      Gathered& g = gathered[next];
      if (g.deleted) continue;
      g.service.service_name = names[next];
      if (g.has_property) format::MergeProperty(g.property, &g.service);
      g.service.version =
          ServiceVersion(g.instance_dir_pzxid, g.property_dir_pzxid, g.property.version, g.max_instance_mzxid);
      emit(std::move(g.service));
    }
  };
  Status s;
  std::vector<Arrival> batch;
  std::vector<Request> retries;
  auto backoff = std::chrono::milliseconds(10);
  while (s.ok() && outstanding != 0) {
    if (!listing->Take(deadline, &batch)) {
      auto waiting = std::find_if(gathered.begin(), gathered.end(), [](const Gathered& g) { return g.pending != 0; });
      s = ZkStatus(kDeadlineExceeded, "read", layout_->Service(names[waiting - gathered.begin()]));
      break;
    }
    for (Arrival& a : batch) {
      // What a request lost to the connection or the session is asked
      // again, as the blocking requests do.
      if (IsRetryable(a.reply.rc) && !deadline.passed()) {
        retries.push_back(std::move(a.request));
        continue;
      }
      Gathered& g = gathered[a.request.service];
      g.pending = g.pending + a.chained - 1;
      outstanding = outstanding + a.chained - 1;
      if (g.deleted) continue;
      s = Apply(log_, names[a.request.service], &a, &g);
      if (!s.ok()) break;
    }
    if (s.ok()) emit_read();
    if (s.ok() && !retries.empty()) {
      session_->WaitConnected(deadline);
      if (!deadline.passed()) std::this_thread::sleep_for(std::min<Clock::duration>(backoff, deadline.at - Clock::now()));
      backoff = std::min(backoff * 2, std::chrono::milliseconds(250));
      listing->Queue(std::move(retries));
      retries.clear();
    }
  }
  // The batch that brought the last reply in emitted the last service.
  return s;
}

}  // namespace zk
}  // namespace kreg
