import XCTest
@testable import IRPOTasks

final class SyntheticDiagnosisTests: XCTestCase {
    /// 7 +5 -3 *2 = 18.
    let item = TaskItem(id: "s", question: "q", goldAnswer: "18", goldSolution: "7+5=12. 12-3=9. 9*2=18. Final answer: 18",
                        metadata: ["start": "7", "operations": "+5 -3 *2"])

    func diagnose(_ completion: String) throws -> SyntheticDiagnosis {
        try XCTUnwrap(try SyntheticArithmeticTask().diagnose(completion: completion, item: item))
    }

    func testCategories() throws {
        let rows: [(String, SyntheticDiagnosis.Kind, Int?)] = [
            ("7+5=12. 12-3=9. 9*2=18. Final answer: 18", .correct, nil),
            ("7 + 5 = 12. 12 - 3 = 9. 9 x 2 = 18. Final answer: 18", .correct, nil),
            ("7-5=2. 2-3=-1. Final answer: 18", .correctWithWrongWorking, 0),
            ("7+5=12. 12+3=15. 15*2=30. Final answer: 30", .wrongOperation, 1),
            ("7+5=12. 12-4=8. 8*2=16. Final answer: 16", .wrongOperand, 1),
            ("7+5=13. 13-3=10. 10*2=20. Final answer: 20", .arithmeticSlip, 0),
            ("7+5=12. 13-3=10. 10*2=20. Final answer: 20", .copySlip, 1),
            ("6+5=11. 11-3=8. 8*2=16. Final answer: 16", .copySlip, 0),
            ("7+5=12. 12-3=9. Final answer: 9", .wrongStepCount, 2),
            ("7+5=12. 12-3=9. 9*2=18. 18+1=19. Final answer: 19", .wrongStepCount, 3),
            ("7+5=12. 12-3=9. 9*2=18. Final answer: 17", .finalAnswerMismatch, nil),
            ("7+5=12. 12-3=9. 9*2=18.", .noAnswer, nil),
            ("7+5=12. 12-3=9. 9*2=18. Final answer: 18 or 19", .finalAnswerMismatch, nil),
        ]
        for (completion, kind, step) in rows {
            let diagnosis = try diagnose(completion)
            XCTAssertEqual(diagnosis.kind, kind, completion)
            XCTAssertEqual(diagnosis.step, step, completion)
            XCTAssertEqual(diagnosis.reward, kind == .correct || kind == .correctWithWrongWorking ? 1 : 0, completion)
        }
    }

    func testEquationsAfterTheFinalAnswerAreIgnored() throws {
        XCTAssertEqual(try diagnose("7+5=12. 12-3=9. 9*2=18. Final answer: 18. Check: 1+1=2.").kind, .correct)
    }

    func testItemsWithoutSyntheticMetadata() throws {
        let plain = TaskItem(id: "p", question: "q", goldAnswer: "1")
        XCTAssertNil(try SyntheticArithmeticTask().diagnose(completion: "Final answer: 1", item: plain))
    }
}
