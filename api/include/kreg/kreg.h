/*
 * kreg.h — the stable C ABI between a kreg host and a backend plugin.
 *
 * This header is the whole contract. No C++ type, exception, allocator or
 * STL object crosses it. A plugin compiled against this header alone loads
 * into any host of the same ABI major version.
 *
 * Shape (modelled on sqlite3_vfs, Vulkan's loader/driver negotiation and
 * Envoy's dynamic modules):
 *   - A plugin exports one symbol, KREG_PLUGIN_ENTRY_SYMBOL, of type
 *     kreg_plugin_entry_fn. The host calls it first, offering its ABI
 *     version; the plugin answers with a static kreg_plugin table or refuses.
 *   - Everything else is reached through that table of function pointers.
 *   - Structs that may grow carry `struct_size` (set by whoever fills the
 *     struct to sizeof at its compile time). New fields are only ever
 *     appended; a reader checks KREG_HAS_FIELD before touching a field, and
 *     steps through an array of such structs by the first element's
 *     struct_size (all elements of one array have the same size).
 *   - A released function signature never changes; new ones are appended
 *     as new table members (e.g. `watch_v2`).
 *
 * Ownership rules, used throughout:
 *   - BORROWED: the pointer is owned by the caller and valid only for the
 *     duration of the call it is passed to (or, for a callback argument,
 *     until the callback returns). Copy what you want to keep.
 *   - STATIC: valid for as long as the plugin library stays loaded.
 *   - Handles (kreg_backend, kreg_watch) are opaque, created and destroyed
 *     by the plugin, in pairs: create/destroy, watch/watch_cancel.
 *   - Memory is freed by whoever allocated it. Results are never returned
 *     as allocated memory: the plugin hands borrowed views to a callback the
 *     host supplies (see get_service), so no allocator crosses the boundary.
 *   - Error messages are written by the plugin into a buffer the caller
 *     owns (`err`, `err_size`), always NUL-terminated and truncated to fit.
 *     A message never contains a password.
 *
 * Threading: see the comment on each member of kreg_plugin.
 */
#ifndef KREG_KREG_H_
#define KREG_KREG_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version. A host loads a plugin only when the majors are equal. A
 * minor bump appends members to kreg_plugin or fields to structs; both
 * sides use what the other's struct_size shows it has. */
#define KREG_ABI_VERSION_MAJOR 1
#define KREG_ABI_VERSION_MINOR 3

#define KREG_PLUGIN_ENTRY_SYMBOL "kreg_plugin_entry"

#if defined(_WIN32)
#define KREG_PLUGIN_EXPORT __declspec(dllexport)
#else
#define KREG_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* True when the struct pointed to by `ptr`, whose producer wrote
 * `ptr->struct_size`, contains `field`. */
#define KREG_HAS_FIELD(ptr, type, field) \
  ((ptr)->struct_size >= offsetof(type, field) + sizeof(((type*)0)->field))

/* Status codes. Stable numbers: never renumbered, only appended. */
typedef enum kreg_status {
  KREG_OK = 0,
  KREG_INVALID_ARGUMENT = 1, /* bad name, id, option, or input too large */
  KREG_NOT_FOUND = 2,        /* the service does not exist */
  KREG_UNAVAILABLE = 3,      /* backend unreachable; may succeed on retry */
  KREG_TIMEOUT = 4,          /* gave up after the configured timeout */
  KREG_PERMISSION_DENIED = 5,/* authentication or ACL refused the call */
  KREG_CORRUPT = 6,          /* stored data cannot be read; nothing written */
  KREG_INCOMPATIBLE = 7,     /* ABI version mismatch */
  KREG_INTERNAL = 8          /* a bug or an unexpected backend answer */
} kreg_status;

/* A borrowed string view. Not NUL-terminated in general; `data` may be
 * NULL when `size` is 0. */
typedef struct kreg_str {
  const char* data;
  size_t size;
} kreg_str;

/* One entry of a string map. */
typedef struct kreg_kv {
  kreg_str key;
  kreg_str value;
} kreg_kv;

