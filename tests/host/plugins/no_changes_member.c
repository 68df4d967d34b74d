/* A 1.3 table with every member up to 1.2 but get_service_changes NULL:
 * the host would call it, so it must refuse the plugin. */
#include "hands_back.h"

static kreg_status Create(const kreg_init_options* options, kreg_backend** out, char* err, size_t err_size) {
  (void)options;
  (void)out;
  (void)err;
  (void)err_size;
  return KREG_INTERNAL;
}
static void Destroy(kreg_backend* backend) { (void)backend; }
static const char* Type(kreg_backend* backend) {
  (void)backend;
  return "partial";
}
static kreg_status Register(kreg_backend* b, const kreg_instance* i, const kreg_register_options* o, char* err,
                           size_t err_size) {
  (void)b, (void)i, (void)o, (void)err, (void)err_size;
  return KREG_INTERNAL;
}
static kreg_status Deregister(kreg_backend* b, const kreg_instance* i, char* err, size_t err_size) {
  (void)b, (void)i, (void)err, (void)err_size;
  return KREG_INTERNAL;
}
static kreg_status Get(kreg_backend* b, kreg_str name, kreg_service_fn fn, void* user_data, char* err,
                      size_t err_size) {
  (void)b, (void)name, (void)fn, (void)user_data, (void)err, (void)err_size;
  return KREG_INTERNAL;
}
static kreg_status List(kreg_backend* b, kreg_service_fn fn, void* user_data, char* err, size_t err_size) {
  (void)b, (void)fn, (void)user_data, (void)err, (void)err_size;
  return KREG_INTERNAL;
}
static kreg_status Watch(kreg_backend* b, kreg_watch_fn fn, void* user_data, kreg_watch** out, char* err,
                        size_t err_size) {
  (void)b, (void)fn, (void)user_data, (void)out, (void)err, (void)err_size;
  return KREG_INTERNAL;
}
static void WatchCancel(kreg_watch* w) { (void)w; }
static kreg_status SetProperty(kreg_backend* b, const kreg_property* p, char* err, size_t err_size) {
  (void)b, (void)p, (void)err, (void)err_size;
  return KREG_INTERNAL;
}
static kreg_status GetSince(kreg_backend* b, kreg_str name, int64_t known, int* unchanged, kreg_service_fn fn,
                           void* user_data, char* err, size_t err_size) {
  (void)b, (void)name, (void)known, (void)unchanged, (void)fn, (void)user_data, (void)err, (void)err_size;
  return KREG_INTERNAL;
}
static kreg_status RegisterAsync(kreg_backend* b, const kreg_instance* i, const kreg_register_options* o,
                                 kreg_register_done_fn done, void* user_data, char* err, size_t err_size) {
  (void)b, (void)i, (void)o, (void)done, (void)user_data, (void)err, (void)err_size;
  return KREG_INTERNAL;
}

static kreg_plugin table = {sizeof(kreg_plugin), 1, 3, "partial", "no get_service_changes",
                            Create, Destroy, Type, Register, Deregister, Get, List, Watch, WatchCancel,
                            SetProperty, GetSince, RegisterAsync, 0};

KREG_TEST_PLUGIN_HANDS_BACK(table)
