/* A plugin whose table looks whole (ABI 1, full size, a name) but holds no
 * functions. The host must refuse it before calling create. */
#include "hands_back.h"

static kreg_plugin table = {sizeof(kreg_plugin), KREG_ABI_VERSION_MAJOR, KREG_ABI_VERSION_MINOR, "hollow",
                            "no functions"};

KREG_TEST_PLUGIN_HANDS_BACK(table)
