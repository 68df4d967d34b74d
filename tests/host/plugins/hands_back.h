/* The entry point of a broken test plugin: it hands back `table` whatever
 * the host offers, for the host's checks of the table to find. */
#ifndef KREG_TESTS_HOST_PLUGINS_HANDS_BACK_H_
#define KREG_TESTS_HOST_PLUGINS_HANDS_BACK_H_

#include "kreg/kreg.h"

#define KREG_TEST_PLUGIN_HANDS_BACK(table)                                                                  \
  KREG_PLUGIN_EXPORT kreg_status kreg_plugin_entry(const kreg_host_info* host, const kreg_plugin** out,     \
                                                   char* err, size_t err_size) {                            \
    (void)host;                                                                                             \
    (void)err;                                                                                              \
    (void)err_size;                                                                                         \
    *out = &(table);                                                                                        \
    return KREG_OK;                                                                                         \
  }

#endif /* KREG_TESTS_HOST_PLUGINS_HANDS_BACK_H_ */
