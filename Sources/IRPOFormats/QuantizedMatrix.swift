/// A row-major matrix kept in a ggml storage type (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, ...):
/// each row is a whole number of blocks, and rows are dequantised to `Float` on demand with the
/// same kernels `GGUFFile.readFloats` uses, so the values are bit-identical to a full load.
///
/// A model's frozen base can keep its projections in this form and dequantise one layer at a
/// time into a scratch buffer (QLoRA-style), at a quarter to an eighth of the F32 memory.
public struct QuantizedMatrix: Sendable {
    /// The storage type.
    public let type: GGMLType
    /// Number of rows (the output width of a linear weight `[out, in]`).
    public let rows: Int
    /// Number of columns (the input width), a multiple of the type's block size.
    public let columns: Int
    /// Bytes of one row.
    public let rowBytes: Int
    private let storage: Storage

    /// Owns the bytes.
    /// Unchecked Sendable: the bytes are written in init only, then only read.
    private final class Storage: @unchecked Sendable {
        let bytes: UnsafeMutableRawBufferPointer
        init(count: Int) {
            bytes = .allocate(byteCount: max(1, count), alignment: 64)
        }
        deinit { bytes.deallocate() }
    }

    /// Whether a matrix of `type` can be kept and dequantised.
    public static func supports(_ type: GGMLType) -> Bool { GGUFDequantizer.supports(type) }

    /// Bytes of one row of `columns` values of `type`, or nil when `columns` is not a whole number
    /// of blocks or the size overflows.
    public static func rowBytes(type: GGMLType, columns: Int) -> Int? {
        let layout = type.blockLayout
        guard columns > 0, columns % layout.elements == 0 else { return nil }
        let (bytes, overflow) = (columns / layout.elements).multipliedReportingOverflow(by: layout.bytes)
        return overflow ? nil : bytes
    }

    /// Copies `rows` rows of `columns` values stored as `type` from `bytes`.
    /// - Throws: `QuantizationError` when the type cannot be dequantised, the
    ///   columns are not whole blocks, or `bytes` does not hold exactly that many rows.
    public init(type: GGMLType, rows: Int, columns: Int, bytes: UnsafeRawBufferPointer) throws {
        guard Self.supports(type) else {
            throw QuantizationError("type \(type.name) cannot be dequantised; use a GGUF whose matrices are F32, F16, BF16, Q4_0 ... Q8_0 or Q2_K ... Q6_K")
        }
        guard rows > 0, let rowBytes = Self.rowBytes(type: type, columns: columns) else {
            throw QuantizationError("a \(type.name) matrix of \(rows) x \(columns) is not whole rows of \(type.blockLayout.elements)-value blocks")
        }
        let (total, overflow) = rows.multipliedReportingOverflow(by: rowBytes)
        guard !overflow, total == bytes.count, let source = bytes.baseAddress else {
            throw QuantizationError("a \(type.name) matrix of \(rows) x \(columns) needs \(overflow ? "more than Int.max" : String(total)) bytes, but \(bytes.count) were given")
        }
        self.type = type
        self.rows = rows
        self.columns = columns
        self.rowBytes = rowBytes
        self.storage = Storage(count: total)
        if let destination = storage.bytes.baseAddress {
            destination.copyMemory(from: source, byteCount: total)
        }
    }

    private init(type: GGMLType, rows: Int, columns: Int, rowBytes: Int, storage: Storage) {
        self.type = type
        self.rows = rows
        self.columns = columns
        self.rowBytes = rowBytes
        self.storage = storage
    }

    /// Bytes held.
    public var byteCount: Int { rows * rowBytes }

    /// The stored bytes (valid while this matrix is alive).
    public var rawBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(storage.bytes)[0..<byteCount]) }

    /// Dequantises rows `range` into `destination` (`range.count * columns` floats, row-major),
    /// on the calling thread.
    public func dequantizeRows(_ range: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "QuantizedMatrix: row range out of bounds")
        guard !range.isEmpty, let kernel = GGUFDequantizer.kernel(for: type), let base = storage.bytes.baseAddress else { return }
        let blocks = range.count * columns / type.blockLayout.elements
        kernel(UnsafeRawPointer(base + range.lowerBound * rowBytes), blocks, destination)
    }

    /// Dequantises every row into `destination` (`rows * columns` floats).
    public func dequantize(into destination: UnsafeMutablePointer<Float>) {
        dequantizeRows(0..<rows, into: destination)
    }

    /// A copy whose row `i` is this matrix's row `order[i]` (`order` a permutation of the rows).
    public func permutingRows(_ order: [Int]) -> QuantizedMatrix {
        precondition(order.count == rows && Set(order).count == rows && order.allSatisfy { $0 >= 0 && $0 < rows },
                     "QuantizedMatrix.permutingRows needs a permutation of the rows")
        let copy = Storage(count: byteCount)
        if let destination = copy.bytes.baseAddress, let source = storage.bytes.baseAddress {
            for (row, from) in order.enumerated() {
                (destination + row * rowBytes).copyMemory(from: source + from * rowBytes, byteCount: rowBytes)
            }
        }
        return QuantizedMatrix(type: type, rows: rows, columns: columns, rowBytes: rowBytes, storage: copy)
    }
}
