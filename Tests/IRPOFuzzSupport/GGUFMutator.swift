import Foundation
import IRPOFormats

/// Structure-aware mutations of GGUF metadata and tensor tables: values of every type at their
/// extremes, wrong types, missing and repeated keys, long and nested arrays, and tensor entries
/// with other shapes, types, offsets and names.
public enum GGUFMutator {
    static let integers: [UInt64] = [0, 1, 2, 3, 7, 8, 31, 32, 33, 255, 256, 4096, 65_535, 65_536, 1 << 20, 1 << 24,
                                     UInt64(UInt32.max), 1 << 32, 1 << 40, 1 << 62, UInt64(Int64.max), .max]
    static let floats: [Double] = [0, -0.0, 1, -1, 1e-30, 1e30, 10_000, -10_000, .nan, .infinity, -.infinity,
                                   Double(Float.greatestFiniteMagnitude), 0.5]

    /// A value that stresses `old`: the same type at an extreme, another type, or an odd array.
    public static func value(replacing old: GGUFValue, using random: inout FuzzRandom) -> GGUFValue {
        let integer = random.pick(integers)
        let float = random.pick(floats)
        switch random.below(12) {
        case 0: return .uint32(UInt32(truncatingIfNeeded: integer))
        case 1: return .int32(Int32(truncatingIfNeeded: integer))
        case 2: return .uint64(integer)
        case 3: return .int64(Int64(truncatingIfNeeded: integer))
        case 4: return .float32(Float(float))
        case 5: return .float64(float)
        case 6: return .string(random.pick(["", "llama", "qwen2", "gpt2", "\u{0}", String(repeating: "x", count: 1 + random.below(5000))]))
        case 7: return .bool(random.oneIn(2))
        case 8: return .array([])
        case 9: return .array(Array(repeating: .uint32(UInt32(truncatingIfNeeded: integer)), count: 1 + random.below(64)))
        case 10:
            var nested = old
            for _ in 0..<(1 + random.below(10)) { nested = .array([nested]) }
            return nested
        default:
            // Same type, extreme value.
            switch old {
            case .uint8: return .uint8(UInt8(truncatingIfNeeded: integer))
            case .int8: return .int8(Int8(truncatingIfNeeded: integer))
            case .uint16: return .uint16(UInt16(truncatingIfNeeded: integer))
            case .int16: return .int16(Int16(truncatingIfNeeded: integer))
            case .uint32: return .uint32(UInt32(truncatingIfNeeded: integer))
            case .int32: return .int32(Int32(truncatingIfNeeded: integer))
            case .uint64: return .uint64(integer)
            case .int64: return .int64(Int64(truncatingIfNeeded: integer))
            case .float32: return .float32(Float(float))
            case .float64: return .float64(float)
            case .bool(let flag): return .bool(!flag)
            case .string(let text): return .string(random.oneIn(2) ? String(text.reversed()) : text + text)
            case .array(var elements):
                guard !elements.isEmpty else { return .array([.string("")]) }
                switch random.below(4) {
                case 0: elements.removeLast(1 + random.below(elements.count))
                case 1: elements += elements.prefix(1 + random.below(min(elements.count, 64)))
                case 2:
                    let index = random.below(elements.count)
                    elements[index] = value(replacing: elements[index], using: &random)
                default: elements.swapAt(random.below(elements.count), random.below(elements.count))
                }
                return .array(elements)
            }
        }
    }

    /// Applies 1...4 structural mutations to `structure`; keys named in `focus` are chosen more often.
    public static func mutate(_ structure: inout GGUFStructure, focus: [String] = [], using random: inout FuzzRandom) {
        for _ in 0..<(1 + random.below(4)) {
            switch random.below(10) {
            case 0, 1, 2:  // change a metadata value (a focused key half the time)
                guard !structure.metadata.isEmpty else { continue }
                var index = random.below(structure.metadata.count)
                if !focus.isEmpty, random.oneIn(2) {
                    let key = random.pick(focus)
                    if let focused = structure.metadata.firstIndex(where: { $0.key == key }) { index = focused }
                }
                structure.metadata[index].value = value(replacing: structure.metadata[index].value, using: &random)
            case 3:  // remove a metadata key
                guard !structure.metadata.isEmpty else { continue }
                structure.metadata.remove(at: random.below(structure.metadata.count))
            case 4:  // repeat or add a key
                if random.oneIn(2), let entry = structure.metadata.randomElement(using: &random) {
                    structure.metadata.append(entry)
                } else {
                    let key = focus.isEmpty ? "general.alignment" : random.pick(focus + ["general.alignment"])
                    structure.metadata.append((key, value(replacing: .uint32(1), using: &random)))
                }
            case 5:  // tensor dimensions
                guard !structure.tensors.isEmpty else { continue }
                let index = random.below(structure.tensors.count)
                var dimensions = structure.tensors[index].dimensions
                switch random.below(5) {
                case 0: dimensions.reverse()
                case 1: if !dimensions.isEmpty { dimensions[random.below(dimensions.count)] = random.pick(integers) }
                case 2: dimensions.append(random.pick([1, 2, 0, 1 << 31]))
                case 3: dimensions.removeLast(min(dimensions.count, 1))
                default: dimensions = dimensions.map { $0 &* 2 }
                }
                structure.tensors[index].dimensions = dimensions
            case 6:  // tensor type
                guard !structure.tensors.isEmpty else { continue }
                let types: [UInt32] = [0, 1, 2, 8, 12, 14, 24, 28, 30, 4, 99, .max]
                structure.tensors[random.below(structure.tensors.count)].type = random.pick(types)
            case 7:  // tensor offset
                guard !structure.tensors.isEmpty else { continue }
                let index = random.below(structure.tensors.count)
                let other = structure.tensors[random.below(structure.tensors.count)].offset
                structure.tensors[index].offset = random.pick([other, other + 32, 1, 0, UInt64(structure.data.count), random.pick(integers)])
            case 8:  // tensor names: a repeat, a rename, a removal
                guard !structure.tensors.isEmpty else { continue }
                let index = random.below(structure.tensors.count)
                switch random.below(3) {
                case 0: structure.tensors[index].name = structure.tensors[random.below(structure.tensors.count)].name
                case 1: structure.tensors[index].name += random.pick([".x", "", "\u{0}"])
                default: structure.tensors.remove(at: index)
                }
            default:  // declared counts, version, truncation
                switch random.below(4) {
                case 0: structure.declaredKeyCount = random.pick(integers)
                case 1: structure.declaredTensorCount = random.pick(integers)
                case 2: structure.version = random.pick([1, 2, 3, 4, .max])
                default: structure.data.removeLast(random.below(structure.data.count + 1))
                }
            }
        }
    }
}
