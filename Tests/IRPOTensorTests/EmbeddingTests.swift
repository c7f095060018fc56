import XCTest
import IRPOTensor

final class EmbeddingTests: KernelTestCase {
    func testForwardGathersRows() {
        var data = TestData(seed: 31)
        let vocabulary = 6, channels = 5
        let table = FloatBuffer(data.floats(vocabulary * channels))
        let ids = IntBuffer([3, 0, 3, 5])
        let output = FloatBuffer(count: 4 * channels)
        Embedding.forward(output: output.p, ids: ids.c, table: table.c, tokens: 4, channels: channels, vocabulary: vocabulary)
        for t in 0..<4 {
            for c in 0..<channels {
                XCTAssertEqual(output.p[t * channels + c], table.p[Int(ids.pointer[t]) * channels + c])
            }
        }
    }

    /// Gradient check of the table (repeated ids accumulate) against Double central differences.
    func testBackwardMatchesFiniteDifferences() {
        var data = TestData(seed: 32)
        let vocabulary = 7, channels = 19, tokens = 6
        let table = FloatBuffer(data.floats(vocabulary * channels))
        let idValues: [Int32] = [2, 6, 2, 0, 2, 6]
        let ids = IntBuffer(idValues)
        let weights = data.doubles(tokens * channels)
        let dTable = FloatBuffer(data.floats(vocabulary * channels))
        let initial = dTable.doubles
        Embedding.backward(dTable: dTable.p, dOutput: FloatBuffer(weights.map(Float.init)).c, ids: ids.c,
                           tokens: tokens, channels: channels, vocabulary: vocabulary)
        let numeric = centralDifferences(at: table.doubles) { tableValues in
            var output = [Double](repeating: 0, count: tokens * channels)
            for t in 0..<tokens { for c in 0..<channels { output[t * channels + c] = tableValues[Int(idValues[t]) * channels + c] } }
            return functional(output, weights)
        }
        assertClose(dTable.array, zip(numeric, initial).map { $0 + $1 }, absolute: 1e-5, relative: 1e-4, "dTable")
    }

    func testBackwardDoesNotDependOnThreadCount() {
        var data = TestData(seed: 33)
        let vocabulary = 50, channels = 300, tokens = 64
        let ids = IntBuffer(data.ints(tokens, below: Int32(vocabulary)))
        let dOutput = FloatBuffer(data.floats(tokens * channels))
        let one = FloatBuffer(count: vocabulary * channels), two = FloatBuffer(count: vocabulary * channels)
        withThreads(1) { Embedding.backward(dTable: one.p, dOutput: dOutput.c, ids: ids.c, tokens: tokens, channels: channels) }
        withThreads(2) { Embedding.backward(dTable: two.p, dOutput: dOutput.c, ids: ids.c, tokens: tokens, channels: channels) }
        XCTAssertEqual(one.bitPatterns, two.bitPatterns)
    }
}
