#ifndef MUSTER_CPCRE2_SHIM_H
#define MUSTER_CPCRE2_SHIM_H
/* The 8-bit library: Swift hands it a String's UTF-8 bytes. Its function
   names are macros Swift cannot import, so callers use the _8 names. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#endif
