import XCTest
@testable import IRPOTokenizer

final class StreamingDecoderTests: XCTestCase {
    /// Streaming the ids of every corpus string reproduces decode, for byte-level and SentencePiece
    /// tokenizers, although multi-byte characters are split over several tokens.
    func testStreamingEqualsDecode() throws {
        let corpus = Array(try Fixtures.corpus().prefix(600)) + ["Unseen: 𝕏𒀀 ꙮ"]
        for folder in ["gpt2-bpe", "llama2-spm"] {
            let tokenizer = try Tokenizer(contentsOf: Fixtures.url("\(folder)/tokenizer.json"))
            var splitCharacters = 0
            for text in corpus {
                let ids = tokenizer.encode(text, addSpecialTokens: false)
                var stream = tokenizer.streamingDecoder(skipSpecialTokens: false)
                var pieces: [String] = []
                for id in ids {
                    let piece = try stream.push(id)
                    if piece.isEmpty { splitCharacters += 1 }
                    XCTAssertFalse(piece.contains("\u{FFFD}"), "\(folder): partial character emitted for \(text.debugDescription)")
                    pieces.append(piece)
                }
                let rest = try stream.finish()
                XCTAssertEqual(rest, "", "everything decodable was emitted")
                pieces.append(rest)
                XCTAssertEqual(pieces.joined(), try tokenizer.decode(ids, skipSpecialTokens: false), folder)
            }
            XCTAssertGreaterThan(splitCharacters, 0, "\(folder): the corpus should split some characters over tokens")
        }
    }
}
