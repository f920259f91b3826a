#ifndef MUSTER_LAZY_H
#define MUSTER_LAZY_H
#include <stddef.h>

/* Opens `soname` (RTLD_NOW | RTLD_LOCAL: everything resolved now, nothing
 * added to the global namespace); NULL with `problem` written when it fails. */
void *lazy_open(const char *soname, const char *what, const char *package, char *problem, size_t size);

/* dlsym of `name` into `slot`; 0 with `problem` written when the library lacks it. */
int lazy_resolve(void *handle, const char *soname, const char *package, const char *name, void **slot, char *problem, size_t size);

/* A forwarder was called although its library could not be loaded (callers
 * ask first, so this is a bug): says why and exits 1, never a crash. */
_Noreturn void lazy_missing(const char *problem);

#endif
