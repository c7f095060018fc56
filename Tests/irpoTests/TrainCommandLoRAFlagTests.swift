import ArgumentParser
import XCTest
@testable import irpo

/// `irpo train --lora-*`: a bad value is reported under the flag the user typed.
final class TrainCommandLoRAFlagTests: XCTestCase {
    func testBadLoRAFlagsNameTheFlag() throws {
        let base = ["--model", "m", "--pairs", "p.jsonl", "--output", "o"]
        for (flags, expected) in [(["--lora-rank", "0"], "--lora-rank 0 must be between 1"),
                                  (["--lora-rank", "8", "--lora-alpha=-1"], "--lora-alpha -1.0 must be a positive number"),
                                  (["--lora-rank", "8", "--lora-dropout", "1"], "--lora-dropout 1.0 must be in [0, 1)")] {
            // Refused while the flags are parsed (the command's validation builds the configuration).
            XCTAssertThrowsError(try TrainCommand.parse(base + flags)) { error in
                XCTAssertTrue(TrainCommand.message(for: error).contains(expected), "\(flags): \(error)")
            }
        }
        let command = try TrainCommand.parse(base + ["--lora-rank", "8"])
        XCTAssertEqual(try command.loraConfiguration()?.rank, 8)
        XCTAssertEqual(try TrainCommand.parse(base + ["--lora-rank", "8", "--lora-dropout", "0.1"]).loraConfiguration()?.dropout, 0.1)
        XCTAssertNil(try TrainCommand.parse(base).loraConfiguration())
    }
}
