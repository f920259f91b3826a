#include "lazy.h"
#include "lazy_libraries.h"
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void *lazy_open(const char *soname, const char *what, const char *package, char *problem, size_t size) {
    void *handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *why = dlerror();
        snprintf(problem, size, "this needs %s (%s), which cannot be loaded: %s. Install it: apt-get install %s (Debian, Ubuntu), or your system's package of %s",
                 what, soname, why ? why : "unknown error", package, what);
    }
    return handle;
}

int lazy_resolve(void *handle, const char *soname, const char *package, const char *name, void **slot, char *problem, size_t size) {
    *slot = dlsym(handle, name);
    if (*slot) return 1;
    snprintf(problem, size, "%s has no function %s: it is older than the one muster was built against. Update it: apt-get install %s (Debian, Ubuntu)",
             soname, name, package);
    return 0;
}

_Noreturn void lazy_missing(const char *problem) {
    fprintf(stderr, "muster: %s\n", problem);
    fflush(stderr);
    _exit(1);
}

const char *muster_library_problem(const char *soname, const char *what, const char *package) {
    static _Thread_local char problem[600];
    void *handle = lazy_open(soname, what, package, problem, sizeof problem);
    if (!handle) return problem;
    dlclose(handle);
    return NULL;
}
