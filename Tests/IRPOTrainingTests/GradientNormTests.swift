import IRPOTensor
import XCTest
@testable import IRPOTraining

final class GradientNormTests: XCTestCase {
    func testNormMatchesDoubleAndIsThreadIndependent() {
        let count = 3 * GradientNorm.blockSize + 123
        var generator = SeededGenerator(seed: 11)
        let values = (0..<count).map { _ in generator.normal() }
        let expected = values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        Parallel.threadCount = 1
        let one = values.withUnsafeBufferPointer { GradientNorm.l2($0.baseAddress!, count: count) }
        Parallel.threadCount = 2
        let two = values.withUnsafeBufferPointer { GradientNorm.l2($0.baseAddress!, count: count) }
        XCTAssertEqual(one, expected, accuracy: expected * 1e-6)
        XCTAssertEqual(one, two)
    }

    func testNonFiniteIsReported() {
        var values: [Float] = [1, 2, .nan, 4]
        XCTAssertTrue(values.withUnsafeBufferPointer { GradientNorm.l2($0.baseAddress!, count: 4) }.isNaN)
        values[2] = .infinity
        XCTAssertEqual(values.withUnsafeBufferPointer { GradientNorm.l2($0.baseAddress!, count: 4) }, .infinity)
    }

    func testClipScalesLikeTorch() {
        var values: [Float] = [3, 4]   // norm 5
        let factor = values.withUnsafeMutableBufferPointer { GradientNorm.clip($0.baseAddress!, count: 2, norm: 5, maxNorm: 1) }
        XCTAssertEqual(Double(factor), 1 / (5 + 1e-6), accuracy: 1e-7)
        XCTAssertEqual(values[0], 3 * factor)
        var small: [Float] = [0.3, 0.4]
        let unchanged = small.withUnsafeMutableBufferPointer { GradientNorm.clip($0.baseAddress!, count: 2, norm: 0.5, maxNorm: 1) }
        XCTAssertEqual(unchanged, 1)
        XCTAssertEqual(small, [0.3, 0.4])
    }
}
