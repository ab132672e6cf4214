#ifndef MALLGATE_CZLIB_SHIM_H
#define MALLGATE_CZLIB_SHIM_H
#include <zlib.h>

/// inflateInit2 is a macro (it passes ZLIB_VERSION and sizeof(z_stream)); Swift cannot call it.
/// windowBits -15: a raw DEFLATE stream, as zip members store it (no zlib or gzip header).
static inline int mallgate_inflate_init_raw(z_stream *stream) {
    return inflateInit2(stream, -15);
}

/// windowBits 15 + 16: a gzip stream (RFC 1952 header and CRC-32 trailer), as HTTP's
/// `Content-Encoding: gzip` carries it. Level 6 is zlib's default speed/size balance.
static inline int mallgate_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

/// windowBits 15 + 16: accept only a gzip stream (not zlib, not raw DEFLATE).
static inline int mallgate_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 15 + 16);
}
#endif
