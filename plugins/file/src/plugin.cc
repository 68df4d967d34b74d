// The file plugin's entry point.
#include "file_backend.h"
#include "kreg/plugin.hpp"

KREG_DEFINE_PLUGIN("file", "service registry in a JSON file shared by the processes of one machine",
                   kreg::file::FileBackend)
