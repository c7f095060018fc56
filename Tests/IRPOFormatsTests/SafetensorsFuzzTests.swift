import Foundation
import IRPOFuzzSupport
import XCTest
@testable import IRPOFormats

/// Seeded structure-aware mutations of safetensors headers (dtypes, shapes, offsets, huge and
/// fractional numbers, duplicate names, metadata, declared header length, deep nesting) and of a
/// sharded checkpoint's index: every file opens and every tensor reads, or a `FormatError` is
/// thrown; none traps, hangs past the per-case bound or grows memory past the bound.
final class SafetensorsFuzzTests: XCTestCase {
    /// Raw JSON literals spliced into the header text (some are not representable as Int).
    private static let numbers = ["0", "1", "-1", "2", "3", "255", "4096", "2147483647", "2147483648", "4294967296",
                                  "4611686018427387904", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
                                  "18446744073709551615", "99999999999999999999999", "1e308", "1e400", "-0", "1.5", "6.0",
                                  "1e2", "null", "true", "\"3\"", "[]", "{}", "NaN"]
    private static let dtypes = ["F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL", "F8_E4M3", "Q4",
                                 "f32", "", "F32 "]
    /// Marker replaced by a raw literal after serialisation.
    private static let marker = "@@literal@@"

    /// The header object, data section and header text of a safetensors file.
    private struct Parts {
        var header: [String: Any]
        var data: [UInt8]
    }

