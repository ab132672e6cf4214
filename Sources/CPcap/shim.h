#ifndef MALLGATE_CPCAP_SHIM_H
#define MALLGATE_CPCAP_SHIM_H
// Small helpers for what Swift cannot call or see nicely. Everything else in
// <pcap/pcap.h> is used directly from Swift.
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>
#include <poll.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <time.h>

// fopencookie() is only declared under _GNU_SOURCE, which the Swift Glibc module
// does not define; declare it under our own name with the same ABI (four function
// pointers by value) so there is no clash when some build does define it.
typedef struct {
    ssize_t (*read)(void *cookie, char *buf, size_t size);
    ssize_t (*write)(void *cookie, const char *buf, size_t size);
    int (*seek)(void *cookie, long long *offset, int whence);
    int (*close)(void *cookie);
} mg_cookie_io_functions;
extern FILE *mg_fopencookie(void *cookie, const char *mode, mg_cookie_io_functions io) __asm__("fopencookie");

typedef struct { int fd; int wakefd; } mg_stream_cookie;

// Waits for data on the stream or a byte on the wake-up pipe. A wake-up reads as
// end of input, so libpcap's blocked fread() returns and the reader can stop: this
// is what lets interrupt() end a read that is waiting on a quiet pipe.
static inline ssize_t mg_stream_read(void *cookie, char *buf, size_t size) {
    mg_stream_cookie *k = (mg_stream_cookie *)cookie;
    for (;;) {
        struct pollfd fds[2] = {{k->fd, POLLIN, 0}, {k->wakefd, POLLIN, 0}};
        int r = poll(fds, 2, -1);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (fds[1].revents != 0) return 0;
        ssize_t n = read(k->fd, buf, size);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        return n;
    }
}

static inline int mg_stream_close(void *cookie) {
    mg_stream_cookie *k = (mg_stream_cookie *)cookie;
    int r = close(k->fd);
    free(k);
    return r;
}

/// A read-only FILE* over `fd` (which it takes ownership of) whose reads also wake
/// up, as end of input, when `wakefd` becomes readable. NULL with errno on failure.
static inline FILE *mg_fopen_interruptible(int fd, int wakefd) {
    mg_stream_cookie *k = (mg_stream_cookie *)malloc(sizeof *k);
    if (k == NULL) return NULL;
    k->fd = fd;
    k->wakefd = wakefd;
    mg_cookie_io_functions io = {mg_stream_read, NULL, NULL, mg_stream_close};
    FILE *f = mg_fopencookie(k, "r", io);
    if (f == NULL) free(k);
    return f;
}

/// Whether `f` holds input already read from its descriptor but not yet consumed.
/// glibc's FILE layout is public ABI; elsewhere say "no", which only makes a stream
/// reader return its batch a little earlier.
static inline int mg_file_has_buffered_input(FILE *f) {
#ifdef __GLIBC__
    return f->_IO_read_ptr < f->_IO_read_end;
#else
    (void)f;
    return 0;
#endif
}

// recvmmsg() and struct mmsghdr are also _GNU_SOURCE-only; same ABI, our own names.
// Receiving a batch of datagrams per system call is what keeps a busy TZSP feed cheap.
typedef struct {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} mg_mmsghdr;
extern int mg_recvmmsg(int fd, mg_mmsghdr *vmessages, unsigned int vlen, int flags,
                       struct timespec *timeout) __asm__("recvmmsg");

#endif
