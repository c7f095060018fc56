import Foundation
import XCTest
@testable import IRPOFormats

/// Matrices kept in their GGUF type: rows dequantise to exactly the floats of a full read
/// (`gguf.quants.dequantize`'s, see GGUFDequantizerTests), row permutations, bad sizes.
final class QuantizedMatrixTests: XCTestCase {
    func testRowsDequantiseAsTheFullReadForEveryType() throws {
        let file = try GGUFFile(contentsOf: try TestSupport.fixtures().appendingPathComponent("gguf_quants.gguf"))
        var types = Set<GGMLType>()
        for info in file.tensors where info.rowMajorShape.count == 2 {
            let matrix = try file.quantizedMatrix(info.name)
            types.insert(matrix.type)
            let reference = try file.floats(info.name)
            XCTAssertEqual(matrix.rows * matrix.columns, reference.count, info.name)
            XCTAssertEqual(matrix.byteCount, info.byteCount, info.name)
            var all = [Float](repeating: .nan, count: reference.count)
            all.withUnsafeMutableBufferPointer { matrix.dequantize(into: $0.baseAddress!) }
            XCTAssertEqual(all.map(\.bitPattern), reference.map(\.bitPattern), info.name)
            // The last row alone.
            var last = [Float](repeating: .nan, count: matrix.columns)
            last.withUnsafeMutableBufferPointer { matrix.dequantizeRows(matrix.rows - 1..<matrix.rows, into: $0.baseAddress!) }
            XCTAssertEqual(last.map(\.bitPattern), reference.suffix(matrix.columns).map(\.bitPattern), info.name)
        }
        XCTAssertTrue(types.isSuperset(of: [.f32, .f16, .bf16, .q4_0, .q4_1, .q8_0, .q4_K, .q6_K]), "\(types)")
    }

    func testPermutingRowsMovesWholeRows() throws {
        let file = try GGUFFile(contentsOf: try TestSupport.fixtures().appendingPathComponent("gguf_quants.gguf"))
        let matrix = try file.quantizedMatrix("q4_1.random")
        XCTAssertEqual(matrix.rows, 3)
        let reference = try file.floats("q4_1.random")
        let permuted = matrix.permutingRows([2, 0, 1])
        var values = [Float](repeating: .nan, count: reference.count)
        values.withUnsafeMutableBufferPointer { permuted.dequantize(into: $0.baseAddress!) }
        let c = matrix.columns
        XCTAssertEqual(values.map(\.bitPattern),
                       (Array(reference[2 * c..<3 * c]) + Array(reference[0..<c]) + Array(reference[c..<2 * c])).map(\.bitPattern))
    }

    func testBadShapesAreRefusedWithTheReason() throws {
        let bytes = [UInt8](repeating: 0, count: 34)
        try bytes.withUnsafeBytes { raw in
            XCTAssertNoThrow(try QuantizedMatrix(type: .q8_0, rows: 1, columns: 32, bytes: raw))
            XCTAssertThrowsError(try QuantizedMatrix(type: .q8_0, rows: 2, columns: 32, bytes: raw)) { error in
                XCTAssertTrue("\(error)".contains("needs 68 bytes"), "\(error)")
            }
            XCTAssertThrowsError(try QuantizedMatrix(type: .q8_0, rows: 1, columns: 16, bytes: raw)) { error in
                XCTAssertTrue("\(error)".contains("32-value blocks"), "\(error)")
            }
            XCTAssertThrowsError(try QuantizedMatrix(type: .iq2_xxs, rows: 1, columns: 256, bytes: raw)) { error in
                XCTAssertTrue("\(error)".contains("IQ2_XXS"), "\(error)")
            }
            XCTAssertThrowsError(try QuantizedMatrix(type: .q8_0, rows: Int.max / 2, columns: 32, bytes: raw))
        }
        XCTAssertNil(QuantizedMatrix.rowBytes(type: .q4_K, columns: 128))
        XCTAssertEqual(QuantizedMatrix.rowBytes(type: .q4_K, columns: 512), 288)
    }
}
