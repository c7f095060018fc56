import XCTest
@testable import IRPOModel

final class IRPOModelSmokeTests: XCTestCase {
    func testModuleLinks() { XCTAssertNotNil(IRPOModel.self) }
}
