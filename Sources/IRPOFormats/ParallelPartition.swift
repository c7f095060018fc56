import Foundation

/// Splits `0..<count` into a fixed number of contiguous chunks (a function of `count` and
/// `minimumChunk` only) and runs `body` on each, concurrently when there is more than one chunk.
///
/// Results are bit-identical run to run because the partition does not depend on timing.
/// `body` must only write to disjoint memory for disjoint ranges.
func parallelChunks(count: Int, minimumChunk: Int, _ body: (Range<Int>) -> Void) {
    precondition(count >= 0 && minimumChunk > 0, "parallelChunks: bad arguments")
    if count == 0 { return }
    let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
    let chunks = min(max(1, count / minimumChunk), workers * 4)
    if chunks == 1 {
        body(0..<count)
        return
    }
    let base = count / chunks
    let extra = count % chunks
    withoutActuallyEscaping(body) { escapable in
        let work = UncheckedSendableBox(escapable)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = chunk * base + min(chunk, extra)
            let end = start + base + (chunk < extra ? 1 : 0)
            work.value(start..<end)
        }
    }
}
