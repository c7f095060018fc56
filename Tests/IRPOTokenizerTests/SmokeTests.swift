import XCTest
@testable import IRPOTokenizer

final class IRPOTokenizerSmokeTests: XCTestCase {
    func testModuleLinks() { XCTAssertNotNil(IRPOTokenizer.self) }
}
