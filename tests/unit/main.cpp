// The doctest runner of the unit tests (no SimGrid: models, config parsing, traces, policies).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
