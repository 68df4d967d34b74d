// kreg-conformance: runs the conformance suite against the plugins named by
// --config files. See conformance.h.
#include "conformance/conformance.h"

int main(int argc, char** argv) { return kreg::testing::RunConformance(argc, argv); }
