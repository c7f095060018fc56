import Foundation
import IRPOBackends
import IRPOGeneration
import IRPOModel
@testable import IRPOPipeline
import IRPOTokenizer
import XCTest

/// `LocalInferenceBackend` reports each prompt as soon as its last sample finishes, and a
/// prompt's samples do not depend on which other prompts are in the request.
final class IncrementalSamplingTests: XCTestCase {
    func backend(batchSize: Int) throws -> LocalInferenceBackend {
        var settings = DemoSettings.tiny
        settings.threads = 1
        let tokenizer = CharacterTokenizer()
        let model = try LlamaModel(configuration: Demo(settings: settings).modelConfiguration(tokenizer: tokenizer), seed: 3)
        return try LocalInferenceBackend(model: model, tokenizer: tokenizer, batchSize: batchSize, name: "tiny")
    }

    let prompts = ["Q: 1+2?\nA:", "Q: 3*4?\nA:", "Q: 9-5?\nA:"]
    let parameters = GenerateParameters(temperature: 1, maxNewTokens: 12, seed: 5)

    func testPromptsAreReportedAsTheyFinishWithTheReturnedCompletions() throws {
        var events: [String] = []
        var reported: [Int: [BackendCompletion]] = [:]
        let returned = try backend(batchSize: 1).complete(
            prompts: prompts, promptIDs: [0, 1, 2], parameters: parameters, samplesPerPrompt: 2,
            progress: { done, total in events.append("progress \(done)/\(total)") },
            promptFinished: { index, completions in
                events.append("prompt \(index)")
                XCTAssertNil(reported[index], "each prompt is reported once")
                reported[index] = completions
            })
        // With one KV slot, prompt 0 is finished before prompt 1 starts, so it is reported long
        // before the last sample (progress is reported only at the end for 6 samples).
        XCTAssertEqual(events, ["prompt 0", "prompt 1", "progress 6/6", "prompt 2"])
        XCTAssertEqual(returned.count, 3)
        for index in 0..<3 {
            XCTAssertEqual(reported[index], returned[index], "streamed completions of prompt \(index) equal the returned ones")
            XCTAssertEqual(returned[index].count, 2)
        }
        XCTAssertTrue(returned.joined().contains { $0.tokenCount > 0 && !$0.text.isEmpty })
    }

    func testSamplesDependOnlyOnThePromptIDAndSampleIndex() throws {
        let all = try backend(batchSize: 4).complete(prompts: prompts, promptIDs: [0, 1, 2], parameters: parameters,
                                                     samplesPerPrompt: 3) { _, _ in }
        let last = try backend(batchSize: 1).complete(prompts: [prompts[2]], promptIDs: [2], parameters: parameters,
                                                      samplesPerPrompt: 3) { _, _ in }
        XCTAssertEqual(last[0], all[2])
        XCTAssertNotEqual(all[2][0], all[2][1], "the samples of one prompt differ (temperature 1)")
    }

    func testAnErrorFromTheCallbackStopsTheRequest() throws {
        var reportedAfterError = 0
        var failed = false
        XCTAssertThrowsError(try backend(batchSize: 1).complete(
            prompts: prompts, promptIDs: [0, 1, 2], parameters: parameters, samplesPerPrompt: 1,
            progress: { _, _ in }, promptFinished: { _, _ in
                if failed { reportedAfterError += 1 }
                failed = true
                throw PipelineError("stop here")
            })) { error in
            XCTAssertEqual(error as? PipelineError, PipelineError("stop here"))
        }
        XCTAssertEqual(reportedAfterError, 0, "no prompt is reported after the callback threw")
    }
}
