import Foundation

/// The size, nesting and node bounds of a config file (`PipelineLimits.maxConfigBytes`,
/// `maxConfigDepth`, `maxConfigNodes`), checked before and while the file is parsed.
enum ConfigBounds {
    /// Rejects config bytes over `PipelineLimits.maxConfigBytes`.
    static func checkSize(_ byteCount: Int, file: String) throws {
        guard byteCount <= PipelineLimits.maxConfigBytes else {
            throw PipelineError("\(file) has \(byteCount) bytes, over the limit of \(PipelineLimits.maxConfigBytes) bytes for a config file; a run config is a few kilobytes, so check that this is the right file")
        }
    }

    static func depthError(file: String, line: Int?) -> PipelineError {
        let place = line.map { " (line \($0))" } ?? ""
        return PipelineError("\(file)\(place) nests objects and lists deeper than \(PipelineLimits.maxConfigDepth) levels, the limit for a config; a run config needs only a few levels, so flatten it")
    }

    static func nodeError(file: String) -> PipelineError {
        PipelineError("\(file) holds more than \(PipelineLimits.maxConfigNodes) values (after YAML aliases are expanded), the limit for a config; remove repeated or nested aliases")
    }

    /// Checks a parsed value tree against the depth and node limits.
    static func check(_ value: ConfigValue, file: String) throws {
        var nodes = 0
        // Iterative, so a deep tree cannot overflow the stack here.
        var stack: [(ConfigValue, Int)] = [(value, 1)]
        while let (node, depth) = stack.popLast() {
            nodes += 1
            guard nodes <= PipelineLimits.maxConfigNodes else { throw nodeError(file: file) }
            guard depth <= PipelineLimits.maxConfigDepth else { throw depthError(file: file, line: nil) }
            switch node {
            case let .array(values): stack.append(contentsOf: values.map { ($0, depth + 1) })
            case let .object(fields): stack.append(contentsOf: fields.values.map { ($0, depth + 1) })
            default: break
            }
        }
    }

