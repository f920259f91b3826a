#ifndef MUSTER_CGIT2_SHIM_H
#define MUSTER_CGIT2_SHIM_H
#include <git2.h>
#endif
