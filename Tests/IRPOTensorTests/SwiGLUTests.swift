import Foundation
import XCTest
import IRPOTensor

final class SwiGLUTests: KernelTestCase {
    private func reference(_ gate: [Double], _ up: [Double]) -> [Double] {
        zip(gate, up).map { g, u in g / (1 + Foundation.exp(-g)) * u }
    }

    func testForwardAndBackwardMatchDouble() {
        var data = TestData(seed: 61)
        let count = 29
        var gateValues = data.floats(count, scale: 3)
        gateValues[0] = 40; gateValues[1] = -40; gateValues[2] = 0
        let gate = FloatBuffer(gateValues), up = FloatBuffer(data.floats(count))
        let output = FloatBuffer(count: count)
        SwiGLU.forward(output: output.p, gate: gate.c, up: up.c, count: count)
        assertClose(output.array, reference(gate.doubles, up.doubles), absolute: 1e-6, relative: 1e-5, "output")

        let weights = data.doubles(count)
        let dGate = FloatBuffer(data.floats(count)), dUp = FloatBuffer(data.floats(count))
        let dGateInitial = dGate.doubles, dUpInitial = dUp.doubles
        SwiGLU.backward(dGate: dGate.p, dUp: dUp.p, dOutput: FloatBuffer(weights.map(Float.init)).c, gate: gate.c, up: up.c, count: count)
        let gs = gate.doubles, us = up.doubles
        let numericGate = centralDifferences(at: gs) { functional(reference($0, us), weights) }
        let numericUp = centralDifferences(at: us) { functional(reference(gs, $0), weights) }
        assertClose(dGate.array, zip(numericGate, dGateInitial).map { $0 + $1 }, absolute: 1e-5, relative: 1e-4, "dGate")
        assertClose(dUp.array, zip(numericUp, dUpInitial).map { $0 + $1 }, absolute: 1e-5, relative: 1e-4, "dUp")
    }

    func testDeterministicAcrossThreadCounts() {
        var data = TestData(seed: 62)
        let count = 50_001
        let gate = FloatBuffer(data.floats(count)), up = FloatBuffer(data.floats(count)), dy = FloatBuffer(data.floats(count))
        func run(_ threads: Int) -> [UInt32] {
            withThreads(threads) {
                let y = FloatBuffer(count: count), dg = FloatBuffer(count: count), du = FloatBuffer(count: count)
                SwiGLU.forward(output: y.p, gate: gate.c, up: up.c, count: count)
                SwiGLU.backward(dGate: dg.p, dUp: du.p, dOutput: dy.c, gate: gate.c, up: up.c, count: count)
                return y.bitPatterns + dg.bitPatterns + du.bitPatterns
            }
        }
        let first = run(2)
        XCTAssertEqual(first, run(2))
        XCTAssertEqual(first, run(1))
        XCTAssertEqual(first, run(3))
    }
}
