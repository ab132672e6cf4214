internal import Glibc
internal import Synchronization

/// A task executor with one thread of its own: training from the page runs there, child tasks
/// included, and never on the cooperative pool.
///
/// The pool has one thread per core, two on a typical gateway, and the pipeline's actors, the
/// uploader and the web server all run on it. Training is minutes of arithmetic; on the pool it
/// would hold one of the two threads (both, once the trainer fans its folds out) and the engine
/// would fall behind the capture threads until frames are dropped at the edge.
final class TrainingThread: TaskExecutor, @unchecked Sendable {
    /// The one training thread of the process, started when first used.
    static let shared = TrainingThread()

    /// The thread, for the test that checks where training runs (set once, in `init`).
    private(set) var thread = pthread_t()

    // Guarded by `mutex`; `signal` counts the jobs the thread has yet to take.
    private let jobs = Mutex<[UnownedJob]>([])
    private let signal: UnsafeMutablePointer<sem_t>

    private init() {
        signal = .allocate(capacity: 1)
        sem_init(signal, 0, 0)
        var thread = pthread_t()
        let context = Unmanaged.passUnretained(self).toOpaque()
        let status = pthread_create(&thread, nil, { context in
            Unmanaged<TrainingThread>.fromOpaque(context!).takeUnretainedValue().runJobs()
        }, context)
        precondition(status == 0, "cannot start the training thread: pthread_create returned \(status)")
        pthread_detach(thread)
        self.thread = thread
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.append(job) }
        sem_post(signal)
    }

    private func runJobs() -> Never {
        let executor = asUnownedTaskExecutor()
        while true {
            while sem_wait(signal) != 0 {}  // EINTR
            let job = jobs.withLock { $0.removeFirst() }
            job.runSynchronously(on: executor)
        }
    }
}
