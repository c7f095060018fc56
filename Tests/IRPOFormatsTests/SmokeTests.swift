import XCTest
@testable import IRPOFormats

final class IRPOFormatsSmokeTests: XCTestCase {
    func testModuleLinks() { XCTAssertNotNil(IRPOFormats.self) }
}
