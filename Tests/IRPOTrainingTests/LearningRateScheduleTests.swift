import Foundation
import XCTest
@testable import IRPOTraining

final class LearningRateScheduleTests: XCTestCase {
    func testConstantWithAndWithoutWarmup() {
        let constant = LearningRateSchedule(kind: .constant, peak: 1e-3, totalSteps: 10)
        XCTAssertEqual(constant.rate(afterCompletedSteps: 0), 1e-3)
        XCTAssertEqual(constant.rate(afterCompletedSteps: 9), 1e-3)
        let warm = LearningRateSchedule(kind: .constant, peak: 1e-3, warmupSteps: 4, totalSteps: 10)
        XCTAssertEqual(warm.rate(afterCompletedSteps: 0), 0)          // HF: the first update uses 0
        XCTAssertEqual(warm.rate(afterCompletedSteps: 2), 0.5e-3, accuracy: 1e-18)
        XCTAssertEqual(warm.rate(afterCompletedSteps: 4), 1e-3)
        XCTAssertEqual(warm.rate(afterCompletedSteps: 9), 1e-3)
    }

    func testLinearBoundaries() {
        let linear = LearningRateSchedule(kind: .linear, peak: 2.0, warmupSteps: 2, totalSteps: 10)
        XCTAssertEqual(linear.rate(afterCompletedSteps: 1), 1.0)
        XCTAssertEqual(linear.rate(afterCompletedSteps: 2), 2.0)        // peak right after warmup
        XCTAssertEqual(linear.rate(afterCompletedSteps: 6), 1.0)        // halfway through the decay
        XCTAssertEqual(linear.rate(afterCompletedSteps: 9), 0.25)
        XCTAssertEqual(linear.rate(afterCompletedSteps: 10), 0)
        XCTAssertEqual(linear.rate(afterCompletedSteps: 12), 0)         // never negative
    }

    func testCosineBoundaries() {
        let cosine = LearningRateSchedule(kind: .cosine, peak: 1.0, warmupSteps: 0, totalSteps: 8)
        XCTAssertEqual(cosine.rate(afterCompletedSteps: 0), 1.0)
        XCTAssertEqual(cosine.rate(afterCompletedSteps: 4), 0.5, accuracy: 1e-15)
        XCTAssertEqual(cosine.rate(afterCompletedSteps: 2), 0.5 * (1 + Foundation.cos(Double.pi / 4)), accuracy: 1e-15)
        XCTAssertEqual(cosine.rate(afterCompletedSteps: 8), 0, accuracy: 1e-15)
    }

    func testValidation() {
        XCTAssertThrowsError(try LearningRateSchedule(peak: -1, totalSteps: 3).validate())
        XCTAssertThrowsError(try LearningRateSchedule(peak: 1, totalSteps: 0).validate())
    }
}
