/// A piece of template source after splitting on tags, with the whitespace control transformers uses
/// (`trim_blocks=True`, `lstrip_blocks=True`, plus `-` and `+` markers) already applied.
enum TemplateSegment: Equatable {
    case text(String)
    case expression(String, line: Int)
    case statement(String, line: Int)
}

enum JinjaLexer {
    private enum TagKind { case expression, statement, comment }

    static func segments(_ source: String) throws -> [TemplateSegment] {
        let s = Array(source.unicodeScalars)
        var segments: [TemplateSegment] = []
        var position = 0
        var stripNextLeading = false   // previous tag ended with '-'
        var trimNextNewline = false    // previous tag was a block or comment (trim_blocks)
        var line = 1

        func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\n" || c == "\r" }

        while position <= s.count {
            // Find the next tag start.
            var tagStart = position
            var kind: TagKind?
            while tagStart + 1 < s.count {
                if s[tagStart] == "{" {
                    switch s[tagStart + 1] {
                    case "{": kind = .expression
                    case "%": kind = .statement
                    case "#": kind = .comment
                    default: break
                    }
                    if kind != nil { break }
                }
                tagStart += 1
            }
            if kind == nil { tagStart = s.count }
            // Text before the tag, with whitespace control from both sides.
            var textStart = position, textEnd = tagStart
            if stripNextLeading {
                while textStart < textEnd, isSpace(s[textStart]) { textStart += 1 }
            } else if trimNextNewline {
                if textStart < textEnd, s[textStart] == "\n" { textStart += 1 }
                else if textStart + 1 < textEnd, s[textStart] == "\r", s[textStart + 1] == "\n" { textStart += 2 }
            }
            var marker: Unicode.Scalar?
            if kind != nil, tagStart + 2 < s.count { marker = s[tagStart + 2] }
            if kind != nil && marker == "-" {
                while textEnd > textStart, isSpace(s[textEnd - 1]) { textEnd -= 1 }
            } else if let kind, kind != .expression, marker != "+" {
                var j = textEnd
                while j > position, s[j - 1] == " " || s[j - 1] == "\t" { j -= 1 }
                if j == 0 || (j > position && s[j - 1] == "\n") { textEnd = max(textStart, j) }
            }
            if textStart < textEnd {
                var view = String.UnicodeScalarView()
                view.append(contentsOf: s[textStart..<textEnd])
                segments.append(.text(String(view)))
            }
            for k in position..<tagStart where s[k] == "\n" { line += 1 }
            guard let kind else { break }

            // Find the tag end, skipping string literals inside expressions and statements.
            let closer: Unicode.Scalar = kind == .expression ? "}" : kind == .statement ? "%" : "#"
            var index = tagStart + 2
            var quote: Unicode.Scalar?
            var tagEnd = -1
            while index + 1 < s.count {
                let c = s[index]
                if let open = quote {
                    if c == "\\" { index += 2; continue }
                    if c == open { quote = nil }
                } else if kind != .comment && (c == "'" || c == "\"") {
                    quote = c
                } else if c == closer && s[index + 1] == "}" {
                    tagEnd = index
                    break
                }
                index += 1
            }
            guard tagEnd >= 0 else {
                throw ChatTemplateError(.syntax, "unclosed tag", line: line)
            }
            var innerStart = tagStart + 2
            if innerStart < tagEnd, s[innerStart] == "-" || s[innerStart] == "+" { innerStart += 1 }
            var innerEnd = tagEnd
            stripNextLeading = false
            if innerEnd > innerStart, s[innerEnd - 1] == "-" { innerEnd -= 1; stripNextLeading = true }
            else if innerEnd > innerStart, s[innerEnd - 1] == "+" { innerEnd -= 1 }
            trimNextNewline = kind != .expression
            var inner = String.UnicodeScalarView()
            if innerStart < innerEnd { inner.append(contentsOf: s[innerStart..<innerEnd]) }
            switch kind {
            case .expression: segments.append(.expression(String(inner), line: line))
            case .statement: segments.append(.statement(String(inner), line: line))
            case .comment: break
            }
            for k in tagStart..<(tagEnd + 2) where s[k] == "\n" { line += 1 }
            position = tagEnd + 2
        }
        return segments
    }
}
