import Foundation
import XCTest
import IRPOTensor

final class VectorMathTests: KernelTestCase {
    func testExpRelativeErrorOverItsDomain() {
        var worst = 0.0
        var x: Float = -87
        while x <= 88 {
            let lanes = SIMD8<Float>((0..<8).map { x + Float($0) * 0.0137 })
            let result = VectorMath.exp(lanes)
            for lane in 0..<8 where lanes[lane] <= 88 {
                let exact = Foundation.exp(Double(lanes[lane]))
                worst = max(worst, abs(Double(result[lane]) - exact) / exact)
            }
            x += 0.1
        }
        XCTAssertLessThan(worst, 3e-7, "max relative error of the SIMD exp")
    }

    func testExpEdgeCases() {
        let result = VectorMath.exp(SIMD8(-.infinity, -1000, -87.5, 0, 1, .nan, 88, -0.0))
        XCTAssertEqual(result[0], 0)
        XCTAssertEqual(result[1], 0)
        XCTAssertEqual(result[2], 0)
        XCTAssertEqual(result[3], 1)
        XCTAssertEqual(Double(result[4]), M_E, accuracy: 1e-6)
        XCTAssertTrue(result[5].isNaN)
        XCTAssertTrue(result[6].isFinite)
        XCTAssertEqual(result[7], 1)
    }

    func testDotAndMaxMatchNaiveLoopsForEveryTail() {
        var data = TestData(seed: 5)
        for count in 1...37 {
            let a = FloatBuffer(data.floats(count)), b = FloatBuffer(data.floats(count))
            let expected = (0..<count).reduce(0.0) { $0 + Double(a.p[$1]) * Double(b.p[$1]) }
            XCTAssertEqual(Double(VectorMath.dot(a.c, b.c, count: count)), expected, accuracy: 1e-5, "count \(count)")
            XCTAssertEqual(VectorMath.max(a.c, count: count), a.array.max(), "count \(count)")
        }
    }

    func testPartialLoadsAndStores() {
        let source = FloatBuffer([1, 2, 3])
        let vector = VectorMath.load(source.c, count: 3, padding: -5)
        XCTAssertEqual(vector, SIMD8(1, 2, 3, -5, -5, -5, -5, -5))
        let destination = FloatBuffer(count: 4, value: 9)
        VectorMath.store(vector * 2, destination.p, count: 3)
        XCTAssertEqual(destination.array, [2, 4, 6, 9])
        XCTAssertEqual(VectorMath.horizontalSum(SIMD8(1, 2, 3, 4, 5, 6, 7, 8)), 36)
        XCTAssertEqual(VectorMath.horizontalMax(SIMD8(1, 9, 3, 4, 5, 6, 7, 8)), 9)
    }
}
