import XCTest
import IRPOTensor

final class GEMMTests: KernelTestCase {
    /// Every transpose combination with padded leading dimensions, alpha and beta, against a
    /// naive Double loop; padding elements of C must stay untouched.
    func testTransposesAndLeadingDimensionsMatchNaiveLoop() {
        var data = TestData(seed: 1)
        let m = 5, n = 7, k = 3
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let aRows = transposeA ? k : m, aColumns = transposeA ? m : k
                let bRows = transposeB ? n : k, bColumns = transposeB ? k : n
                let lda = aColumns + 2, ldb = bColumns + 3, ldc = n + 1
                let a = FloatBuffer(data.floats(aRows * lda))
                let b = FloatBuffer(data.floats(bRows * ldb))
                let c = FloatBuffer(data.floats(m * ldc))
                let before = c.array
                let alpha: Float = 0.75, beta: Float = 0.5
                GEMM.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                              a: a.c, lda: lda, b: b.c, ldb: ldb, beta: beta, c: c.p, ldc: ldc)
                var expected = before.map(Double.init)
                for i in 0..<m {
                    for j in 0..<n {
                        var sum = 0.0
                        for l in 0..<k {
                            let aValue = transposeA ? a.p[l * lda + i] : a.p[i * lda + l]
                            let bValue = transposeB ? b.p[j * ldb + l] : b.p[l * ldb + j]
                            sum += Double(aValue) * Double(bValue)
                        }
                        expected[i * ldc + j] = Double(alpha) * sum + Double(beta) * Double(before[i * ldc + j])
                    }
                }
                assertClose(c.array, expected, absolute: 1e-5, relative: 1e-5, "transposeA \(transposeA) transposeB \(transposeB)")
                for i in 0..<m {
                    XCTAssertEqual(c.p[i * ldc + n].bitPattern, before[i * ldc + n].bitPattern, "padding column of C changed")
                }
            }
        }
    }

    func testPackedOverloadMatchesExplicitLeadingDimensions() {
        var data = TestData(seed: 2)
        let m = 4, n = 6, k = 9
        let a = FloatBuffer(data.floats(k * m)), b = FloatBuffer(data.floats(n * k))
        let c1 = FloatBuffer(count: m * n), c2 = FloatBuffer(count: m * n)
        GEMM.multiply(transposeA: true, transposeB: true, m: m, n: n, k: k, a: a.c, b: b.c, c: c1.p)
        GEMM.multiply(transposeA: true, transposeB: true, m: m, n: n, k: k, a: a.c, lda: m, b: b.c, ldb: k, c: c2.p, ldc: n)
        XCTAssertEqual(c1.bitPatterns, c2.bitPatterns)
        XCTAssertNotEqual(c1.array, [Float](repeating: 0, count: m * n))
    }

    func testEmptyInnerDimensionScalesOrClearsC() {
        let a = FloatBuffer(count: 1), b = FloatBuffer(count: 1)
        let c = FloatBuffer([1, .nan, 3, 4])
        GEMM.multiply(transposeA: false, transposeB: false, m: 2, n: 2, k: 0, a: a.c, lda: 1, b: b.c, ldb: 2, beta: 0, c: c.p, ldc: 2)
        XCTAssertEqual(c.array, [0, 0, 0, 0])
        let d = FloatBuffer([1, 2, 3, 4])
        GEMM.multiply(transposeA: false, transposeB: false, m: 2, n: 2, k: 0, a: a.c, lda: 1, b: b.c, ldb: 2, beta: 2, c: d.p, ldc: 2)
        XCTAssertEqual(d.array, [2, 4, 6, 8])
    }

    func testThreadCountRoundTripsAndResultIsDeterministic() {
        let saved = GEMM.threadCount
        defer { GEMM.threadCount = saved }
        GEMM.threadCount = 1
        XCTAssertEqual(GEMM.threadCount, 1)
        var data = TestData(seed: 3)
        let m = 64, n = 80, k = 96
        let a = FloatBuffer(data.floats(m * k)), b = FloatBuffer(data.floats(k * n))
        let c1 = FloatBuffer(count: m * n), c2 = FloatBuffer(count: m * n)
        GEMM.multiply(transposeA: false, transposeB: false, m: m, n: n, k: k, a: a.c, b: b.c, c: c1.p)
        GEMM.multiply(transposeA: false, transposeB: false, m: m, n: n, k: k, a: a.c, b: b.c, c: c2.p)
        XCTAssertEqual(c1.bitPatterns, c2.bitPatterns)
    }
}
