import Foundation

/// Writes `.safetensors` files from `Float` buffers.
public enum SafetensorsWriter {
    /// One tensor to write. `values` must stay valid until `write` returns.
    public struct Tensor {
        /// Tensor name (unique, not `__metadata__`).
        public let name: String
        /// Shape, outermost first; its product must equal `values.count`.
        public let shape: [Int]
        /// Row-major values.
        public let values: UnsafeBufferPointer<Float>

        /// Creates a tensor description; no copy is made.
        public init(name: String, shape: [Int], values: UnsafeBufferPointer<Float>) {
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// Writes `tensors` in order to `url` atomically (temp file + rename), converting to `dtype`
    /// (`.f32`, `.f16` or `.bf16`, rounding to nearest even), with `metadata` as `__metadata__`.
    /// The header is padded with spaces so the data section starts at a multiple of 8.
    public static func write(_ tensors: [Tensor], dtype: SafetensorsDType, metadata: [String: String], to url: URL) throws {
        guard dtype == .f32 || dtype == .f16 || dtype == .bf16 else {
            throw FormatError(url: url, "cannot write dtype \(dtype.rawValue); use F32, F16 or BF16")
        }
        var seen = Set<String>()
        var header = "{"
        var first = true
        if !metadata.isEmpty {
            header += "\"__metadata__\":{"
            header += metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0] ?? ""))" }.joined(separator: ",")
            header += "}"
            first = false
        }
        var offset = 0
        for tensor in tensors {
            guard tensor.name != "__metadata__", seen.insert(tensor.name).inserted else {
                throw FormatError(url: url, "tensor name '\(tensor.name)' is reserved or used twice; give every tensor a unique name")
            }
            guard tensor.shape.allSatisfy({ $0 >= 0 }), tensor.shape.reduce(1, *) == tensor.values.count else {
                throw FormatError(url: url, "tensor '\(tensor.name)' has shape \(tensor.shape) but \(tensor.values.count) values; pass matching shape and values")
            }
            let bytes = tensor.values.count * dtype.byteSize
            if !first { header += "," }
            first = false
            header += "\(jsonString(tensor.name)):{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}"
            offset += bytes
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(0x20) }
        try AtomicFileWriter.write(to: url) { sink in
            var length = UInt64(headerBytes.count).littleEndian
            try withUnsafeBytes(of: &length) { try sink($0) }
            try headerBytes.withUnsafeBytes { try sink($0) }
            let chunkElements = 1 << 18
            var scratch = [UInt8](repeating: 0, count: chunkElements * dtype.byteSize)
            for tensor in tensors {
                guard let source = tensor.values.baseAddress else { continue }
                var start = 0
                while start < tensor.values.count {
                    let count = min(chunkElements, tensor.values.count - start)
                    try scratch.withUnsafeMutableBytes { raw in
                        guard let destination = raw.baseAddress else { return }
                        switch dtype {
                        case .f16: ScalarConversion.floatToHalf(source + start, count: count, into: destination)
                        case .bf16: ScalarConversion.floatToBFloat16(source + start, count: count, into: destination)
                        default: destination.copyMemory(from: source + start, byteCount: 4 * count)
                        }
                        try sink(UnsafeRawBufferPointer(rebasing: raw[0..<(count * dtype.byteSize)]))
                    }
                    start += count
                }
            }
        }
    }

    /// A JSON string literal (see `JSONStringLiteral`).
    static func jsonString(_ text: String) -> String { JSONStringLiteral.quote(text) }
}
