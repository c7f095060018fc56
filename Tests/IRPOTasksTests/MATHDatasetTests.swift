import Foundation
import XCTest
@testable import IRPOTasks

final class MATHDatasetTests: XCTestCase {
    func testJSONLWithNestedBoxedAnswers() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("math.jsonl", #"""
            {"problem": "What is $\\frac{1}{2}+\\frac{1}{4}$?", "solution": "We get $\\frac{2}{4}+\\frac{1}{4}=\\boxed{\\frac{3}{4}}$.", "level": "Level 1", "type": "Prealgebra"}
            {"problem": "Solve.", "solution": "First \\boxed{1}, finally $\\boxed{\\left(\\frac{1}{2}, \\{3\\}\\right)}$", "level": "Level 5", "type": "Algebra"}
            """#)
        let items = try MATHDataset().load(path: path)
        XCTAssertEqual(items.map(\.goldAnswer), [#"\frac{3}{4}"#, #"\left(\frac{1}{2}, \{3\}\right)"#])
        XCTAssertEqual(items[0].metadata, ["level": "Level 1", "type": "Prealgebra"])
        XCTAssertEqual(items[0].id, "math-0")
        let solution = try XCTUnwrap(items[0].goldSolution)
        XCTAssertTrue(solution.hasSuffix("\nFinal answer: \\frac{3}{4}"))
        for item in items {
            XCTAssertEqual(MathExactMatchReward().score(completion: item.goldSolution ?? "", item: item).outcome, .correct)
        }
    }

    func testOriginalDirectoryLayout() throws {
        let dir = try TemporaryDirectory()
        try dir.write("train/algebra/2.json", #"{"problem": "p2", "solution": "$\\boxed{2}$", "level": "Level 2", "type": "Algebra"}"#)
        try dir.write("train/algebra/1.json", #"{"problem": "p1", "solution": "$\\boxed{1}$", "level": "Level 1", "type": "Algebra"}"#)
        try dir.write("train/geometry/1.json", #"{"problem": "g1", "solution": "\\boxed{90^\\circ}", "level": "Level 3", "type": "Geometry"}"#)
        let items = try MATHDataset().load(path: dir.path("train"))
        XCTAssertEqual(items.map(\.question), ["p1", "p2", "g1"])
        XCTAssertEqual(items.map(\.goldAnswer), ["1", "2", "90^\\circ"])
    }

    func testSolutionWithoutBoxedAnswer() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("m.jsonl", #"""
            {"problem": "p", "solution": "\\boxed{1}"}
            {"problem": "p", "solution": "The answer is 5."}
            """#)
        assertTaskError(try MATHDataset().load(path: path), contains: ["m.jsonl:2", "'solution'", "\\boxed"])
        let unbalanced = try dir.write("u.jsonl", #"{"problem": "p", "solution": "\\boxed{\\frac{1}{2}"}"# + "\n")
        assertTaskError(try MATHDataset().load(path: unbalanced), contains: ["u.jsonl:1", "balanced"])
    }

    func testMissingFieldsAndBadTypes() throws {
        let dir = try TemporaryDirectory()
        let noProblem = try dir.write("a.jsonl", #"{"solution": "\\boxed{1}"}"# + "\n")
        assertTaskError(try MATHDataset().load(path: noProblem), contains: ["a.jsonl:1", "missing field 'problem'"])
        let badLevel = try dir.write("b.jsonl", #"{"problem": "p", "solution": "\\boxed{1}", "level": [1]}"# + "\n")
        assertTaskError(try MATHDataset().load(path: badLevel), contains: ["b.jsonl:1", "'level'"])
        let brokenFile = try dir.write("c.json", #"{"problem": "p", "#)
        assertTaskError(try MATHDataset().load(path: brokenFile), contains: ["c.json", "malformed JSON"])
    }
}
