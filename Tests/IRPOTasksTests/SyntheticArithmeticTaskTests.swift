import XCTest
@testable import IRPOTasks

final class SyntheticArithmeticTaskTests: XCTestCase {
    func testReproducibleBySeed() throws {
        let task = try SyntheticArithmeticTask()
        let a = try task.generate(count: 300, partition: .train, phrasing: .training, seed: 42)
        let b = try task.generate(count: 300, partition: .train, phrasing: .training, seed: 42)
        let c = try task.generate(count: 300, partition: .train, phrasing: .training, seed: 43)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a.map(\.question), c.map(\.question))
        // A longer request extends a shorter one with the same seed.
        let longer = try task.generate(count: 400, partition: .train, phrasing: .training, seed: 42)
        XCTAssertEqual(Array(longer.prefix(300)), a)
    }

    /// Golden values: the generator is specified (SplitMix64, FNV-1a), so these never change
    /// across platforms or Swift versions unless the generator itself is changed on purpose.
    func testGoldenFirstItem() throws {
        let item = try XCTUnwrap(try SyntheticArithmeticTask().generate(count: 1, partition: .train, phrasing: .training, seed: 1).first)
        XCTAssertEqual(item.question, "Ann has 5 pens. She doubles them. She doubles them. She buys 6 more. How many does Ann have now?")
        XCTAssertEqual(item.goldSolution, "5*2=10. 10*2=20. 20+6=26. Final answer: 26")
        XCTAssertEqual(item.goldAnswer, "26")
        XCTAssertEqual(item.id, "synthetic-train-1-0")
        XCTAssertEqual(item.metadata["operations"], "*2 *2 +6")
    }

    func testPartitionsAreDisjointWhateverTheSeeds() throws {
        let task = try SyntheticArithmeticTask()
        let train = try task.generate(count: 2000, partition: .train, phrasing: .training, seed: 1)
            + task.generate(count: 1500, partition: .train, phrasing: .evaluation, seed: 2)
        let dev = try task.generate(count: 400, partition: .dev, phrasing: .evaluation, seed: 1)
        let test = try task.generate(count: 400, partition: .test, phrasing: .evaluation, seed: 1)
        func signatures(_ items: [TaskItem]) -> Set<String> { Set(items.compactMap { $0.metadata["signature"] }) }
        XCTAssertTrue(signatures(train).isDisjoint(with: signatures(test)))
        XCTAssertTrue(signatures(train).isDisjoint(with: signatures(dev)))
        XCTAssertTrue(signatures(dev).isDisjoint(with: signatures(test)))
        XCTAssertTrue(Set(train.map(\.question)).isDisjoint(with: test.map(\.question)))
        for (items, partition) in [(train, "train"), (dev, "dev"), (test, "test")] {
            XCTAssertTrue(items.allSatisfy { $0.metadata["partition"] == partition })
        }
        XCTAssertEqual(Set(test.map(\.question)).count, test.count, "questions within a set are distinct")
        // The signature (not the seed) decides the partition.
        for item in test.prefix(50) {
            XCTAssertEqual(task.partition(ofSignature: try XCTUnwrap(item.metadata["signature"])), .test)
        }
    }

    func testEveryGoldSolutionIsRewardedOneByTheTasksOwnReward() throws {
        let configs = [
            SyntheticArithmeticConfig(),
            SyntheticArithmeticConfig(steps: 1...6, startRange: 0...50, operandRange: 1...20, multiplierRange: 2...5, valueRange: 0...200, distractorProbability: 0.7, maxDistractors: 2),
            SyntheticArithmeticConfig(addWeight: 0, subtractWeight: 1, multiplyWeight: 0),
        ]
        for config in configs {
            let task = try SyntheticArithmeticTask(config: config)
            for partition in SyntheticArithmeticTask.Partition.allCases {
                let items = try task.generate(count: 300, partition: partition, phrasing: .evaluation, seed: 7)
                for item in items {
                    let result = task.reward.score(completion: try XCTUnwrap(item.goldSolution), item: item)
                    XCTAssertEqual(result.outcome, .correct, "\(item.question) -> \(item.goldSolution ?? "")")
                    XCTAssertEqual(result.method, .finalAnswer)
                    XCTAssertEqual(task.diagnose(completion: item.goldSolution ?? "", item: item)?.kind, .correct)
                }
            }
        }
    }

    func testDefaultKnobsMatchTheDemoDesign() throws {
        let config = SyntheticArithmeticConfig()
        let task = try SyntheticArithmeticTask(config: config)
        let items = try task.generate(count: 1000, partition: .train, phrasing: .evaluation, seed: 3)
        var kinds: [SyntheticOperation.Kind: Int] = [:]
        for item in items {
            let operations = try XCTUnwrap(SyntheticArithmeticTask.parseOperations(item.metadata["operations"] ?? ""))
            XCTAssertTrue(config.steps.contains(operations.count))
            var value = try XCTUnwrap(Int(item.metadata["start"] ?? ""))
            XCTAssertTrue(config.startRange.contains(value))
            for operation in operations {
                kinds[operation.kind, default: 0] += 1
                switch operation.kind {
                case .add, .subtract: XCTAssertTrue(config.operandRange.contains(operation.operand))
                case .multiply: XCTAssertEqual(operation.operand, 2)
                }
                value = operation.apply(to: value)
                XCTAssertTrue(config.valueRange.contains(value), item.question)
            }
            XCTAssertEqual(String(value), item.goldAnswer)
            // Short texts for a character-level model.
            let length = item.question.count + (item.goldSolution?.count ?? 0)
            XCTAssertTrue((60...200).contains(length), "\(length): \(item.question)")
            XCTAssertTrue(item.question.unicodeScalars.allSatisfy(\.isASCII))
        }
        // Operation mix close to 2:2:1 (multiply is rarer when values are high).
        let total = Double(kinds.values.reduce(0, +))
        XCTAssertGreaterThan(Double(kinds[.add] ?? 0) / total, 0.3)
        XCTAssertGreaterThan(Double(kinds[.subtract] ?? 0) / total, 0.3)
        XCTAssertGreaterThan(Double(kinds[.multiply] ?? 0) / total, 0.08)
    }

    func testRarePhrasingProbabilityDiffersBetweenTrainingAndEvaluation() throws {
        let task = try SyntheticArithmeticTask()
        func rareRate(_ phrasing: SyntheticArithmeticTask.PhrasingDistribution) throws -> Double {
            let items = try task.generate(count: 2000, partition: .train, phrasing: phrasing, seed: 11)
            let rare = items.reduce(0) { $0 + (Int($1.metadata["rareSteps"] ?? "") ?? 0) }
            let addOrSubtract = items.reduce(0) { count, item in
                count + (item.metadata["operations"] ?? "").split(separator: " ").filter { !$0.hasPrefix("*") }.count
            }
            return Double(rare) / Double(addOrSubtract)
        }
        XCTAssertEqual(try rareRate(.training), 0.01, accuracy: 0.006)
        XCTAssertEqual(try rareRate(.evaluation), 0.6, accuracy: 0.04)
        let phrasings = SyntheticPhrasings.standard
        let items = try task.generate(count: 200, partition: .test, phrasing: .evaluation, seed: 1)
        let rareSentences = phrasings.addRare + phrasings.subtractRare
        let verbs = rareSentences.map { $0.split(separator: " ")[1] }
        XCTAssertTrue(items.contains { item in verbs.contains { item.question.contains(" \($0) ") } })
    }

    func testDistractorsAppearInQuestionsButNotInSolutions() throws {
        let task = try SyntheticArithmeticTask(config: SyntheticArithmeticConfig(distractorProbability: 1, maxDistractors: 2))
        let items = try task.generate(count: 100, partition: .dev, phrasing: .evaluation, seed: 5)
        for item in items {
            XCTAssertEqual(item.metadata["distractors"], "2")
            let solutionNumbers = (item.goldSolution ?? "").split(whereSeparator: { !$0.isNumber }).count
            let steps = (item.metadata["operations"] ?? "").split(separator: " ").count
            XCTAssertEqual(solutionNumbers, steps * 3 + 1, "only the steps' numbers and the answer")
        }
        let plain = try SyntheticArithmeticTask().generate(count: 100, partition: .dev, phrasing: .evaluation, seed: 5)
        XCTAssertTrue(plain.allSatisfy { $0.metadata["distractors"] == "0" })
    }

    func testPromptIsCompact() throws {
        let task = try SyntheticArithmeticTask()
        let item = try XCTUnwrap(try task.generate(count: 1, partition: .test, phrasing: .evaluation, seed: 1).first)
        XCTAssertEqual(task.prompt.render(item: item), "Q: \(item.question)\nA:")
        XCTAssertEqual(task.prompt.fullText(item: item, completion: "x"), "Q: \(item.question)\nA: x")
    }

    func testExhaustionIsReported() throws {
        // One step, start fixed at 1, only "+1", one person, one object, one phrasing: a single
        // possible question, so a second item cannot be made.
        var phrasings = SyntheticPhrasings.standard
        phrasings.people = [SyntheticPhrasings.Person(name: "Ann", pronoun: "She")]
        phrasings.objects = ["pens"]
        phrasings.addCommon = ["{P} buys {n} more."]
        let config = SyntheticArithmeticConfig(steps: 1...1, startRange: 1...1, operandRange: 1...1, addWeight: 1, subtractWeight: 0, multiplyWeight: 0, trainingRarePhrasingProbability: 0, testFraction: 0.5, devFraction: 0.2, phrasings: phrasings)
        let task = try SyntheticArithmeticTask(config: config)
        let partition = task.partition(ofSignature: "1|+1")
        XCTAssertEqual(try task.generate(count: 1, partition: partition, phrasing: .training, seed: 1).map(\.question), ["Ann has 1 pens. She buys 1 more. How many does Ann have now?"])
        assertTaskError(try task.generate(count: 2, partition: partition, phrasing: .training, seed: 1), contains: ["produced only 1 of 2"])
        assertTaskError(try task.generate(count: -1, partition: .train, phrasing: .training, seed: 1), contains: ["'count'"])
        XCTAssertEqual(try task.generate(count: 0, partition: .train, phrasing: .training, seed: 1), [])
    }
}
