#ifndef MUSTER_CCURL_SHIM_H
#define MUSTER_CCURL_SHIM_H
#include <curl/curl.h>

/* curl_easy_setopt and curl_easy_getinfo are variadic and cannot be called
 * from Swift: these typed calls can. They are defined, like every libcurl
 * function Muster calls, in CLazyLibraries, which opens libcurl on first use
 * (this module's map links nothing). */
CURLcode ccurl_setopt_long(CURL *h, CURLoption o, long v);
CURLcode ccurl_setopt_string(CURL *h, CURLoption o, const char *v);
CURLcode ccurl_setopt_pointer(CURL *h, CURLoption o, void *v);
typedef size_t (*ccurl_write_callback)(char *, size_t, size_t, void *);
CURLcode ccurl_setopt_write_function(CURL *h, CURLoption o, ccurl_write_callback f);
CURLcode ccurl_getinfo_long(CURL *h, CURLINFO i, long *v);
CURLcode ccurl_getinfo_string(CURL *h, CURLINFO i, char **v);
CURLcode ccurl_getinfo_off_t(CURL *h, CURLINFO i, curl_off_t *v);
CURLcode ccurl_setopt_xferinfo_function(CURL *h, curl_xferinfo_callback f);
CURLcode ccurl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *l);
#endif
