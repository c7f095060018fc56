import XCTest
@testable import IRPOModel

/// The activation buffer pool: size classes, and a bound on what it keeps when shapes vary.
final class BufferPoolTests: XCTestCase {
    func testSizeClassesRoundUpByAtMostAnEighth() {
        for count in [1, 2, 16] { XCTAssertEqual(BufferPool.sizeClass(count), count) }
        XCTAssertEqual(BufferPool.sizeClass(0), 1)
        XCTAssertEqual(BufferPool.sizeClass(17), 18)
        XCTAssertEqual(BufferPool.sizeClass(1024), 1024)
        XCTAssertEqual(BufferPool.sizeClass(1025), 1152)
        var classes = Set<Int>()
        for count in 1...5000 {
            let size = BufferPool.sizeClass(count)
            XCTAssertGreaterThanOrEqual(size, count)
            XCTAssertLessThanOrEqual(Double(size), Double(count) * 1.125 + 1, "\(count) -> \(size)")
            XCTAssertEqual(BufferPool.sizeClass(size), size, "a class size is its own class")
            classes.insert(size)
        }
        // 8 classes per power of two above 16: far fewer classes than sizes.
        XCTAssertLessThan(classes.count, 120)
    }

    func testPoolReusesBlocksOfTheSameClass() {
        let pool = BufferPool()
        var first: UnsafeMutablePointer<Float>?
        do {
            let storage = ActivationStorage(pool: pool)
            first = storage.allocate(1000)
        }
        XCTAssertEqual(pool.pooledFloats, BufferPool.sizeClass(1000))
        let storage = ActivationStorage(pool: pool)
        // 1010 floats fall in the same class as 1000: the block is reused.
        XCTAssertEqual(storage.allocate(1010), first)
        XCTAssertEqual(pool.pooledFloats, 0)
    }

    /// Training micro-batches are padded to different lengths: the pool used to keep every
    /// distinct size forever (4.8 GB in a 0.6M-parameter demo run).
    func testPoolStaysBoundedOverManyShapes() throws {
        func batch(length: Int) -> TokenBatch {
            let sequences = (0..<3).map { row in (0..<(length - row % 2)).map { Int32(($0 * 7 + row) % 20) } }
            return TokenBatch(sequences: sequences, scoreMasks: sequences.map { sequence in sequence.indices.map { $0 > 0 } })
        }
        func step(_ model: LlamaModel, _ gradients: ParameterBuffer, length: Int) throws {
            let pass = try model.forward(batch(length: length))
            model.backward(pass, dSumLogProbs: [1, 1, 1], into: gradients)
        }
        // What one step of the longest shape keeps pooled.
        let single = try LlamaModel(configuration: TestSupport.tinyConfiguration(), seed: 5)
        try step(single, ParameterBuffer(layout: single.layout), length: 40)
        let oneStep = single.bufferPool.pooledFloats
        XCTAssertGreaterThan(oneStep, 0, "the pool keeps blocks for the next pass")
        // 39 different shapes: keeping every distinct size would pool ~20 steps' worth.
        let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(), seed: 5)
        let gradients = ParameterBuffer(layout: model.layout)
        for length in 2...40 { try step(model, gradients, length: length) }
        XCTAssertLessThanOrEqual(model.bufferPool.pooledFloats, 2 * oneStep)
        XCTAssertLessThanOrEqual(model.bufferPool.pooledFloats, model.bufferPool.limitFloats)
        // The same shapes again reuse pooled blocks instead of growing the pool.
        let before = model.bufferPool.pooledFloats
        for length in 2...40 { try step(model, gradients, length: length) }
        XCTAssertLessThanOrEqual(model.bufferPool.pooledFloats, max(before, 2 * oneStep))
    }

    func testResultsDoNotDependOnPooledBlocks() throws {
        let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(), seed: 9)
        let sequences: [[Int32]] = [[3, 7, 1, 19, 4], [5, 2, 11]]
        let masks = sequences.map { sequence in sequence.indices.map { $0 > 0 } }
        let fresh = try model.forward(TokenBatch(sequences: sequences, scoreMasks: masks), savingForBackward: false).sumLogProbs
        // Fill the pool with blocks of other shapes (and stale contents), then run again.
        for length in [9, 4, 13] {
            let other = [(0..<length).map { Int32($0 % 20) }]
            _ = try model.forward(TokenBatch(sequences: other, scoreMasks: [other[0].indices.map { $0 > 0 }]))
        }
        let reused = try model.forward(TokenBatch(sequences: sequences, scoreMasks: masks), savingForBackward: false).sumLogProbs
        XCTAssertEqual(fresh, reused)
    }
}
