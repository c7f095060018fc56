import Foundation
import IRPOTensor

/// Measurements shared by the benchmarks.
enum BenchSupport {
    /// Seconds since an arbitrary origin (monotonic).
    static func now() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) * 1e-9
    }

    /// Peak resident set size of this process in bytes (`getrusage` `ru_maxrss`).
    static func peakResidentBytes() -> Int {
        var usage = rusage()
        #if os(Linux)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Int(usage.ru_maxrss) * 1024   // kilobytes on Linux
        #else
        getrusage(RUSAGE_SELF, &usage)
        return Int(usage.ru_maxrss)          // bytes on macOS
        #endif
    }

    /// sgemm GFLOP/s on `[m x k] x [k x n]` (default: the LM shape [4096x576]x[576x1536]), the
    /// median of `repeats` timed products after one warm-up, with the current BLAS threads.
    static func sgemmGFLOPs(m: Int = 4096, k: Int = 576, n: Int = 1536, repeats: Int = 7) -> Double {
        let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: k * n)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        var generator = SeededGenerator(seed: 1)
        generator.fillUniform(a, count: m * k, low: -1, high: 1)
        generator.fillUniform(b, count: k * n, low: -1, high: 1)
        c.initialize(repeating: 0, count: m * n)
        var times: [Double] = []
        for repeat_ in 0...repeats {
            let start = now()
            GEMM.multiply(transposeA: false, transposeB: false, m: m, n: n, k: k, a: a, b: b, c: c)
            if repeat_ > 0 { times.append(now() - start) }
        }
        times.sort()
        return 2 * Double(m) * Double(n) * Double(k) / times[times.count / 2] / 1e9
    }
}
