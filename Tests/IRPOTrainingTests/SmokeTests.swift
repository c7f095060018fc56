import XCTest
@testable import IRPOTraining

final class IRPOTrainingSmokeTests: XCTestCase {
    func testModuleLinks() { XCTAssertNotNil(IRPOTraining.self) }
}
