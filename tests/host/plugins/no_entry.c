/* A shared library that is not a kreg plugin: no entry symbol. */
#include "kreg/kreg.h"

KREG_PLUGIN_EXPORT int not_a_kreg_plugin(void) { return 42; }
