/* The entry symbol is an int, not a function: calling it would jump into
 * data. The host must refuse it without calling it. */
#include "kreg/kreg.h"

KREG_PLUGIN_EXPORT int kreg_plugin_entry = 5;
