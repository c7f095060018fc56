import XCTest
import IRPOTensor

final class ElementwiseTests: KernelTestCase {
    func testArithmeticMatchesScalarLoops() {
        var data = TestData(seed: 21)
        let count = 37
        let a = FloatBuffer(data.floats(count)), b = FloatBuffer(data.floats(count))
        let out = FloatBuffer(count: count)
        Elementwise.add(output: out.p, a: a.c, b: b.c, count: count)
        XCTAssertEqual(out.array, zip(a.array, b.array).map { $0 + $1 })
        Elementwise.accumulate(into: out.p, from: a.c, count: count)
        XCTAssertEqual(out.array, zip(a.array, b.array).map { ($0 + $1) + $0 })
        let before = out.array
        Elementwise.accumulate(into: out.p, from: b.c, scaledBy: -0.5, count: count)
        XCTAssertEqual(out.array, zip(before, b.array).map { $0.addingProduct(-0.5, $1) })
        Elementwise.scale(out.p, by: 3, count: count)
        XCTAssertEqual(out.array, zip(before, b.array).map { $0.addingProduct(-0.5, $1) * 3 })
        Elementwise.copy(output: out.p, input: a.c, count: count)
        XCTAssertEqual(out.array, a.array)
        Elementwise.fill(out.p, with: 2, count: count)
        XCTAssertEqual(out.array, [Float](repeating: 2, count: count))
        Elementwise.zero(out.p, count: count)
        XCTAssertEqual(out.array, [Float](repeating: 0, count: count))
    }

    /// Bias add and its backward, checked as a pair: the backward is the adjoint of the forward.
    func testBiasGradientIsColumnSumInDouble() {
        var data = TestData(seed: 22)
        let rows = 5, columns = 11
        let x = FloatBuffer(data.floats(rows * columns)), bias = FloatBuffer(data.floats(columns))
        let y = FloatBuffer(x.array)
        Elementwise.addBias(y.p, bias: bias.c, rows: rows, columns: columns)
        for r in 0..<rows {
            for c in 0..<columns { XCTAssertEqual(y.p[r * columns + c], x.p[r * columns + c] + bias.p[c]) }
        }
        let weights = data.doubles(rows * columns)
        let dOutput = FloatBuffer(weights.map(Float.init))
        let dBias = FloatBuffer(count: columns, value: 1)
        Elementwise.accumulateBiasGradient(dBias: dBias.p, dOutput: dOutput.c, rows: rows, columns: columns)
        let numeric = centralDifferences(at: bias.doubles) { b in
            var output = [Double](repeating: 0, count: rows * columns)
            for r in 0..<rows { for c in 0..<columns { output[r * columns + c] = Double(x.p[r * columns + c]) + b[c] } }
            return functional(output, weights)
        }
        assertClose(dBias.array, numeric.map { $0 + 1 }, absolute: 1e-5, relative: 1e-4, "dBias")
    }

    func testResultsDoNotDependOnThreadCount() {
        var data = TestData(seed: 23)
        let count = 100_003
        let a = FloatBuffer(data.floats(count)), b = FloatBuffer(data.floats(count))
        let one = FloatBuffer(count: count), three = FloatBuffer(count: count)
        withThreads(1) { Elementwise.add(output: one.p, a: a.c, b: b.c, count: count) }
        withThreads(3) { Elementwise.add(output: three.p, a: a.c, b: b.c, count: count) }
        XCTAssertEqual(one.bitPatterns, three.bitPatterns)
    }
}
