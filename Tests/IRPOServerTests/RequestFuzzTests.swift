import Foundation
import Hummingbird
import HummingbirdTesting
import IRPOFuzzSupport
@testable import IRPOServer
import XCTest

/// Seeded requests with extreme values in every numeric field: each gets a success or an OpenAI
/// error (never a crash), and the server then still serves a good request.
final class RequestFuzzTests: XCTestCase {
    private static let extremes = ["9223372036854775807", "-9223372036854775808", "4611686018427387904", "-1", "0", "1",
                                   "2", "1e308", "-1e308", "1.5", "null", "\"3\"", "[]", "18446744073709551615",
                                   "99999999999999999999999"]
    private static let fields = ["n", "max_tokens", "max_completion_tokens", "top_k", "top_p", "min_p", "temperature",
                                 "repetition_penalty", "seed", "logprobs", "best_of", "irpo_prompt_id", "top_logprobs",
                                 "presence_penalty", "frequency_penalty"]

    func testExtremeNumbersGetAnAnswerAndTheServerSurvives() async throws {
        let harness = try ServerHarness(context: 48)
        defer { harness.remove() }
        // IRPO_REQUEST_FUZZ_CASES and IRPO_REQUEST_FUZZ_SEED run more or other cases.
        let campaign = FuzzCampaign(name: "REQUEST", defaultCases: 150)
        // Over a real socket: the memory bound is the server's, not the in-process test client's.
        try await harness.withClient(.live) { client in
            var statuses: [Int: Int] = [:]
            let report = try await campaign.run { index, random in
                let chat = random.below(3) == 0
                var members = chat ? ["\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]"]
                                   : [["\"prompt\": \"ab\"", "\"prompt\": [\"a\", \"b\"]", "\"prompt\": [5, 6]", "\"prompt\": [[5], [6, 7]]"][random.below(4)]]
                // Small generations by default, so successes stay quick in a debug build.
                var fields = Set<String>()
                for _ in 0..<(1 + random.below(4)) { fields.insert(Self.fields[random.below(Self.fields.count)]) }
                if !fields.contains("max_tokens") && !fields.contains("max_completion_tokens") { members.append("\"max_tokens\": 2") }
                for field in fields.sorted() {
                    var value = Self.extremes[random.below(Self.extremes.count)]
                    if (field == "max_tokens" || field == "max_completion_tokens" || field == "n"), let number = Int(value), number > 4 {
                        value = random.below(2) == 0 ? value : "4"
                    }
                    members.append("\"\(field)\": \(value)")
                }
                if random.below(4) == 0 { members.append("\"stream\": true") }
                let body = "{" + members.joined(separator: ", ") + "}"
                let response = try await client.post(chat ? "/v1/chat/completions" : "/v1/completions", raw: body)
                statuses[Int(response.status.code), default: 0] += 1
                XCTAssertTrue([200, 400, 404].contains(Int(response.status.code)), "case \(index) \(body): \(response.status)")
                if response.status.code != 200 {
                    let error = try JSONBody.error(response)
                    XCTAssertNotNil(error["message"] as? String, "case \(index) \(body)")
                    return .rejected
                }
                return .accepted
            }
            print(report.summary)
            XCTAssertEqual(campaign.violations(report), [])
            XCTAssertGreaterThan(statuses[200] ?? 0, 0, "\(statuses)")
            XCTAssertGreaterThan(statuses[400] ?? 0, 0, "\(statuses)")
            let good = try await client.post("/v1/completions", ["prompt": "ab", "max_tokens": 2, "seed": 1])
            XCTAssertEqual(good.status, .ok)
        }
    }
}
