/* A plugin built for a future ABI major: it ignores the host's offer and
 * hands back a table that says 2. The host must refuse it before calling
 * anything in the table. */
#include "hands_back.h"

static kreg_plugin table = {sizeof(kreg_plugin), KREG_ABI_VERSION_MAJOR + 1, 0, "future", "from ABI 2"};

KREG_TEST_PLUGIN_HANDS_BACK(table)
