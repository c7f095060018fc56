import XCTest
@testable import IRPOServer

final class ServerSmokeTests: XCTestCase {
    func testModuleLinks() { XCTAssertNotNil(OpenAIServer.self as Any.Type?) }
}