/* Log levels, in increasing severity. */
typedef enum kreg_log_level {
  KREG_LOG_TRACE = 0,
  KREG_LOG_DEBUG = 1,
  KREG_LOG_INFO = 2,
  KREG_LOG_WARN = 3,
  KREG_LOG_ERROR = 4,
  KREG_LOG_OFF = 5
} kreg_log_level;

/* The host's log sink. `log` may be called from any thread, concurrently;
 * `message` is BORROWED for the call. The plugin skips messages below
 * `min_level` without formatting them. `log` must not call back into the
 * plugin. */
typedef struct kreg_log_sink {
  void (*log)(void* user_data, kreg_log_level level, kreg_str message);
  void* user_data;
  kreg_log_level min_level;
} kreg_log_sink;

/* An instance of a service (the Go keeper's Instance). */
typedef struct kreg_instance {
  uint32_t struct_size;
  kreg_str id;
  kreg_str service_name;
  kreg_str zone;
  kreg_str env;
  kreg_str hostname;
  const kreg_kv* addrs; /* scheme -> "host:port" */
  size_t addrs_count;
  const kreg_kv* metadata;
  size_t metadata_count;
  int64_t reg_time;    /* unix seconds */
  int64_t update_time; /* unix seconds */
  /* Output only (ignored by register): the backend version at which the
   * instance reached this state, and the backend's own data version. */
  int64_t version;
  int64_t data_version;
} kreg_instance;

/* zone -> weight, one entry of a zone weight's `dst` map. */
typedef struct kreg_zone_weight_dst {
  kreg_str zone;
  uint64_t weight;
} kreg_zone_weight_dst;

/* One entry of Property.zone_weights: zone -> {src, dst}. */
typedef struct kreg_zone_weight {
  kreg_str zone;
  kreg_str src;
  const kreg_zone_weight_dst* dst;
  size_t dst_count;
} kreg_zone_weight;

/* One entry of Property.attrs: instance id -> string map. */
typedef struct kreg_instance_attrs {
  kreg_str instance_id;
  const kreg_kv* attrs;
  size_t attrs_count;
} kreg_instance_attrs;

/* The admin override of a service (the Go keeper's Property). */
typedef struct kreg_property {
  uint32_t struct_size;
  kreg_str service_name;
  const kreg_zone_weight* zone_weights;
  size_t zone_weights_count;
  const kreg_instance_attrs* attrs;
  size_t attrs_count;
  int64_t version;      /* output only, as for kreg_instance */
  int64_t data_version; /* output only */
} kreg_property;

/* A service as read: its instances (each carries its zone; the C++ layer
 * groups them by zone) with the property already merged in. */
typedef struct kreg_service {
  uint32_t struct_size;
  kreg_str service_name;
  const kreg_instance* instances;
  size_t instances_count;
  const kreg_kv* metadata;
  size_t metadata_count;
  int64_t update_time; /* unix seconds */
  int64_t version;     /* of its current state: its latest event's version */
} kreg_service;

typedef enum kreg_event_type {
  KREG_EVENT_CREATE = 1,
  KREG_EVENT_MODIFY = 2,
  KREG_EVENT_DELETE = 3,
  /* The initial state has been delivered; live changes follow. */
  KREG_EVENT_SYNCED = 4,
  /* The watch met a problem it reports but goes on from (e.g. the backend
   * became unreadable); `message` says what. No data. */
  KREG_EVENT_ERROR = 5
} kreg_event_type;

typedef enum kreg_event_info {
  KREG_INFO_NONE = 0, /* SYNCED and ERROR events */
  KREG_INFO_INSTANCE = 1,
  KREG_INFO_PROPERTY = 2
} kreg_event_info;

/* A watch event. All pointers BORROWED until the callback returns.
 * A DELETE of an instance carries at least service_name and id; a DELETE
 * of a property carries at least service_name. */