    private func parts(of url: URL) throws -> Parts {
        let bytes = [UInt8](try Data(contentsOf: url))
        let length = Int(bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian })
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + length)])) as? [String: Any])
        return Parts(header: header, data: Array(bytes[(8 + length)...]))
    }

    /// A literal (raw or JSON) for a header value: a marker to splice or a real value.
    private func literal(_ random: inout FuzzRandom, into literals: inout [String]) -> Any {
        literals.append(random.pick(Self.numbers))
        return Self.marker + "\(literals.count - 1)"
    }

    /// One mutated header's text and declared length, and the data section.
    private func mutate(_ base: Parts, using random: inout FuzzRandom) -> [UInt8] {
        var header = base.header
        var data = base.data
        var literals: [String] = []
        var suffix = ""  // raw text added before the closing brace (duplicate keys, deep nesting)
        let names = header.keys.filter { $0 != "__metadata__" }.sorted()
        for _ in 0..<(1 + random.below(4)) {
            let name = names.isEmpty ? "x" : random.pick(names)
            var entry = header[name] as? [String: Any] ?? [:]
            switch random.below(11) {
            case 0: entry["dtype"] = random.oneIn(4) ? literal(&random, into: &literals) : random.pick(Self.dtypes) as Any
            case 1:  // one dimension extreme
                var shape = entry["shape"] as? [Any] ?? []
                if shape.isEmpty { shape = [1] }
                shape[random.below(shape.count)] = literal(&random, into: &literals)
                entry["shape"] = shape
            case 2:  // rank changes
                var shape = entry["shape"] as? [Any] ?? []
                switch random.below(4) {
                case 0: shape.append(random.pick([0, 1, 2, 1 << 31, 1 << 62]))
                case 1: if !shape.isEmpty { shape.removeLast() }
                case 2: shape = Array(repeating: 2, count: random.below(70))
                default: shape.reverse()
                }
                entry["shape"] = shape
            case 3:  // one offset extreme
                var offsets = entry["data_offsets"] as? [Any] ?? [0, 0]
                if offsets.isEmpty { offsets = [0] }
                offsets[random.below(offsets.count)] = literal(&random, into: &literals)
                entry["data_offsets"] = offsets
            case 4:  // offsets of another tensor (overlap), swapped, shifted or of the wrong arity
                var offsets = entry["data_offsets"] as? [Int] ?? [0, 0]
                switch random.below(4) {
                case 0: offsets = (header[random.pick(names)] as? [String: Any])?["data_offsets"] as? [Int] ?? offsets
                case 1: offsets.reverse()
                case 2: offsets = offsets.map { $0 + random.pick([1, -1, 2, 8]) }
                default: offsets = random.oneIn(2) ? [] : offsets + [0]
                }
                entry["data_offsets"] = offsets
            case 5:  // a key removed or of the wrong type
                let key = random.pick(["dtype", "shape", "data_offsets"])
                entry[key] = random.oneIn(2) ? nil : literal(&random, into: &literals)
            case 6:  // the entry replaced or removed
                header[name] = random.oneIn(2) ? nil : literal(&random, into: &literals)
                continue
            case 7:  // metadata of odd types
                var metadata = header["__metadata__"] as? [String: Any] ?? [:]
                metadata[random.pick(["format", "", "x"])] = random.oneIn(2) ? literal(&random, into: &literals) : "pt" as Any
                header["__metadata__"] = random.oneIn(8) ? literal(&random, into: &literals) : metadata as Any
                continue
            case 8:  // a repeated name (JSON with a duplicate key)
                if let text = try? JSONSerialization.data(withJSONObject: entry), let json = String(data: text, encoding: .utf8) {
                    suffix += ",\(JSONStringLiteral.quote(name)):\(json)"
                }
            case 9:  // deep nesting in a value
                let depth = random.oneIn(2) ? 1 + random.below(100) : 1000 + random.below(100_000)
                suffix += ",\"deep\":" + String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            default:  // the data section cut or grown
                if random.oneIn(2) { data.removeLast(random.below(data.count + 1)) } else { data += [UInt8](repeating: 0, count: 1 + random.below(64)) }
            }
            header[name] = entry
        }
        var text = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
        for (index, literal) in literals.enumerated().reversed() {
            text = text.replacingOccurrences(of: "\"\(Self.marker)\(index)\"", with: literal)
        }
        if !suffix.isEmpty, text.hasSuffix("}") { text = String(text.dropLast()) + (text == "{}" ? String(suffix.dropFirst()) : suffix) + "}" }
        var headerBytes = Array(text.utf8)
        if random.oneIn(4) { headerBytes += [UInt8](repeating: UInt8(ascii: " "), count: random.below(16)) }
        var declared = UInt64(headerBytes.count)
        if random.oneIn(8) {
            declared = random.pick([0, 1, 2, declared - 1, declared + 1, declared + UInt64(data.count), UInt64(Int64.max), .max, 100_000_001])
        }
        var bytes: [UInt8] = []
        withUnsafeBytes(of: declared.littleEndian) { bytes += $0 }
        return bytes + headerBytes + data
    }

    /// Opens `url` and reads every tensor as its dtype allows.
    private func openAndRead(_ url: URL) throws {
        let file = try SafetensorsFile(contentsOf: url)
        for name in file.tensorNames {
            let info = try XCTUnwrap(file.info(name))
            XCTAssertLessThanOrEqual(info.dataOffsets.upperBound + file.dataStart, try Data(contentsOf: url).count)
            if info.dtype.isFloatingPoint {
                XCTAssertEqual(try file.floats(name).count, info.elementCount)
            } else {
                XCTAssertEqual(try file.integers(name).count, info.elementCount)
            }
        }
    }

    func testMutatedHeadersOpenOrThrowFormatErrors() throws {
        let fixtures = try TestSupport.fixtures()
        let bases = try [fixtures.appendingPathComponent("st_dtypes.safetensors"),
                         fixtures.appendingPathComponent("st_sharded/model-00001-of-00002.safetensors"),
                         fixtures.appendingPathComponent("st_sharded/model-00002-of-00002.safetensors")].map(parts)
        let folder = try TestSupport.temporaryDirectory(self)
        let url = folder.appendingPathComponent("fuzz.safetensors")
        let campaign = FuzzCampaign(name: "SAFETENSORS", defaultCases: 3000)
        let report = try campaign.run { index, random in
            let bytes = mutate(random.pick(bases), using: &random)
            try Data(bytes).write(to: url)
            do {
                try openAndRead(url)
                return .accepted
            } catch is FormatError {
                return .rejected
            } catch {
                XCTFail("case \(index): \(type(of: error)) \(error)")
                return .rejected
            }
        }
        print(report.summary)
        XCTAssertEqual(campaign.violations(report), [])
        XCTAssertGreaterThan(report.accepted, report.accepted + report.rejected >= 1000 ? 20 : 0, "harmless mutations must still open")
        XCTAssertGreaterThan(report.rejected, (report.accepted + report.rejected) / 4, "most mutations must be detected")
    }

    func testMutatedShardIndexesOpenOrThrowFormatErrors() throws {
        let source = try TestSupport.fixtures().appendingPathComponent("st_sharded")
        let folder = try TestSupport.temporaryDirectory(self)
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        let indexURL = folder.appendingPathComponent("model.safetensors.index.json")
        let index = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: indexURL)) as? [String: Any])
        let weightMap = try XCTUnwrap(index["weight_map"] as? [String: String])
        let campaign = FuzzCampaign(name: "SAFETENSORS", defaultCases: 300)
        let values: [Any] = ["", ".", "..", "../model-00001-of-00002.safetensors", "/etc/passwd", "missing.safetensors",
                             "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", 3, NSNull(), ["x"]]
        let report = try campaign.run { caseIndex, random in
            var map: [String: Any] = weightMap
            for _ in 0..<(1 + random.below(3)) {
                let tensor = random.oneIn(4) ? "extra.\(random.below(3))" : random.pick(weightMap.keys.sorted())
                if random.oneIn(5) { map[tensor] = nil } else { map[tensor] = random.pick(values) }
            }
            var object = index
            object["weight_map"] = random.oneIn(20) ? Array(map.keys) as Any : map as Any
            try JSONSerialization.data(withJSONObject: object).write(to: indexURL)
            do {
                let checkpoint = try SafetensorsCheckpoint(directory: folder)
                XCTAssertFalse(checkpoint.tensorNames.isEmpty && !map.isEmpty, "case \(caseIndex)")
                return .accepted
            } catch is FormatError {
                return .rejected
            }
        }
        print(report.summary)
        XCTAssertEqual(campaign.violations(report), [])
        XCTAssertGreaterThan(report.rejected, 0)
    }
}
