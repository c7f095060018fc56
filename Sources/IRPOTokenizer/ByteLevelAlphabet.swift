/// GPT-2's reversible mapping between bytes and printable Unicode characters, used by byte-level BPE:
/// printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100 and up, in byte order.
enum ByteLevelAlphabet {
    /// `scalarForByte[b]` is the character that stands for byte `b` in byte-level vocabularies.
    static let scalarForByte: [Unicode.Scalar] = {
        var result = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
            if printable {
                result[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                result[byte] = Unicode.Scalar(next) ?? " "
                next += 1
            }
        }
        return result
    }()

    /// `byteForScalar[c]` is the byte that character `c` (< 0x144) stands for, or -1.
    static let byteForScalar: [Int16] = {
        var result = [Int16](repeating: -1, count: 0x144)
        for (byte, scalar) in scalarForByte.enumerated() { result[Int(scalar.value)] = Int16(byte) }
        return result
    }()

    /// The byte that `scalar` stands for, or nil when it is not part of the alphabet.
    @inline(__always)
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = Int(scalar.value)
        guard value < byteForScalar.count, byteForScalar[value] >= 0 else { return nil }
        return UInt8(byteForScalar[value])
    }

    /// Maps raw bytes to their byte-level characters.
    static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var result = String.UnicodeScalarView()
        for byte in bytes { result.append(scalarForByte[Int(byte)]) }
        return String(result)
    }

    /// Maps a byte-level token back to raw bytes; nil when a character is outside the alphabet.
    static func decode(_ token: String) -> [UInt8]? {
        var result: [UInt8] = []
        result.reserveCapacity(token.utf8.count)
        for scalar in token.unicodeScalars {
            guard let byte = byte(for: scalar) else { return nil }
            result.append(byte)
        }
        return result
    }
}
