import XCTest
import IRPOTensor

/// The benchmark is for the CLI; this only checks that it runs every kernel at a tiny shape
/// and reports sensible rows (no timing thresholds).
final class KernelBenchmarksTests: KernelTestCase {
    func testRunsEveryKernelAtATinyShape() {
        let rows = KernelBenchmarks.run(tokens: 16, sequenceLength: 8, repetitions: 1)
        let names = rows.map(\.name)
        XCTAssertEqual(Set(names).count, names.count, "row names are unique")
        for kernel in ["GEMM", "RMSNorm.forward", "RMSNorm.backward", "SwiGLU.forward", "SwiGLU.backward",
                       "RotaryEmbedding.apply", "Attention.forward", "Attention.backward",
                       "LogSoftmaxGather.forward", "LogSoftmaxGather.backward", "Elementwise.accumulate"] {
            XCTAssertTrue(names.contains { $0.hasPrefix(kernel) }, "missing \(kernel)")
        }
        for row in rows {
            XCTAssertTrue(row.seconds.isFinite && row.seconds >= 0, "\(row.name) seconds")
            XCTAssertGreaterThan(row.elements, 0, row.name)
            XCTAssertFalse(row.description.isEmpty)
        }
        XCTAssertTrue(rows.filter { $0.name.hasPrefix("GEMM") || $0.name.hasPrefix("Attention") }.allSatisfy { $0.flops > 0 })
    }
}
