/* The logger half of evh_probe.c, as a module of its own. */
#define PROBE_LOGGER
#include "evh_probe.c"
