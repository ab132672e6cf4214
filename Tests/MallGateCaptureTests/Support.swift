import Glibc
import Testing
@testable import MallGateCapture

/// /work/shared/captures, found from this file: Tests/MallGateCaptureTests → package root → ../shared.
let capturesDirectory: String = {
    var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // Support.swift, MallGateCaptureTests, Tests
    return parts.joined(separator: "/") + "/../shared/captures"
}()

let capturesPresent: Bool = access(capturesDirectory, R_OK) == 0

/// Disables a test with a clear reason when the shared captures are not checked out next to the package.
let needsCaptures = ConditionTrait.enabled(if: capturesPresent, "../shared/captures is absent; real-capture tests skipped")

func capture(_ relative: String) -> String { capturesDirectory + "/" + relative }

/// What a test keeps of a frame after the callback (the bytes are copied only here, in tests).
struct Seen: Equatable {
    var frameNumber: UInt64
    var nanos: Int64
    var sourceIndex: Int
    var captured: Int
    var original: Int
    var firstByte: UInt8?
}

/// Reads a source to its end (or first error), in batches of `batch`.
func readAll(_ source: some FrameSource, batch: Int = 64) -> (frames: [Seen], error: CaptureError?) {
    var frames: [Seen] = []
    while true {
        do {
            let outcome = try source.read(maxFrames: batch) { frame in
                frames.append(Seen(
                    frameNumber: frame.frameNumber, nanos: frame.timestampNanoseconds,
                    sourceIndex: frame.sourceIndex, captured: frame.bytes.count,
                    original: frame.originalLength, firstByte: frame.bytes.first))
            }
            if outcome == .endOfInput { return (frames, nil) }
        } catch {
            return (frames, error)
        }
    }
}



/// Starts `arguments` (PATH lookup) and returns its pid.
func spawn(_ arguments: [String]) -> pid_t {
    var pid: pid_t = 0
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { for arg in argv { free(arg) } }
    let status = posix_spawnp(&pid, arguments[0], nil, nil, &argv, environ)
    precondition(status == 0, "posix_spawnp \(arguments[0]) failed: \(status)")
    return pid
}

/// Waits for a child and returns its exit status.
func wait(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (status >> 8) & 0xff
}

/// Runs a command to completion and returns its exit status.
@discardableResult
func run(_ arguments: [String]) -> Int32 { wait(spawn(arguments)) }

/// Runs a blocking call on its own POSIX thread, so it cannot starve Swift's cooperative pool
/// (2 threads on this machine) while the test interrupts it.
final class BlockingCall<T>: @unchecked Sendable {
    private let thread: pthread_t
    private let box: ResultBox<T>

    init(_ body: @escaping () -> T) {
        let box = ResultBox<T>()
        self.box = box
        thread = startThread { box.value = body() }
    }

    /// Waits for the call to finish and returns its result.
    func join() -> T {
        pthread_join(thread, nil)
        return box.value!
    }
}

final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}

final class ThreadBody: @unchecked Sendable {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

func startThread(_ body: @escaping () -> Void) -> pthread_t {
    let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var thread = pthread_t()
    let status = pthread_create(&thread, nil, { raw in
        Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue().run()
        return nil
    }, context)
    precondition(status == 0)
    return thread
}
