// The plugin's exported entry point.
#include "backend.h"

KREG_DEFINE_PLUGIN("zookeeper", "ZooKeeper: instances as ephemeral znodes, watched with re-armed watches",
                   kreg::zk::ZkBackend)
