extension GGUFValue {
    /// The string, when this is `.string`.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The value as `Int` when it is an integer type whose value fits.
    public var intValue: Int? {
        switch self {
        case .uint8(let value): return Int(value)
        case .int8(let value): return Int(value)
        case .uint16(let value): return Int(value)
        case .int16(let value): return Int(value)
        case .uint32(let value): return Int(value)
        case .int32(let value): return Int(value)
        case .uint64(let value): return Int(exactly: value)
        case .int64(let value): return Int(value)
        default: return nil
        }
    }

    /// The value as `Double` when it is a number (floating-point or integer).
    public var doubleValue: Double? {
        switch self {
        case .float32(let value): return Double(value)
        case .float64(let value): return value
        case .uint64(let value): return Double(value)
        default: return intValue.map(Double.init)
        }
    }

    /// The value as `Bool` when it is `.bool`.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The elements, when this is `.array`.
    public var arrayValue: [GGUFValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The elements as strings, when this is an array of strings.
    public var stringArray: [String]? {
        guard let elements = arrayValue else { return nil }
        var result: [String] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            guard let text = element.stringValue else { return nil }
            result.append(text)
        }
        return result
    }

    /// The elements as `Int`, when this is an array of integers that fit.
    public var intArray: [Int]? {
        guard let elements = arrayValue else { return nil }
        var result: [Int] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            guard let number = element.intValue else { return nil }
            result.append(number)
        }
        return result
    }

    /// The elements as `Float`, when this is an array of numbers.
    public var floatArray: [Float]? {
        guard let elements = arrayValue else { return nil }
        var result: [Float] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            guard let number = element.doubleValue else { return nil }
            result.append(Float(number))
        }
        return result
    }
}
