/// The sentences the synthetic task is written with.
///
/// Templates use `{P}` for the subject pronoun ("She"/"He"), `{n}` for the operand and, in
/// distractors, `{N}` for another name, `{O}` for another object. Each operation has *common*
/// phrasings (seen often in training) and *rare* ones (seen with a small probability in the
/// training set, uniformly at evaluation): the skill under test is choosing the operation from a
/// phrasing seen only a few times. Rare phrasings deliberately share no cue word ("more",
/// "away") with the common ones.
public struct SyntheticPhrasings: Sendable, Hashable, Codable {
    /// Common phrasings of "+ n".
    public var addCommon: [String]
    /// Rare phrasings of "+ n".
    public var addRare: [String]
    /// Common phrasings of "- n".
    public var subtractCommon: [String]
    /// Rare phrasings of "- n".
    public var subtractRare: [String]
    /// Phrasings of "* k" by factor; a factor without an entry uses `multiplyOther`.
    public var multiplyByFactor: [Int: String]
    /// Phrasing of "* k" for other factors.
    public var multiplyOther: String
    /// Irrelevant sentences with a number in them.
    public var distractors: [String]
    /// Names with the pronoun used for them.
    public var people: [Person]
    /// Plural nouns of the counted things.
    public var objects: [String]

    /// A name and its subject pronoun.
    public struct Person: Sendable, Hashable, Codable {
        /// The name ("Ann").
        public var name: String
        /// The capitalised subject pronoun ("She").
        public var pronoun: String

        /// Creates a person.
        public init(name: String, pronoun: String) {
            self.name = name
            self.pronoun = pronoun
        }
    }

    /// Creates a phrasing set.
    public init(addCommon: [String], addRare: [String], subtractCommon: [String], subtractRare: [String], multiplyByFactor: [Int: String], multiplyOther: String, distractors: [String], people: [Person], objects: [String]) {
        self.addCommon = addCommon
        self.addRare = addRare
        self.subtractCommon = subtractCommon
        self.subtractRare = subtractRare
        self.multiplyByFactor = multiplyByFactor
        self.multiplyOther = multiplyOther
        self.distractors = distractors
        self.people = people
        self.objects = objects
    }

    /// The default set, the demo's: 4 common and 6 rare phrasings for + and for -; ASCII only, so
    /// a character vocabulary of ~60 symbols covers it.
    public static let standard = SyntheticPhrasings(
        addCommon: ["{P} buys {n} more.", "{P} finds {n} more.", "{P} gets {n} more.", "{P} picks up {n} more."],
        addRare: ["{P} wins {n}.", "{P} earns {n}.", "{P} inherits {n}.", "{P} is handed {n}.", "{P} gathers {n}.", "{P} receives {n}."],
        subtractCommon: ["{P} gives {n} away.", "{P} loses {n}.", "{P} sells {n}.", "{P} uses {n}."],
        subtractRare: ["{P} donates {n}.", "{P} lends out {n}.", "{P} misplaces {n}.", "{P} spends {n}.", "{P} discards {n}.", "{P} forfeits {n}."],
        multiplyByFactor: [2: "{P} doubles them.", 3: "{P} triples them."],
        multiplyOther: "{P} multiplies them by {n}.",
        distractors: ["{N} has {n} {O}.", "{N} is {n} years old.", "{N} sees {n} birds.", "It rains for {n} days."],
        people: [
            Person(name: "Ann", pronoun: "She"), Person(name: "Eva", pronoun: "She"), Person(name: "Mia", pronoun: "She"),
            Person(name: "Zoe", pronoun: "She"), Person(name: "Ivy", pronoun: "She"), Person(name: "Amy", pronoun: "She"),
            Person(name: "Bob", pronoun: "He"), Person(name: "Tom", pronoun: "He"), Person(name: "Sam", pronoun: "He"),
            Person(name: "Max", pronoun: "He"), Person(name: "Leo", pronoun: "He"), Person(name: "Ben", pronoun: "He"),
        ],
        objects: ["coins", "pens", "cards", "shells", "stamps", "beads", "marbles", "apples"]
    )

    /// The template of a step (common or rare list, by index).
    func template(for operation: SyntheticOperation, rare: Bool, index: Int) -> String {
        switch operation.kind {
        case .add: return (rare ? addRare : addCommon)[index]
        case .subtract: return (rare ? subtractRare : subtractCommon)[index]
        case .multiply: return multiplyByFactor[operation.operand] ?? multiplyOther
        }
    }

    /// How many phrasings `operation` has in the common or rare list.
    func count(for kind: SyntheticOperation.Kind, rare: Bool) -> Int {
        switch kind {
        case .add: return rare ? addRare.count : addCommon.count
        case .subtract: return rare ? subtractRare.count : subtractCommon.count
        case .multiply: return rare ? 0 : 1
        }
    }
}
