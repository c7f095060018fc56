/// A post-processor stage of tokenizer.json: adds the special tokens of a single sequence
/// (applied only when encoding with special tokens).
protocol PostProcessor: Sendable {
    func process(_ ids: [Int]) -> [Int]
}

/// Builds the post-processor named by the JSON `"type"`, as HF `tokenizers` names them.
/// `tokenID` resolves token strings (for `BertProcessing`/`RobertaProcessing`, which name ids directly).
func makePostProcessor(_ json: JSONReader) throws -> PostProcessor {
    let type = try json.componentType()
    switch type {
    case "TemplateProcessing":
        return try TemplateProcessing(json)
    case "ByteLevel":
        return IdentityPostProcessor()  // only adjusts offsets, which this library does not produce
    case "Sequence":
        return SequencePostProcessor(stages: try json.required("processors").array().map(makePostProcessor))
    case "BertProcessing", "RobertaProcessing":
        func id(_ key: String) throws -> Int {
            let pair = try json.required(key).array()
            guard pair.count == 2 else { throw json.error("\(key) must be [token, id]") }
            return try pair[1].int()
        }
        return ClassifierPostProcessor(cls: try id("cls"), sep: try id("sep"))
    default:
        throw json.error("unsupported post-processor type \"\(type)\"; supported: TemplateProcessing, ByteLevel, "
            + "Sequence, BertProcessing, RobertaProcessing")
    }
}

/// `TemplateProcessing`: the `single` template, e.g. `<s> $A` for BOS insertion.
struct TemplateProcessing: PostProcessor {
    enum Piece: Sendable { case sequence, special([Int]) }
    let single: [Piece]

    init(_ json: JSONReader) throws {
        let specialTokens = try json.optional("special_tokens")
        var pieces: [Piece] = []
        for item in try json.required("single").array() {
            if let special = try item.optional("SpecialToken") {
                let name = try special.string("id")
                guard let entry = try specialTokens?.optional(name) else {
                    throw special.error("special token \"\(name)\" is not listed in special_tokens")
                }
                pieces.append(.special(try entry.required("ids").array().map { try $0.int() }))
            } else if let sequence = try item.optional("Sequence") {
                guard try sequence.string("id") == "A" else {
                    throw sequence.error("a single-sequence template can only contain sequence A")
                }
                pieces.append(.sequence)
            } else {
                throw item.error("expected {\"SpecialToken\": ...} or {\"Sequence\": ...}")
            }
        }
        single = pieces
    }

    func process(_ ids: [Int]) -> [Int] {
        var result: [Int] = []
        result.reserveCapacity(ids.count + single.count)
        for piece in single {
            switch piece {
            case .sequence: result += ids
            case .special(let special): result += special
            }
        }
        return result
    }
}

/// `BertProcessing` / `RobertaProcessing` for one sequence: `cls ids sep`.
struct ClassifierPostProcessor: PostProcessor {
    let cls: Int
    let sep: Int
    func process(_ ids: [Int]) -> [Int] { [cls] + ids + [sep] }
}

/// A post-processor that leaves ids unchanged.
struct IdentityPostProcessor: PostProcessor {
    func process(_ ids: [Int]) -> [Int] { ids }
}

/// `Sequence`: the stages in order.
struct SequencePostProcessor: PostProcessor {
    let stages: [PostProcessor]
    func process(_ ids: [Int]) -> [Int] { stages.reduce(ids) { $1.process($0) } }
}