typedef struct kreg_watch_event {
  uint32_t struct_size;
  kreg_event_type type;
  kreg_event_info info;
  kreg_str service_name;
  const kreg_instance* instance; /* non-NULL iff info == INSTANCE */
  const kreg_property* property; /* non-NULL iff info == PROPERTY */
  /* The version of the service's state this event brings it to
   * (api/CONTRACT.md "Versions"): the events that bring a service to one
   * state (one backend transaction, or several the watch coalesced) share
   * that state's version, each for a different key; successive states have
   * increasing versions, so per service versions never decrease; after the
   * last event with version V, get_service reports version V. Every watch
   * of one store reports the same version for the same state, the initial
   * snapshot's events included. 0 for SYNCED and ERROR. */
  int64_t version;
  int64_t data_version;
  kreg_str message; /* ERROR only */
} kreg_watch_event;

/* Options for create (the Go keeper's Init). All BORROWED for the call. */
typedef struct kreg_init_options {
  uint32_t struct_size;
  const kreg_str* addrs; /* host:port list; backend-specific meaning */
  size_t addrs_count;
  int64_t timeout_ms; /* per-operation timeout; <= 0: backend default */
  kreg_str root;      /* root path / namespace; empty: backend default */
  kreg_str username;  /* empty: no authentication */
  kreg_str password;  /* never logged, never put in an error message */
  const kreg_kv* options; /* backend-specific extras, values as strings */
  size_t options_count;
  /* Copied by value; the sink's user_data must stay valid until destroy
   * returns. */
  kreg_log_sink log;
} kreg_init_options;

typedef struct kreg_register_options {
  uint32_t struct_size;
  int64_t ttl_ms; /* lease length; <= 0: the default, 30 s */
  int refresh;    /* non-zero: rewrite the stored data (a MODIFY event) */
} kreg_register_options;

/* Result callbacks. `user_data` is the caller's; views are BORROWED until
 * the callback returns. Called on the calling thread, before the
 * operation returns. Like every function the host hands to a plugin, they
 * never unwind (no C++ exception leaves them). */
typedef void (*kreg_service_fn)(void* user_data, const kreg_service* service);
/* A service as get_service_changes (ABI 1.3) hands it over: whole, or as
 * the difference from the version the host holds. BORROWED, as every view
 * a result callback receives. */
typedef struct kreg_service_changes {
  uint32_t struct_size;
  /* The service's name, metadata, update_time and version as they are now.
   * Its instances are every instance when `is_delta` is 0; when it is 1,
   * only those added or changed since the host's version. */
  const kreg_service* service;
  int is_delta;
  /* is_delta only: the instances of the host's version that are gone.
   * Their service_name, zone and id are set; the rest may be empty. Step
   * through them by removed[0].struct_size, as through instances. */
  const kreg_instance* removed;
  size_t removed_count;
} kreg_service_changes;

typedef void (*kreg_service_changes_fn)(void* user_data, const kreg_service_changes* changes);
/* Called once per watch event, on a plugin-owned thread. */
typedef void (*kreg_watch_fn)(void* user_data, const kreg_watch_event* event);
/* The end of a register_instance_async (ABI 1.2): `status` is what
 * register_instance would have returned, `message` (BORROWED until the
 * callback returns; empty on KREG_OK) its error line. */
typedef void (*kreg_register_done_fn)(void* user_data, kreg_status status, kreg_str message);

typedef struct kreg_backend kreg_backend; /* opaque, plugin-owned */
typedef struct kreg_watch kreg_watch;     /* opaque, plugin-owned */

/* The function table. STATIC. Every operation returns a kreg_status and,
 * on failure, writes one line into `err` (what failed, where, how to fix).
 * Every operation that reaches the store may also fail with
 * KREG_UNAVAILABLE (the store is unreachable; a retry may succeed),
 * KREG_TIMEOUT (it gave up after the configured timeout) or KREG_INTERNAL
 * (a bug, or an answer the backend did not expect); each member lists its
 * other errors. The rules behind them are api/CONTRACT.md's.
 *
 * Thread safety: every member except `destroy` may be called concurrently
 * from any number of threads on the same backend. A backend's operations
 * may be called from inside a watch callback, except `destroy`. */
