import Foundation

/// The instruction-set features of this CPU that decide which matrix kernels can run on it,
/// as the operating system reports them (on Linux the `flags` and `vendor_id` lines of
/// `/proc/cpuinfo`, which already leave out what a hypervisor hides).
public struct CPUFeatures: Sendable, Equatable {
    /// The CPU vendor.
    public enum Vendor: String, Sendable, Equatable {
        case intel = "GenuineIntel"
        case amd = "AuthenticAMD"
        case other
    }

    /// The vendor.
    public var vendor: Vendor
    /// The model name, for logs ("AMD EPYC", "Intel(R) Xeon(R) Processor").
    public var modelName: String
    /// The lower-case feature flags ("avx2", "fma", "avx512f", ...).
    public var flags: Set<String>

    /// Creates a feature set.
    public init(vendor: Vendor, modelName: String = "", flags: Set<String>) {
        self.vendor = vendor
        self.modelName = modelName
        self.flags = flags
    }

    /// AVX2 and FMA: what OpenBLAS's Haswell and Zen kernels need.
    public var hasAVX2FMA: Bool { flags.contains("avx2") && flags.contains("fma") }

    /// The AVX-512 subsets OpenBLAS's SkylakeX kernels use (F, CD, BW, DQ, VL) with AVX2 and FMA.
    public var hasAVX512: Bool {
        hasAVX2FMA && ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
    }

    /// Reads the features from the text of `/proc/cpuinfo` (the first processor's lines).
    public static func parse(cpuinfo text: Substring) -> CPUFeatures {
        var vendor = Vendor.other
        var model = ""
        var flags: Set<String> = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty, !flags.isEmpty { break }   // end of the first processor's block
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch key {
            case "vendor_id": vendor = Vendor(rawValue: value) ?? .other
            case "model name": model = value
            case "flags": flags = Set(value.lowercased().split(separator: " ").map(String.init))
            default: break
            }
        }
        return CPUFeatures(vendor: vendor, modelName: model, flags: flags)
    }

    /// This machine's features; empty flags where they cannot be read (not Linux, no /proc).
    public static let current: CPUFeatures = {
        #if os(Linux)
        // /proc/cpuinfo is a few KB per core; read at most 4 MiB of it.
        guard let handle = FileHandle(forReadingAtPath: "/proc/cpuinfo") else {
            return CPUFeatures(vendor: .other, flags: [])
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: 4 << 20)) ?? Data()
        return parse(cpuinfo: Substring(String(decoding: data, as: UTF8.self)))
        #else
        return CPUFeatures(vendor: .other, flags: [])
        #endif
    }()
}
