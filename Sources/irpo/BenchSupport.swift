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

}
