/* libcurl, opened on first use. Every libcurl function Muster calls is
 * listed once below: the list makes the table of pointers, the code that
 * fills it, and a forwarder of the same name and type as libcurl's (checked
 * against curl.h, which declares them all). */
#define CURL_DISABLE_TYPECHECK /* curl_easy_setopt is a macro otherwise */
#include "../CCurl/shim.h"
#include "lazy.h"
#include "lazy_libraries.h"
#include <pthread.h>

#define SONAME "libcurl.so.4"
#define PACKAGE "libcurl4"

/* F: returns a value; V: returns nothing; P: only called from this file. */
#define CURL_FUNCTIONS(F, V, P) \
    F(CURLcode, curl_global_init, (long flags), (flags)) \
    F(CURL *, curl_easy_init, (void), ()) \
    V(void, curl_easy_cleanup, (CURL *curl), (curl)) \
    F(CURLcode, curl_easy_perform, (CURL *curl), (curl)) \
    V(void, curl_easy_reset, (CURL *curl), (curl)) \
    F(const char *, curl_easy_strerror, (CURLcode code), (code)) \
    V(void, curl_free, (void *p), (p)) \
    F(struct curl_slist *, curl_slist_append, (struct curl_slist *list, const char *data), (list, data)) \
    V(void, curl_slist_free_all, (struct curl_slist *list), (list)) \
    F(CURLU *, curl_url, (void), ()) \
    V(void, curl_url_cleanup, (CURLU *handle), (handle)) \
    F(CURLUcode, curl_url_get, (CURLU *handle, CURLUPart what, char **part, unsigned int flags), (handle, what, part, flags)) \
    F(CURLUcode, curl_url_set, (CURLU *handle, CURLUPart what, const char *part, unsigned int flags), (handle, what, part, flags)) \
    P(CURLcode, curl_easy_setopt, (CURL *curl, CURLoption option, ...), ()) \
    P(CURLcode, curl_easy_getinfo, (CURL *curl, CURLINFO info, ...), ())

#define POINTER(ret, name, params, args) ret (*name) params;
static struct { CURL_FUNCTIONS(POINTER, POINTER, POINTER) } fn;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char problem[600];
static const char *unavailable = problem;

static void load(void) {
    void *h = lazy_open(SONAME, "libcurl", PACKAGE, problem, sizeof problem);
    if (!h) return;
#define RESOLVE(ret, name, params, args) \
    if (!lazy_resolve(h, SONAME, PACKAGE, #name, (void **)&fn.name, problem, sizeof problem)) return;
    CURL_FUNCTIONS(RESOLVE, RESOLVE, RESOLVE)
    unavailable = NULL;
}

const char *muster_curl_unavailable(void) {
    pthread_once(&once, load);
    return unavailable;
}

static inline void ready(void) {
    if (muster_curl_unavailable()) lazy_missing(problem);
}

#define FORWARD(ret, name, params, args) ret name params { ready(); return fn.name args; }
#define FORWARD_VOID(ret, name, params, args) void name params { ready(); fn.name args; }
#define NONE(ret, name, params, args)
CURL_FUNCTIONS(FORWARD, FORWARD_VOID, NONE)

CURLcode ccurl_setopt_long(CURL *h, CURLoption o, long v) { ready(); return fn.curl_easy_setopt(h, o, v); }
CURLcode ccurl_setopt_string(CURL *h, CURLoption o, const char *v) { ready(); return fn.curl_easy_setopt(h, o, v); }
CURLcode ccurl_setopt_pointer(CURL *h, CURLoption o, void *v) { ready(); return fn.curl_easy_setopt(h, o, v); }
CURLcode ccurl_setopt_write_function(CURL *h, CURLoption o, ccurl_write_callback f) { ready(); return fn.curl_easy_setopt(h, o, f); }
CURLcode ccurl_getinfo_long(CURL *h, CURLINFO i, long *v) { ready(); return fn.curl_easy_getinfo(h, i, v); }
CURLcode ccurl_getinfo_string(CURL *h, CURLINFO i, char **v) { ready(); return fn.curl_easy_getinfo(h, i, v); }
CURLcode ccurl_getinfo_off_t(CURL *h, CURLINFO i, curl_off_t *v) { ready(); return fn.curl_easy_getinfo(h, i, v); }
CURLcode ccurl_setopt_xferinfo_function(CURL *h, curl_xferinfo_callback f) { ready(); return fn.curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, f); }
CURLcode ccurl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *l) { ready(); return fn.curl_easy_setopt(h, o, l); }
