import XCTest
@testable import IRPOTensor

final class IRPOTensorSmokeTests: XCTestCase {
    func testModuleLinks() { XCTAssertNotNil(IRPOTensor.self) }
}
