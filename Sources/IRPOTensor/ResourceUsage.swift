import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The process's memory and a monotonic clock: for the benchmarks, the demo's log and the fuzz
/// tests' bounds.
public enum ResourceUsage {
    /// Seconds since an arbitrary origin (monotonic).
    public static func seconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

    /// The process's peak resident set size in bytes (`getrusage`).
    public static func peakResidentBytes() -> Int {
        var usage = rusage()
        #if os(Linux)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Int(usage.ru_maxrss) * 1024  // kilobytes on Linux
        #else
        getrusage(RUSAGE_SELF, &usage)
        return Int(usage.ru_maxrss)  // bytes on macOS
        #endif
    }

    /// The current resident set size in bytes (`/proc/self/statm` on Linux; the peak elsewhere).
    public static func residentBytes() -> Int {
        #if os(Linux)
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return peakResidentBytes() }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return peakResidentBytes() }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
        #else
        return peakResidentBytes()
        #endif
    }
}
