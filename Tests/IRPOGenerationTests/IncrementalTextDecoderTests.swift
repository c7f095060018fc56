@testable import IRPOGeneration
import IRPOTokenizer
import XCTest

/// Byte-level fake: token t < 256 is the byte t; invalid UTF-8 decodes to U+FFFD.
struct ByteTokenizer: GenerationTokenizer {
    func decode(_ tokens: [Int]) -> String {
        String(decoding: tokens.map { UInt8(truncatingIfNeeded: $0) }, as: UTF8.self)
    }
}

/// SentencePiece-like fake: words carry a leading "▁" that becomes a space, except at the very
/// start of a decode (as SentencePiece strips the first space).
struct PieceTokenizer: GenerationTokenizer {
    let pieces = ["▁Hello", "▁world", "!", "▁über"]
    func decode(_ tokens: [Int]) -> String {
        var text = tokens.map { pieces[$0] }.joined().replacingOccurrences(of: "▁", with: " ")
        if text.hasPrefix(" ") { text.removeFirst() }
        return text
    }
}

final class IncrementalTextDecoderTests: XCTestCase {
    func testMultibyteCharacterSplitAcrossTokensIsHeldBack() {
        var decoder = IncrementalTextDecoder(tokenizer: ByteTokenizer())
        let bytes = Array("a€b".utf8).map(Int.init)  // € is 3 bytes
        var pieces: [String] = []
        for byte in bytes { pieces.append(decoder.append(byte)) }
        XCTAssertEqual(pieces, ["a", "", "", "€", "b"])
        XCTAssertEqual(decoder.flush(), "")
    }

    func testIncompleteTailIsReleasedByFlush() {
        var decoder = IncrementalTextDecoder(tokenizer: ByteTokenizer())
        XCTAssertEqual(decoder.append(0x61), "a")
        XCTAssertEqual(decoder.append(0xE2), "")
        XCTAssertEqual(decoder.flush(), "\u{FFFD}")
    }

    func testStreamedPiecesConcatenateToFullDecode() {
        let tokenizer = PieceTokenizer()
        var decoder = IncrementalTextDecoder(tokenizer: tokenizer)
        let tokens = [0, 1, 2, 3, 1]
        let streamed = tokens.map { decoder.append($0) }.joined() + decoder.flush()
        XCTAssertEqual(streamed, tokenizer.decode(tokens))
        XCTAssertEqual(streamed, "Hello world! über world")
    }
}
