import Foundation
import XCTest
@testable import IRPOGeneration

final class GenerateParametersTests: XCTestCase {
    func testDecodingFillsDefaultsAndAcceptsSingleStopString() throws {
        let json = #"{"temperature": 0.8, "top_p": 0.95, "stop": "\n\n", "max_new_tokens": 64, "seed": 9}"#
        let p = try JSONDecoder().decode(GenerateParameters.self, from: Data(json.utf8))
        XCTAssertEqual(p, GenerateParameters(temperature: 0.8, topP: 0.95, maxNewTokens: 64, stop: ["\n\n"], seed: 9))
        let empty = try JSONDecoder().decode(GenerateParameters.self, from: Data("{}".utf8))
        XCTAssertEqual(empty, GenerateParameters())
        let roundTrip = try JSONDecoder().decode(GenerateParameters.self, from: JSONEncoder().encode(p))
        XCTAssertEqual(roundTrip, p)
    }

    func testValidateNamesTheKey() {
        let cases: [(GenerateParameters, String)] = [
            (GenerateParameters(temperature: -1), "temperature"),
            (GenerateParameters(topP: 0), "top_p"),
            (GenerateParameters(topK: -2), "top_k"),
            (GenerateParameters(minP: 1.5), "min_p"),
            (GenerateParameters(repetitionPenalty: 0), "repetition_penalty"),
            (GenerateParameters(maxNewTokens: -1), "max_new_tokens"),
            (GenerateParameters(stop: ["ok", ""]), "stop[1]"),
        ]
        for (p, key) in cases {
            XCTAssertThrowsError(try p.validate()) { error in
                XCTAssertTrue("\(error)".contains(key), "\(error)")
            }
        }
        XCTAssertNoThrow(try GenerateParameters().validate())
    }
}
