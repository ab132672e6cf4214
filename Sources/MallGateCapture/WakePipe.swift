internal import CPcap
internal import Glibc

/// A self-pipe: `wake()` from any thread makes the read end readable, ending a poll() elsewhere.
///
/// This is how ``FrameSource/interrupt()`` reaches a thread blocked waiting for a
/// stream or socket; both ends are non-blocking so `wake()` never blocks either.
final class WakePipe: Sendable {
    let readEnd: Int32
    let writeEnd: Int32

    init() throws(CaptureError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            let code = errno
            throw CaptureError(
                .socketFailed, sensor: nil, subject: "wake-up pipe", function: "pipe", code: code,
                systemMessage: String(cString: strerror(code)),
                summary: "cannot create the pipe used to interrupt reads",
                advice: "the process is probably out of file descriptors; raise LimitNOFILE=")
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    func wake() {
        var byte: UInt8 = 1
        // A full pipe already means "woken"; nothing to do on EAGAIN.
        _ = write(writeEnd, &byte, 1)
    }
}

/// Waits up to `timeout` ms until `fd` or `wakeFD` is readable, without touching the heap.
///
/// Called whenever a live source finds nothing queued, which on a quiet radio is once per frame.
func waitReadable(_ fd: Int32, orWake wakeFD: Int32, timeoutMilliseconds timeout: Int32) {
    withUnsafeTemporaryAllocation(of: pollfd.self, capacity: 2) { fds in
        fds[0] = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        fds[1] = pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)
        _ = poll(fds.baseAddress, 2, timeout)
    }
}