typedef struct kreg_plugin {
  uint32_t struct_size;
  uint32_t abi_major; /* KREG_ABI_VERSION_MAJOR the plugin was built with */
  uint32_t abi_minor;
  const char* name;        /* STATIC, e.g. "file"; equals type() */
  const char* description; /* STATIC, one line */

  /* Connect a new backend. On success *out is a handle the caller must
   * pass to destroy. Two backends created from the same options share one
   * store: what one writes the other reads and watches.
   * Errors: KREG_INVALID_ARGUMENT (an option, address or root it cannot
   * use), KREG_PERMISSION_DENIED (authentication refused). */
  kreg_status (*create)(const kreg_init_options* options, kreg_backend** out,
                        char* err, size_t err_size);

  /* Release the backend. REQUIRES: every watch of it has been cancelled and
   * no other call on it is running. Instances this process registered and
   * did not deregister are left to expire (their lease is not renewed), or
   * go at once where they live with the backend's session (a ZooKeeper
   * session closing, an etcd lease revoked). */
  void (*destroy)(kreg_backend* backend);

  /* STATIC string, e.g. "zookeeper". */
  const char* (*type)(kreg_backend* backend);

  /* First call for (service_name, id) creates the instance; a later call is
   * a keepalive that renews the lease (options->ttl_ms) without writing
   * the stored data, unless options->refresh is set. reg_time and
   * update_time left 0 are filled by the backend.
   * Errors: KREG_INVALID_ARGUMENT (a bad name, id or string, or a record
   * over the stored-size limit; nothing is stored), KREG_PERMISSION_DENIED,
   * KREG_CORRUPT (the store holds data the backend will not overwrite). */
  kreg_status (*register_instance)(kreg_backend* backend,
                                   const kreg_instance* instance,
                                   const kreg_register_options* options,
                                   char* err, size_t err_size);

  /* Remove an instance. Removing an absent instance returns KREG_OK. Only
   * service_name and id are read.
   * Errors: KREG_INVALID_ARGUMENT (a bad name or id),
   * KREG_PERMISSION_DENIED, KREG_CORRUPT. */
  kreg_status (*deregister_instance)(kreg_backend* backend,
                                     const kreg_instance* instance,
                                     char* err, size_t err_size);

  /* Read one service with its property merged in and call `fn` once with
   * it. Errors: KREG_INVALID_ARGUMENT (a bad name), KREG_NOT_FOUND (the
   * service does not exist). */
  kreg_status (*get_service)(kreg_backend* backend, kreg_str service_name,
                             kreg_service_fn fn, void* user_data, char* err,
                             size_t err_size);

  /* Call `fn` once per service (not at all when there is none), possibly
   * while the rest are still being read; after an error the services
   * passed to `fn` are no listing, and the host drops them. No errors of
   * its own. */
  kreg_status (*list_services)(kreg_backend* backend, kreg_service_fn fn,
                               void* user_data, char* err, size_t err_size);

  /* Start a watch over every service. Events are delivered to `fn` on a
   * plugin-owned thread, one at a time, never concurrently: first a CREATE
   * for every existing instance and property, then SYNCED, then live
   * changes. The first callback may run before `watch` returns, so `watch`
   * must never wait for a callback to finish; when `watch` fails, `fn` is
   * never called. `user_data` must stay valid until watch_cancel returns.
   * Errors: none of its own; a problem after it returned is an ERROR
   * event. */
  kreg_status (*watch)(kreg_backend* backend, kreg_watch_fn fn,
                       void* user_data, kreg_watch** out, char* err,
                       size_t err_size);

  /* Stop a watch and free it. Returns only when no callback of it is
   * running or will run. May be called from inside that watch's own
   * callback: it then returns at once and no further callback runs. */
  void (*watch_cancel)(kreg_watch* watch);

  /* Store the admin override of a service (replaces the previous one).
   * Errors: as register_instance's. */
  kreg_status (*set_property)(kreg_backend* backend,
                              const kreg_property* property, char* err,
                              size_t err_size);

  /* ---- ABI 1.1 ---- */

  /* get_service for a host that keeps what it read. `known_version` is the
   * version of the copy the host holds (0: none). When the service is
   * still at that version the plugin sets *unchanged to 1 and does not call
   * `fn`; otherwise it sets *unchanged to 0 and calls `fn` once, as
   * get_service does. A service's version grows with every change to it,
   * so an equal version is an equal service. Errors: as get_service's. */
  kreg_status (*get_service_since)(kreg_backend* backend,
                                   kreg_str service_name,
                                   int64_t known_version, int* unchanged,
                                   kreg_service_fn fn, void* user_data,
                                   char* err, size_t err_size);

  /* ---- ABI 1.2 ---- */

  /* register_instance for a caller that does not wait: the plugin may keep
   * many registers in flight at once (ZooKeeper commits them together).
   * Same semantics and errors as register_instance; what it would have
   * returned is reported either here or through `done`:
   *   - an error returned here (a bad argument, typically) means `done`
   *     is never called and nothing was started;
   *   - KREG_OK means `done` is called exactly once with the outcome, on
   *     the calling thread before this returns (a keepalive, or an answer
   *     known at once) or later on a plugin-owned thread. After `done` ran
   *     with KREG_OK the instance is registered as after register_instance
   *     returned (get_service reads it).
   * `instance` and `options` are BORROWED for this call only: the plugin
   * copies what it needs before returning. `user_data` is the caller's; it
   * must stay valid until `done` has run. `done` must not block (on a
   * plugin thread it holds up other completions) and must not unwind; from
   * inside it only register_instance_async may be called on this backend
   * (the other members may wait for a reply the blocked thread would
   * deliver), and destroy never.
   * Thread safety: as every member, callable concurrently from any thread,
   * and from inside a watch callback. destroy REQUIRES, as for the other
   * members, that no register_instance_async call is still running;
   * registers whose `done` has not run yet are finished first (their
   * `done` runs, with KREG_UNAVAILABLE if the backend closed before the
   * outcome was known) before destroy returns. A host finding this member
   * absent (KREG_HAS_FIELD) calls register_instance and then its own
   * `done`. */
  kreg_status (*register_instance_async)(kreg_backend* backend,
                                         const kreg_instance* instance,
                                         const kreg_register_options* options,
                                         kreg_register_done_fn done,
                                         void* user_data, char* err,
                                         size_t err_size);

  /* ---- ABI 1.3 ---- */

  /* get_service_since whose answer may be a delta: when the service moved
   * on from `known_version` and the plugin still holds that version, `fn`
   * gets only what changed (is_delta 1); the host applies it to its copy.
   * Otherwise as get_service_since: *unchanged 1 and no call of `fn` when
   * the service is at `known_version`, else one call with the whole
   * service (is_delta 0). A plugin may always answer whole. A host finding
   * this member absent calls get_service_since. Errors: as get_service's. */
  kreg_status (*get_service_changes)(kreg_backend* backend,
                                     kreg_str service_name,
                                     int64_t known_version, int* unchanged,
                                     kreg_service_changes_fn fn,
                                     void* user_data, char* err,
                                     size_t err_size);
} kreg_plugin;

/* What the host offers when it calls the entry point. */
typedef struct kreg_host_info {
  uint32_t struct_size;
  uint32_t abi_major; /* the host's KREG_ABI_VERSION_MAJOR */
  uint32_t abi_minor;
} kreg_host_info;

/* The one exported symbol. Called once per load, before anything else.
 * A plugin whose ABI major differs from host->abi_major returns
 * KREG_INCOMPATIBLE with a message; otherwise it sets *out to its STATIC
 * table. The host checks (*out)->abi_major again before any other call,
 * and refuses a table with a NULL member inside its struct_size. */
typedef kreg_status (*kreg_plugin_entry_fn)(const kreg_host_info* host,
                                            const kreg_plugin** out,
                                            char* err, size_t err_size);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KREG_KREG_H_ */
