#ifndef MUSTER_LAZY_LIBRARIES_H
#define MUSTER_LAZY_LIBRARIES_H

/* libcurl and libgit2 are opened with dlopen on first use rather than linked:
 * commands that make no request and read no repository (`--version`,
 * `validate`, `show`, `runs`, `log`, `schema`) then start without the dynamic
 * loader mapping their two dozen dependencies. The rest of the process calls
 * the libraries' own function names, which this target defines as forwarders.
 *
 * Each function below loads its library once (thread-safe) and returns NULL
 * when it is usable, else why not: what is missing and which package installs
 * it. Callers ask before their first call into the library; a forwarder
 * reached without the library says the same and exits 1. */
const char *muster_curl_unavailable(void);
const char *muster_git2_unavailable(void);

/* What the two functions above say when `soname` cannot be opened; the
 * library is closed again. NULL when it opens. For tests of the message. */
const char *muster_library_problem(const char *soname, const char *what, const char *package);

#endif
