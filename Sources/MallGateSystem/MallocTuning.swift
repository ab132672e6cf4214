internal import CMalloc

/// Fixes glibc's thresholds for returning memory to the system, for a process that runs for years.
///
/// By default glibc raises its mmap threshold (up to 32 MB) each time a large block is freed, so
/// the per-device tables of a busy pipeline, grown and rehashed as phones come and go, end up
/// carved out of the heap, where freed space stays in the process. A fixed 128 KiB threshold
/// (glibc's starting value) keeps every large table in its own mapping, unmapped when freed.
/// Measured with 100,000 devices at once (BENCHMARKS.md, session 8): the usual peak RSS 129 →
/// 124–125 MB. The large observation batches would then be mapped and unmapped each time
/// (+13 % CPU on a replay); the capture session recycles them instead (``CaptureSession``).
public enum MallocTuning {
    /// Applies the thresholds; a no-op where mallopt refuses (it returns 0 on error).
    public static func fixThresholds() {
        _ = mallopt(M_MMAP_THRESHOLD, 128 * 1024)
    }
}
