#ifndef MALLGATE_CZLIB_SHIM_H
#define MALLGATE_CZLIB_SHIM_H
#include <zlib.h>

/// inflateInit2 is a macro (it passes ZLIB_VERSION and sizeof(z_stream)); Swift cannot call it.
/// windowBits -15: a raw DEFLATE stream, as zip members store it (no zlib or gzip header).
static inline int mallgate_inflate_init_raw(z_stream *stream) {
    return inflateInit2(stream, -15);
}
#endif
