import XCTest
@testable import IRPOTensor

final class BLASKernelChoiceTests: XCTestCase {
    static let avx512Flags: Set<String> = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx512_vnni"]
    static let avx2Flags: Set<String> = ["sse3", "avx", "avx2", "fma"]
    let intelAVX512 = CPUFeatures(vendor: .intel, flags: avx512Flags)
    let amdAVX2 = CPUFeatures(vendor: .amd, flags: avx2Flags)
    let intelAVX2 = CPUFeatures(vendor: .intel, flags: avx2Flags)
    let old = CPUFeatures(vendor: .intel, flags: ["sse3", "avx"])

    func testGenericCoreOnAVX512CPUTriesSkylakeXThenHaswell() {
        XCTAssertEqual(BLASKernelChoice.decide(core: "Prescott", features: intelAVX512, environment: [:]),
                       .tryInOrder(current: "Prescott", candidates: ["SkylakeX", "Haswell"]))
    }

    func testGenericCoreOnAMDAVX2TriesZenThenHaswell() {
        XCTAssertEqual(BLASKernelChoice.decide(core: "Core2", features: amdAVX2, environment: [:]),
                       .tryInOrder(current: "Core2", candidates: ["Zen", "Haswell"]))
        XCTAssertEqual(BLASKernelChoice.decide(core: "Katmai", features: intelAVX2, environment: [:]),
                       .tryInOrder(current: "Katmai", candidates: ["Haswell"]))
    }

    func testTunedCoresAreKept() {
        for core in ["Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"] {
            XCTAssertEqual(BLASKernelChoice.decide(core: core, features: intelAVX512, environment: [:]), .keep(core))
        }
    }

    func testCPUWithoutAVX2KeepsWhatOpenBLASChose() {
        XCTAssertEqual(BLASKernelChoice.decide(core: "Sandybridge", features: old, environment: [:]), .keep("Sandybridge"))
        // AVX-512 flags without AVX2/FMA are not enough either.
        let odd = CPUFeatures(vendor: .intel, flags: ["avx512f", "avx512bw"])
        XCTAssertEqual(BLASKernelChoice.decide(core: "Prescott", features: odd, environment: [:]), .keep("Prescott"))
    }

    func testUserSettingAlwaysWinsAndOffDisables() {
        XCTAssertEqual(BLASKernelChoice.decide(core: "Prescott", features: intelAVX512, environment: ["OPENBLAS_CORETYPE": "Prescott"]),
                       .userChoice("Prescott"))
        XCTAssertEqual(BLASKernelChoice.decide(core: "Prescott", features: intelAVX512, environment: ["IRPO_BLAS_SELECTION": "off"]),
                       .disabled)
        // An empty OPENBLAS_CORETYPE is no choice.
        XCTAssertEqual(BLASKernelChoice.decide(core: "Prescott", features: amdAVX2, environment: ["OPENBLAS_CORETYPE": ""]),
                       .tryInOrder(current: "Prescott", candidates: ["Zen", "Haswell"]))
    }

    func testTreatAsGenericExercisesTheSelectionOnAKnownCore() {
        XCTAssertEqual(BLASKernelChoice.decide(core: "Zen", features: amdAVX2, environment: [:], treatAsGeneric: true),
                       .tryInOrder(current: "Zen", candidates: ["Zen", "Haswell"]))
    }

    func testCandidateListCanBeReplaced() {
        XCTAssertEqual(BLASKernelChoice.decide(core: "Prescott", features: amdAVX2, environment: ["IRPO_BLAS_CANDIDATES": "SkylakeX, Zen,"]),
                       .tryInOrder(current: "Prescott", candidates: ["SkylakeX", "Zen"]))
        // It does not start a selection on its own.
        XCTAssertEqual(BLASKernelChoice.decide(core: "Zen", features: amdAVX2, environment: ["IRPO_BLAS_CANDIDATES": "Haswell"]), .keep("Zen"))
    }

    func testParsesProcCpuinfo() {
        let text = """
        processor\t: 0
        vendor_id\t: GenuineIntel
        model name\t: Intel(R) Xeon(R) Processor
        flags\t\t: fpu sse3 avx avx2 fma avx512f avx512cd avx512bw avx512dq avx512vl avx512_fp16

        processor\t: 1
        vendor_id\t: AuthenticAMD
        flags\t\t: fpu
        """
        let features = CPUFeatures.parse(cpuinfo: Substring(text))
        XCTAssertEqual(features.vendor, .intel)
        XCTAssertEqual(features.modelName, "Intel(R) Xeon(R) Processor")
        XCTAssertTrue(features.hasAVX512)
        XCTAssertTrue(features.flags.contains("avx512_fp16"))
        XCTAssertFalse(CPUFeatures.parse(cpuinfo: "garbage without colons\n\n\n").hasAVX2FMA)
    }

    func testSelfCheckPassesWithTheKernelsInUse() {
        XCTAssertNil(GEMM.selfCheck())
        XCTAssertFalse(BLASKernelSelection.coreName.isEmpty)
        XCTAssertTrue(BLASKernelSelection.summary.contains(BLASKernelSelection.coreName))
    }
}
