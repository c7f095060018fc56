import Foundation
import XCTest
@testable import IRPOTasks

final class GSM8KDatasetTests: XCTestCase {
    /// GSM8K's train.jsonl and test.jsonl: the folder named by the
    /// environment variable IRPO_GSM8K_DIR, else data/gsm8k at the repository root, where
    /// examples/smollm2-gsm8k.yaml also looks for them.
    static let dataDirectory: URL = {
        if let folder = ProcessInfo.processInfo.environment["IRPO_GSM8K_DIR"], !folder.isEmpty {
            return URL(fileURLWithPath: folder).standardizedFileURL
        }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("data/gsm8k")
            .standardizedFileURL
    }()

    func dataFile(_ name: String) throws -> String {
        let path = Self.dataDirectory.appendingPathComponent(name).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("GSM8K data not found at \(path); put train.jsonl and test.jsonl there or set IRPO_GSM8K_DIR")
        }
        return path
    }

    /// Every gold answer of train and test parses to a number, and every gold solution rendered
    /// as "... Final answer: N" is extracted back to N by the gsm8k reward (all 8,792).
    func testEveryGoldAnswerRoundTrips() throws {
        let reward = NumericExactMatchReward()
        var counts: [String: Int] = [:]
        for (name, expected) in [("train.jsonl", 7473), ("test.jsonl", 1319)] {
            let items = try GSM8KDataset().load(path: try dataFile(name))
            XCTAssertEqual(items.count, expected, name)
            counts[name] = items.count
            for item in items {
                guard let gold = NumericAnswer.goldValue(item.goldAnswer) else {
                    XCTFail("\(item.id): gold \(item.goldAnswer) is not a number")
                    continue
                }
                guard let solution = item.goldSolution else {
                    XCTFail("\(item.id): no gold solution")
                    continue
                }
                XCTAssertTrue(solution.hasSuffix("Final answer: \(item.goldAnswer)"), item.id)
                XCTAssertFalse(solution.contains("<<"), item.id)
                XCTAssertFalse(solution.contains("####"), item.id)
                let result = reward.score(completion: solution, item: item)
                XCTAssertEqual(result.outcome, .correct, "\(item.id): extracted \(String(describing: result.extracted))")
                XCTAssertEqual(result.method, .finalAnswer, item.id)
                if let extracted = result.extracted {
                    XCTAssertTrue(NumericAnswer.matches(extracted, gold: gold), item.id)
                }
            }
        }
        XCTAssertEqual(counts.values.reduce(0, +), 8792)
    }

    func testFirstTrainItem() throws {
        let items = try GSM8KDataset().load(path: try dataFile("train.jsonl"), limit: 1)
        XCTAssertEqual(items.count, 1)
        XCTAssertEqual(items[0].id, "train-0")
        XCTAssertEqual(items[0].goldAnswer, "72")
        XCTAssertEqual(items[0].goldSolution, """
            Natalia sold 48/2 = 24 clips in May.
            Natalia sold 48+24 = 72 clips altogether in April and May.
            Final answer: 72
            """)
    }

    func testCommasAndNegativeGoldAnswers() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("g.jsonl", """
            {"question": "q1", "answer": "a <<2*600=1200>>1200\\n#### 1,200"}
            {"question": "q2", "answer": "b\\n#### -3"}
            {"question": "q3", "answer": "#### 0.5"}
            """)
        let items = try GSM8KDataset().load(path: path)
        XCTAssertEqual(items.map(\.goldAnswer), ["1200", "-3", "0.5"])
        XCTAssertEqual(items[0].goldSolution, "a 1200\nFinal answer: 1200")
        XCTAssertEqual(items[2].goldSolution, "Final answer: 0.5")
    }

    func testAnnotationStripping() {
        XCTAssertEqual(GSM8KDataset.strippingAnnotations("48/2 = <<48/2=24>>24 and <<1+1=2>>2"), "48/2 = 24 and 2")
        XCTAssertEqual(GSM8KDataset.strippingAnnotations("no annotations"), "no annotations")
        XCTAssertEqual(GSM8KDataset.strippingAnnotations("open << never closed"), "open << never closed")
    }

    func testMissingHashesNamesFileAndLine() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("bad.jsonl", """
            {"question": "q1", "answer": "#### 1"}
            {"question": "q2", "answer": "no final line"}
            """)
        assertTaskError(try GSM8KDataset().load(path: path), contains: ["bad.jsonl:2", "'answer'", "####"])
    }

    func testNonNumericGoldIsRejected() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("bad.jsonl", "{\"question\": \"q\", \"answer\": \"#### 12 or 13\"}\n")
        assertTaskError(try GSM8KDataset().load(path: path), contains: ["bad.jsonl:1", "not a single number"])
    }

    func testMissingQuestionField() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("bad.jsonl", "{\"answer\": \"#### 1\"}\n")
        assertTaskError(try GSM8KDataset().load(path: path), contains: ["bad.jsonl:1", "missing field 'question'"])
    }

    func testMalformedLineNamesFileAndLine() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("bad.jsonl", """
            {"question": "q1", "answer": "#### 1"}

            {"question": "q2", "answer": "#### 2"
            """)
        assertTaskError(try GSM8KDataset().load(path: path), contains: ["bad.jsonl:3", "malformed JSON"])
    }

    func testEmptyFile() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("empty.jsonl", "\n  \n")
        assertTaskError(try GSM8KDataset().load(path: path), contains: ["empty.jsonl", "no items"])
    }

    func testCustomFieldNames() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("c.jsonl", "{\"q\": \"How many?\", \"a\": \"#### 4\", \"key\": \"x1\"}\n")
        let items = try GSM8KDataset(questionField: "q", answerField: "a", idField: "key").load(path: path)
        XCTAssertEqual(items, [TaskItem(id: "x1", question: "How many?", goldAnswer: "4", goldSolution: "Final answer: 4")])
    }
}
