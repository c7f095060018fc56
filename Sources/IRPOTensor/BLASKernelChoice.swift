import Foundation

/// Decides whether OpenBLAS's own choice of matrix kernels should be replaced.
///
/// OpenBLAS built with `DYNAMIC_ARCH` picks its kernels from cpuid when the library loads. A
/// release older than the CPU does not recognise it and silently falls back to generic SSE
/// kernels (it reports a core such as "Prescott"), 3-5x slower than the AVX2 or AVX-512 kernels
/// the CPU can run. This type holds the pure part of the decision: which kernel sets to try, in
/// order, given what OpenBLAS reported, what the CPU supports and the environment.
/// `BLASKernelSelection` carries it out.
public enum BLASKernelChoice: Sendable, Equatable {
    /// The user set `OPENBLAS_CORETYPE`; it always wins.
    case userChoice(String)
    /// Selection is turned off (`IRPO_BLAS_SELECTION=off`).
    case disabled
    /// OpenBLAS's own choice is kept: it is a tuned kernel set, or the CPU has nothing better.
    case keep(String)
    /// OpenBLAS chose a generic kernel set on a CPU that can run better ones: try these
    /// `OPENBLAS_CORETYPE` values in order and use the first that passes the self-check.
    case tryInOrder(current: String, candidates: [String])

    /// The environment variable that turns the selection off when set to `off`.
    public static let switchVariable = "IRPO_BLAS_SELECTION"
    /// The environment variable that replaces the candidate list (comma-separated core names,
    /// tried in order, each still self-checked).
    public static let candidatesVariable = "IRPO_BLAS_CANDIDATES"

    /// OpenBLAS core names whose kernels use AVX2/FMA or AVX-512 (lower case).
    static let tunedCores: Set<String> = ["haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"]

    /// The decision for OpenBLAS's reported core `core` on a CPU with `features`.
    /// - Parameters:
    ///   - core: `openblas_get_corename()` as reported after the library loaded.
    ///   - features: the CPU's instruction-set features.
    ///   - environment: the process environment (`OPENBLAS_CORETYPE`, `IRPO_BLAS_SELECTION`).
    ///   - treatAsGeneric: decide as if `core` were a generic one (to exercise the selection on
    ///     a CPU that OpenBLAS recognises).
    public static func decide(core: String, features: CPUFeatures, environment: [String: String],
                              treatAsGeneric: Bool = false) -> BLASKernelChoice {
        if let user = environment["OPENBLAS_CORETYPE"], !user.isEmpty { return .userChoice(user) }
        if environment[switchVariable]?.lowercased() == "off" { return .disabled }
        let tuned = tunedCores.contains(core.lowercased()) && !treatAsGeneric
        guard !tuned, features.hasAVX2FMA else { return .keep(core) }
        if let listed = environment[candidatesVariable] {
            let names = listed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if !names.isEmpty { return .tryInOrder(current: core, candidates: Array(names.prefix(8))) }
        }
        var candidates: [String] = []
        if features.hasAVX512 { candidates.append("SkylakeX") }
        if features.vendor == .amd { candidates.append("Zen") }
        candidates.append("Haswell")
        return .tryInOrder(current: core, candidates: candidates)
    }
}
