import CIRPOKernels
import Foundation

/// Which instruction set irpo's own hot decode kernels use (the batch-invariant product, decode
/// attention, the sampler's exp pass).
///
/// The Swift kernels are built for AVX2 and FMA. On a CPU with AVX-512 (F, BW, DQ, VL, with the
/// operating system saving the 512-bit registers) they run C versions with 16-lane registers
/// instead (`CIRPOKernels`). Both compute every output element as the same
/// fused multiply-add chain in the same order, so their results are identical to the bit; only
/// the speed differs. `IRPO_AVX512=off` in the environment keeps the AVX2 kernels (to compare).
public enum VectorKernels {
    /// Whether the AVX-512 kernels are used in this process.
    public static let avx512: Bool = {
        if let setting = ProcessInfo.processInfo.environment["IRPO_AVX512"]?.lowercased(),
           ["0", "off", "no", "false"].contains(setting) {
            return false
        }
        return avx512Available
    }()

    /// Whether this CPU could run the AVX-512 kernels (whatever `IRPO_AVX512` says).
    public static let avx512Available: Bool = irpo_avx512_usable() == 1

    /// One line for logs, e.g. "decode kernels: AVX-512".
    public static var summary: String {
        if avx512 { return "decode kernels: AVX-512" }
        return avx512Available ? "decode kernels: AVX2/FMA (AVX-512 turned off by IRPO_AVX512)" : "decode kernels: AVX2/FMA"
    }
}
