import Foundation
import XCTest
@testable import IRPOTasks

final class ARCDatasetTests: XCTestCase {
    static let ai2Line = #"{"id": "Mercury_7175875", "question": {"stem": "An astronomer observes that a planet rotates faster after a meteorite impact. Which is the most likely effect of this increase in rotation?", "choices": [{"text": "Planetary density will decrease.", "label": "A"}, {"text": "Planetary years will become longer.", "label": "B"}, {"text": "Planetary days will become shorter.", "label": "C"}, {"text": "Planetary gravity will become stronger.", "label": "D"}]}, "answerKey": "C"}"#

    func testAI2Format() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("ARC-Challenge-Test.jsonl", Self.ai2Line + "\n")
        let items = try ARCDataset().load(path: path)
        XCTAssertEqual(items.count, 1)
        let item = items[0]
        XCTAssertEqual(item.id, "Mercury_7175875")
        XCTAssertTrue(item.question.hasPrefix("An astronomer observes"))
        XCTAssertEqual(item.goldAnswer, "C")
        XCTAssertEqual(item.choices.map(\.label), ["A", "B", "C", "D"])
        XCTAssertEqual(item.choices[2].text, "Planetary days will become shorter.")
        XCTAssertNil(item.goldSolution)
        XCTAssertEqual(MultipleChoiceReward().reward(completion: "Final answer: (C)", item: item), 1)
        XCTAssertEqual(MultipleChoiceReward().reward(completion: "Final answer: Planetary days will become shorter.", item: item), 1)
    }

    func testDigitLabelsAndThreeOrFiveOptions() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("d.jsonl", """
            {"id": "q1", "question": {"stem": "s1", "choices": [{"text": "a", "label": "1"}, {"text": "b", "label": "2"}, {"text": "c", "label": "3"}]}, "answerKey": "2"}
            {"id": "q2", "question": {"stem": "s2", "choices": [{"text": "a", "label": "A"}, {"text": "b", "label": "B"}, {"text": "c", "label": "C"}, {"text": "d", "label": "D"}, {"text": "e", "label": "E"}]}, "answerKey": "E"}
            """)
        let items = try ARCDataset().load(path: path)
        XCTAssertEqual(items.map(\.goldAnswer), ["2", "E"])
        XCTAssertEqual(items.map(\.choices.count), [3, 5])
        XCTAssertEqual(MultipleChoiceReward().reward(completion: "Final answer: (B)", item: items[0]), 1, "letter by position on digit labels")
    }

    func testHuggingFaceLayout() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("hf.jsonl", #"{"id": "h1", "question": "Which is a gas?", "choices": {"text": ["ice", "steam", "rock"], "label": ["A", "B", "C"]}, "answerKey": "B"}"# + "\n")
        let items = try ARCDataset().load(path: path)
        XCTAssertEqual(items.first?.choices.map(\.text), ["ice", "steam", "rock"])
        XCTAssertEqual(items.first?.goldAnswer, "B")
    }

    func testAnswerKeyNotAmongLabels() throws {
        let dir = try TemporaryDirectory()
        let line = Self.ai2Line.replacingOccurrences(of: #""answerKey": "C""#, with: #""answerKey": "E""#)
        let path = try dir.write("k.jsonl", Self.ai2Line + "\n" + line + "\n")
        assertTaskError(try ARCDataset().load(path: path), contains: ["k.jsonl:2", "'answerKey'", "\"E\"", "not among the labels A,B,C,D"])
    }

    func testBadOptionSets() throws {
        let dir = try TemporaryDirectory()
        let two = try dir.write("two.jsonl", #"{"id": "x", "question": {"stem": "s", "choices": [{"text": "a", "label": "A"}, {"text": "b", "label": "B"}]}, "answerKey": "A"}"# + "\n")
        assertTaskError(try ARCDataset().load(path: two), contains: ["two.jsonl:1", "2 options, expected 3-5"])
        XCTAssertEqual(try ARCDataset(choiceCounts: 2...5).load(path: two).count, 1)
        let mixed = try dir.write("mixed.jsonl", #"{"id": "x", "question": {"stem": "s", "choices": [{"text": "a", "label": "A"}, {"text": "b", "label": "2"}, {"text": "c", "label": "C"}]}, "answerKey": "A"}"# + "\n")
        assertTaskError(try ARCDataset().load(path: mixed), contains: ["mixed.jsonl:1", "all letters A-E or all digits 1-5"])
        let duplicate = try dir.write("dup.jsonl", #"{"id": "x", "question": {"stem": "s", "choices": [{"text": "a", "label": "A"}, {"text": "b", "label": "A"}, {"text": "c", "label": "C"}]}, "answerKey": "A"}"# + "\n")
        assertTaskError(try ARCDataset().load(path: duplicate), contains: ["dup.jsonl:1", "not unique"])
    }

    func testMissingFields() throws {
        let dir = try TemporaryDirectory()
        let noKey = try dir.write("nokey.jsonl", Self.ai2Line.replacingOccurrences(of: #", "answerKey": "C""#, with: "") + "\n")
        assertTaskError(try ARCDataset().load(path: noKey), contains: ["nokey.jsonl:1", "missing field 'answerKey'"])
        let noStem = try dir.write("nostem.jsonl", #"{"id": "x", "question": {"choices": []}, "answerKey": "A"}"# + "\n")
        assertTaskError(try ARCDataset().load(path: noStem), contains: ["nostem.jsonl:1", "missing field 'question.stem'"])
        let noText = try dir.write("notext.jsonl", #"{"id": "x", "question": {"stem": "s", "choices": [{"label": "A"}]}, "answerKey": "A"}"# + "\n")
        assertTaskError(try ARCDataset().load(path: noText), contains: ["notext.jsonl:1", "question.choices[0].text"])
        let noChoices = try dir.write("nochoices.jsonl", #"{"id": "x", "question": "s", "answerKey": "A"}"# + "\n")
        assertTaskError(try ARCDataset().load(path: noChoices), contains: ["nochoices.jsonl:1", "question.choices"])
    }

    func testMalformedLineAndEmptyFile() throws {
        let dir = try TemporaryDirectory()
        let bad = try dir.write("bad.jsonl", Self.ai2Line + "\n" + "{\"id\": \"x\", \n")
        assertTaskError(try ARCDataset().load(path: bad), contains: ["bad.jsonl:2", "malformed JSON"])
        let empty = try dir.write("empty.jsonl", "")
        assertTaskError(try ARCDataset().load(path: empty), contains: ["empty.jsonl", "no items"])
    }
}
