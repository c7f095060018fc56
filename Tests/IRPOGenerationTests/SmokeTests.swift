import XCTest
@testable import IRPOGeneration

final class IRPOGenerationSmokeTests: XCTestCase {
    func testModuleLinks() { XCTAssertNotNil(IRPOGeneration.self) }
}
