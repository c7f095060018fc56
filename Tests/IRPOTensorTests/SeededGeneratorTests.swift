import Foundation
import XCTest
import IRPOTensor

final class SeededGeneratorTests: KernelTestCase {
    /// Reference outputs of xoshiro256** from state (1, 2, 3, 4) (the authors' C code).
    func testMatchesReferenceXoshiroOutputs() throws {
        var generator = try SeededGenerator(state: [1, 2, 3, 4])
        XCTAssertEqual(generator.next(), 11520)
        XCTAssertEqual(generator.next(), 0)
        XCTAssertEqual(generator.next(), 1_509_978_240)
        XCTAssertEqual(generator.next(), 1_215_971_899_390_074_240)
    }

    /// Seeding goes through splitmix64: seed 0 gives its first two reference outputs as state.
    func testSeedingUsesSplitmix() {
        let generator = SeededGenerator(seed: 0)
        XCTAssertEqual(generator.state[0], 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(generator.state[1], 0x6E78_9E6A_A1B9_65F4)
    }

    func testSameSeedSameSequenceAndRestoredStateContinues() throws {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42)
        XCTAssertEqual((0..<10).map { _ in a.next() }, (0..<10).map { _ in b.next() })
        let saved = a.state
        let expected = (0..<5).map { _ in a.normal() }
        var restored = try SeededGenerator(state: saved)
        XCTAssertEqual(expected, (0..<5).map { _ in restored.normal() })
        var other = SeededGenerator(seed: 43)
        XCTAssertNotEqual(b.next(), other.next())
    }

    func testCodableRoundTrip() throws {
        var generator = SeededGenerator(seed: 7)
        _ = generator.next()
        let data = try JSONEncoder().encode(generator)
        let decoded = try JSONDecoder().decode(SeededGenerator.self, from: data)
        XCTAssertEqual(decoded, generator)
    }

    func testBadStateThrowsWithMessage() {
        XCTAssertThrowsError(try SeededGenerator(state: [1, 2, 3])) { error in
            XCTAssertTrue("\(error)".contains("3 words"), "\(error)")
        }
        XCTAssertThrowsError(try SeededGenerator(state: [0, 0, 0, 0])) { error in
            XCTAssertTrue("\(error)".contains("all zeros"), "\(error)")
        }
        XCTAssertThrowsError(try JSONDecoder().decode(SeededGenerator.self, from: Data("[1,2]".utf8)))
    }

    func testDistributions() {
        var generator = SeededGenerator(seed: 11)
        let count = 20_000
        let normals = (0..<count).map { _ in Double(generator.normal(mean: 2, std: 0.5)) }
        let mean = normals.reduce(0, +) / Double(count)
        let variance = normals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(count)
        XCTAssertEqual(mean, 2, accuracy: 0.02)
        XCTAssertEqual(variance.squareRoot(), 0.5, accuracy: 0.02)
        let uniforms = (0..<count).map { _ in generator.nextUniform() }
        XCTAssertTrue(uniforms.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(Double(uniforms.reduce(0, +)) / Double(count), 0.5, accuracy: 0.01)
        let buffer = FloatBuffer(count: 100)
        generator.fillUniform(buffer.p, count: 100, low: -3, high: -2)
        XCTAssertTrue(buffer.array.allSatisfy { $0 >= -3 && $0 < -2 })
        generator.fillNormal(buffer.p, count: 100, mean: 0, std: 1)
        XCTAssertTrue(buffer.array.allSatisfy { $0.isFinite && $0 != 0 })
    }
}
