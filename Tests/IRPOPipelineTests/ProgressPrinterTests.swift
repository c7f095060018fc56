import Foundation
import XCTest
@testable import IRPOPipeline

final class ProgressPrinterTests: XCTestCase {
    /// Collects what a printer writes.
    private final class Capture: @unchecked Sendable {
        var progress: [String] = []
        var lines: [String] = []
    }

    private func printer(_ style: ProgressPrinter.Style, _ capture: Capture) -> ProgressPrinter {
        ProgressPrinter(style: style, plainInterval: 5,
                        writeProgress: { capture.progress.append($0) }, writeLine: { capture.lines.append($0) })
    }

    func testPlainStyleWritesAtMostOneLinePerIntervalAndNoCarriageReturns() {
        let capture = Capture()
        let printer = printer(.plain, capture)
        let start = Date(timeIntervalSince1970: 1_000)
        for second in 0...20 {
            for part in 0..<10 {
                printer.update("iter-1/sample", second * 10 + part, 210, now: start.addingTimeInterval(Double(second) + Double(part) / 10))
            }
        }
        printer.update("iter-1/sample", 210, 210, now: start.addingTimeInterval(21))
        printer.line("iter-1/sample: 210 completions (21.0 s)")
        XCTAssertEqual(capture.progress.count, 4, "\(capture.progress)")
        XCTAssertFalse(capture.progress.joined().contains("\r"))
        XCTAssertFalse(capture.progress.joined().contains("\u{1B}"))
        XCTAssertTrue(capture.progress.allSatisfy { $0.hasPrefix("iter-1/sample ") && $0.hasSuffix("\n") })
        XCTAssertEqual(capture.lines, ["iter-1/sample: 210 completions (21.0 s)\n"])
    }

    func testTerminalStyleRewritesOneLineWithBarRateAndETA() {
        let capture = Capture()
        let printer = printer(.terminal, capture)
        let start = Date(timeIntervalSince1970: 1_000)
        printer.update("train", 0, 100, now: start)
        printer.update("train", 50, 100, now: start.addingTimeInterval(10))
        printer.line("train: done")
        XCTAssertEqual(capture.progress.count, 3)
        XCTAssertTrue(capture.progress[1].hasPrefix("\rtrain [############............] 50/100 50% 5.0/s ETA 10 s"), capture.progress[1])
        XCTAssertEqual(capture.progress[2], "\r\u{1B}[K")
        XCTAssertEqual(capture.lines, ["train: done\n"])
    }

    func testDurations() {
        XCTAssertEqual(ProgressPrinter.duration(42.4), "42 s")
        XCTAssertEqual(ProgressPrinter.duration(185), "3 min 05 s")
        XCTAssertEqual(ProgressPrinter.duration(3720), "1 h 02 min")
    }
}
