#include "noop_backend.h"

KREG_DEFINE_PLUGIN("noop", "does nothing; measures the cost of the ABI", kreg::bench::NoopBackend)
