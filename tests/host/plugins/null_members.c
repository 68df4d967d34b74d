/* A plugin whose table looks whole (ABI 1, full size, a name) but holds no
 * functions. The host must refuse it before calling create. */
#include "kreg/kreg.h"

static kreg_plugin table = {sizeof(kreg_plugin), KREG_ABI_VERSION_MAJOR, KREG_ABI_VERSION_MINOR, "hollow",
                            "no functions"};

KREG_PLUGIN_EXPORT kreg_status kreg_plugin_entry(const kreg_host_info* host, const kreg_plugin** out, char* err,
                                                 size_t err_size) {
  (void)host;
  (void)err;
  (void)err_size;
  *out = &table;
  return KREG_OK;
}
