/// A GGUF metadata value. Arrays are homogeneous in the file; nested arrays are arrays of `.array`.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case float32(Float), bool(Bool), string(String), uint64(UInt64), int64(Int64), float64(Double)
    case array([GGUFValue])

    /// The value-type number stored in the file (0 UINT8 ... 12 FLOAT64).
    public var typeCode: UInt32 {
        switch self {
        case .uint8: return 0
        case .int8: return 1
        case .uint16: return 2
        case .int16: return 3
        case .uint32: return 4
        case .int32: return 5
        case .float32: return 6
        case .bool: return 7
        case .string: return 8
        case .array: return 9
        case .uint64: return 10
        case .int64: return 11
        case .float64: return 12
        }
    }

    /// The GGUF name of the value type ("UINT32", "STRING", "ARRAY", ...).
    public var typeName: String { Self.typeName(code: typeCode) }

    /// The GGUF name of value-type number `code`, or "type N" when unknown.
    public static func typeName(code: UInt32) -> String {
        let names = ["UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32", "BOOL", "STRING", "ARRAY", "UINT64", "INT64", "FLOAT64"]
        return code < names.count ? names[Int(code)] : "type \(code)"
    }
}
