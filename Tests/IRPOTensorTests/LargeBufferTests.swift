import XCTest
import IRPOTensor

/// `LargeBuffer`: zeroed storage, and (for mapped buffers) memory taken only where written, so a
/// KV cache sized for the longest sample costs what samples reach.
final class LargeBufferTests: XCTestCase {
    func testBuffersAreZeroedWritableAndReleased() {
        for count in [1, 1000, (2 << 20) / 4 - 1, (2 << 20) / 4, 3_000_000] {
            let buffer = LargeBuffer.allocate(count: count)
            XCTAssertEqual(Int(bitPattern: buffer) % 64, 0, "count \(count): 64-byte aligned")
            for index in Set([0, count / 2, count - 1]) {
                XCTAssertEqual(buffer[index], 0, "count \(count): element \(index) is zeroed")
                buffer[index] = Float(index)
                XCTAssertEqual(buffer[index], Float(index))
            }
            LargeBuffer.deallocate(buffer, count: count)
        }
    }

    #if os(Linux)
    func testAMappedBufferTakesMemoryOnlyWhereWritten() {
        let count = 64 << 20   // 256 MiB of floats
        let before = ResourceUsage.residentBytes()
        let buffer = LargeBuffer.allocate(count: count)
        defer { LargeBuffer.deallocate(buffer, count: count) }
        // Touch 16 floats 16 MiB apart: at most 16 pages (16 huge pages where the system makes
        // every mapping huge) become resident, not the 256 MiB a zero-filled buffer would take.
        for index in stride(from: 0, to: count, by: count / 16) { buffer[index] = 1 }
        let grown = ResourceUsage.residentBytes() - before
        XCTAssertLessThan(grown, 128 << 20, "an untouched mapped buffer should not be resident (grew \(grown) bytes)")
    }
    #endif
}
