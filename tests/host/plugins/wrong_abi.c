/* A plugin built for a future ABI major: it ignores the host's offer and
 * hands back a table that says 2. The host must refuse it before calling
 * anything in the table. */
#include "kreg/kreg.h"

static kreg_plugin table = {sizeof(kreg_plugin), KREG_ABI_VERSION_MAJOR + 1, 0, "future", "from ABI 2"};

KREG_PLUGIN_EXPORT kreg_status kreg_plugin_entry(const kreg_host_info* host, const kreg_plugin** out, char* err,
                                                 size_t err_size) {
  (void)host;
  (void)err;
  (void)err_size;
  *out = &table;
  return KREG_OK;
}
