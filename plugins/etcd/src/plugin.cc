// The plugin's exported entry point.
#include "backend.h"

KREG_DEFINE_PLUGIN("etcd", "etcd v3: instances as keys on the backend's lease, watched from one revision stream",
                   kreg::etcd::EtcdBackend)
