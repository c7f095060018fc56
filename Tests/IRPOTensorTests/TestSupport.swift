import Foundation
import XCTest
import IRPOTensor

/// Owns the memory of every `FloatBuffer` / `IntBuffer` until the end of the current test.
///
/// Buffers are often passed as temporaries (`kernel(x: FloatBuffer(values).c)`), and the
/// optimizer may release a class instance right after its last use, before the kernel runs;
/// so the memory is not tied to the buffer objects' lifetimes but freed in `tearDown`.
final class TestArena: @unchecked Sendable {
    static let shared = TestArena()
    private let lock = NSLock()
    private var allocations: [UnsafeMutableRawPointer] = []

    func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let pointer = UnsafeMutablePointer<T>.allocate(capacity: max(1, count))
        lock.withLock { allocations.append(UnsafeMutableRawPointer(pointer)) }
        return pointer
    }

    func releaseAll() {
        lock.withLock {
            for pointer in allocations { pointer.deallocate() }
            allocations.removeAll()
        }
    }
}

/// Base class of this module's tests: frees the test buffers after each test.
class KernelTestCase: XCTestCase {
    override func tearDown() {
        TestArena.shared.releaseAll()
        super.tearDown()
    }
}

/// A heap buffer of Floats for calling kernels from tests (memory owned by `TestArena`).
final class FloatBuffer {
    let count: Int
    let pointer: UnsafeMutablePointer<Float>

    init(count: Int, value: Float = 0) {
        self.count = count
        pointer = TestArena.shared.allocate(Float.self, count: count)
        pointer.initialize(repeating: value, count: max(1, count))
    }

    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        for (i, x) in values.enumerated() { pointer[i] = x }
    }

    var p: UnsafeMutablePointer<Float> { pointer }
    var c: UnsafePointer<Float> { UnsafePointer(pointer) }
    var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
    var doubles: [Double] { array.map(Double.init) }
    var bitPatterns: [UInt32] { array.map(\.bitPattern) }
}

/// A heap buffer of Int32 for ids, positions and lengths (memory owned by `TestArena`).
final class IntBuffer {
    let pointer: UnsafeMutablePointer<Int32>
    let count: Int

    init(_ values: [Int32]) {
        count = values.count
        pointer = TestArena.shared.allocate(Int32.self, count: values.count)
        for (i, x) in values.enumerated() { pointer[i] = x }
    }

    var c: UnsafePointer<Int32> { UnsafePointer(pointer) }
}

/// Deterministic random test data.
struct TestData {
    var generator: SeededGenerator

    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    mutating func floats(_ count: Int, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in generator.normal(mean: 0, std: scale) }
    }

    mutating func doubles(_ count: Int) -> [Double] {
        (0..<count).map { _ in Double(generator.normal(mean: 0, std: 1)) }
    }

    mutating func ints(_ count: Int, below bound: Int32) -> [Int32] {
        (0..<count).map { _ in Int32(generator.next() % UInt64(bound)) }
    }
}

/// Central differences of `f` at `x` in Double: `(f(x + e_i h) - f(x - e_i h)) / 2h` for every `i`.
func centralDifferences(at x: [Double], step: Double = 1e-5, _ f: ([Double]) -> Double) -> [Double] {
    var point = x
    var gradient = [Double](repeating: 0, count: x.count)
    for i in 0..<x.count {
        let original = point[i]
        point[i] = original + step
        let plus = f(point)
        point[i] = original - step
        let minus = f(point)
        point[i] = original
        gradient[i] = (plus - minus) / (2 * step)
    }
    return gradient
}

/// `sum(weights[i] * values[i])` in Double: the random linear functional the gradient checks use.
func functional(_ values: [Double], _ weights: [Double]) -> Double {
    precondition(values.count == weights.count)
    var total = 0.0
    for i in 0..<values.count { total += values[i] * weights[i] }
    return total
}

/// Asserts `|actual - expected| <= absolute + relative * |expected|` elementwise and reports the
/// worst element.
func assertClose(
    _ actual: [Float], _ expected: [Double], absolute: Double = 1e-5, relative: Double = 1e-4,
    _ message: String, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.count, expected.count, "\(message): count", file: file, line: line)
    guard actual.count == expected.count else { return }
    var worst = 0.0, worstIndex = -1
    for i in 0..<actual.count {
        let a = Double(actual[i])
        let excess = abs(a - expected[i]) - (absolute + relative * abs(expected[i]))
        if !(excess <= 0) && (worstIndex < 0 || !(excess <= worst)) { worst = excess; worstIndex = i }
    }
    if worstIndex >= 0 {
        XCTFail("\(message): element \(worstIndex) is \(actual[worstIndex]), expected \(expected[worstIndex])", file: file, line: line)
    }
}

/// Runs `body` with `Parallel.threadCount` set to `threads`, then restores it.
func withThreads<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T {
    let saved = Parallel.threadCount
    Parallel.threadCount = threads
    defer { Parallel.threadCount = saved }
    return try body()
}
