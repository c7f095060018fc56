import IRPOTokenizer
import XCTest

final class CharacterTokenizerTests: XCTestCase {
    func testRoundTripAndSpecialTokens() {
        let tokenizer = CharacterTokenizer()
        let prompt = tokenizer.encodePrompt("Q: 12+3")
        XCTAssertEqual(prompt.first, tokenizer.bos)
        XCTAssertEqual(tokenizer.encodeCompletion("7").last, tokenizer.eos)
        XCTAssertEqual(tokenizer.decode(prompt.dropFirst().map(Int.init)), "Q: 12+3")
    }
}
