import XCTest
@testable import IRPOTasks

final class IRPOTasksSmokeTests: XCTestCase {
    func testModuleLinks() { XCTAssertNotNil(IRPOTasks.self) }
}