    /// The lines of `text` as the YAML parser sees them: broken at `\n`, `\r\n`, a lone `\r`, NEL,
    /// LS and PS, without byte order marks (which the parser skips).
    static func yamlLines(_ text: String) -> [[UInt8]] {
        let bytes = Array(text.utf8)
        var lines: [[UInt8]] = []
        var line: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            func next(_ offset: Int) -> UInt8? { index + offset < bytes.count ? bytes[index + offset] : nil }
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                lines.append(line)
                line = []
                index += byte == UInt8(ascii: "\r") && next(1) == UInt8(ascii: "\n") ? 2 : 1
            } else if byte == 0xC2, next(1) == 0x85 {
                lines.append(line)
                line = []
                index += 2
            } else if byte == 0xE2, next(1) == 0x80, next(2) == 0xA8 || next(2) == 0xA9 {
                lines.append(line)
                line = []
                index += 3
            } else if byte == 0xEF, next(1) == 0xBB, next(2) == 0xBF {
                index += 3
            } else {
                line.append(byte)
                index += 1
            }
        }
        lines.append(line)
        return lines
    }

    /// A cheap upper estimate of the nesting depth of YAML `text`, computed without parsing it
    /// (the YAML parser recurses once per level, so a deep document must be refused before it
    /// reaches the parser).
    ///
    /// Counts, per line, the open block levels (indentation steps and `- ` item markers) plus the
    /// unclosed flow brackets `[` / `{` outside quotes and comments. Block scalar bodies (`|`, `>`)
    /// are skipped. It may overcount odd layouts, never undercount the brackets.
    /// - Returns: the line number and depth of the first line deeper than `limit`, or nil.
    static func yamlDepthExceeding(_ text: String, limit: Int) -> (line: Int, depth: Int)? {
        var indents: [Int] = []         // indentation of the open block levels
        var flow = 0                    // unclosed [ and {
        var quote: UInt8? = nil         // open quote inside flow context (quoted scalars may span lines)
        var blockScalarIndent: Int? = nil
        var lineNumber = 0
        for bytes in yamlLines(text) {
            lineNumber += 1
            var index = 0
            while index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
            let indent = index
            let blank = index == bytes.count || bytes[index] == UInt8(ascii: "\r")
            if let scalarIndent = blockScalarIndent {
                if blank || indent > scalarIndent { continue }
                blockScalarIndent = nil
            }
            if blank { continue }
            if flow == 0 && quote == nil {
                if bytes[index] == UInt8(ascii: "#") { continue }
                while let last = indents.last, last >= indent { indents.removeLast() }
                indents.append(indent)
            }
            var depth = indents.count + flow
            // Whether the next byte starts a token: only there does a quote open a quoted scalar
            // and (in block context) a bracket open a flow collection.
            var tokenStart = true
            func isSpace(_ at: Int) -> Bool {
                at >= bytes.count || bytes[at] == UInt8(ascii: " ") || bytes[at] == UInt8(ascii: "\t") || bytes[at] == UInt8(ascii: "\r")
            }
            while index < bytes.count {
                let byte = bytes[index]
                if let open = quote {
                    if open == UInt8(ascii: "\""), byte == UInt8(ascii: "\\") {
                        index += 2
                        continue
                    }
                    if byte == open {
                        if open == UInt8(ascii: "'"), index + 1 < bytes.count, bytes[index + 1] == open {
                            index += 2  // '' is an escaped quote
                            continue
                        }
                        quote = nil
                        tokenStart = false
                    }
                    index += 1
                    continue
                }
                switch byte {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                    break
                case UInt8(ascii: "#") where index == 0 || isSpace(index - 1):
                    index = bytes.count
                    continue
                case UInt8(ascii: "'"), UInt8(ascii: "\""):
                    if tokenStart { quote = byte }
                    tokenStart = false
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    if flow > 0 || tokenStart {
                        flow += 1
                        depth += 1
                        if depth > limit { return (lineNumber, depth) }
                        tokenStart = true
                    }
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    if flow > 0 {
                        flow -= 1
                        tokenStart = false
                    }
                case UInt8(ascii: ","):
                    if flow > 0 { tokenStart = true }
                case UInt8(ascii: "-") where index == 0 && bytes.count >= 3 && bytes[1] == byte && bytes[2] == byte && isSpace(3),
                     UInt8(ascii: ".") where index == 0 && bytes.count >= 3 && bytes[1] == byte && bytes[2] == byte && isSpace(3):
                    // A document marker (`---`, `...`); content may follow on the same line.
                    index = 3
                    continue
                case UInt8(ascii: "-") where tokenStart && isSpace(index + 1),
                     UInt8(ascii: "?") where tokenStart && isSpace(index + 1):
                    // A block sequence item or explicit key opens a level (`- - - x` nests three).
                    depth += 1
                    if depth > limit { return (lineNumber, depth) }
                case UInt8(ascii: ":") where isSpace(index + 1) || flow > 0:
                    tokenStart = true
                case UInt8(ascii: "&") where tokenStart, UInt8(ascii: "!") where tokenStart:
                    // An anchor or a tag: the value starts after it.
                    while index < bytes.count, !isSpace(index) { index += 1 }
                    continue
                case UInt8(ascii: "|") where tokenStart && flow == 0, UInt8(ascii: ">") where tokenStart && flow == 0:
                    blockScalarIndent = indent
                    index = bytes.count
                    continue
                default:
                    tokenStart = false
                }
                index += 1
            }
            // In block context a quoted scalar that seems to span lines is not trusted to hide
            // the next lines (a quote at the start of a plain scalar's continuation is text).
            if flow == 0 { quote = nil }
            if depth > limit { return (lineNumber, depth) }
        }
        return nil
    }
}
