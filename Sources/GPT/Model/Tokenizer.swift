// Characters to token ids and back. The vocabulary is every character of the training data in a
// fixed order; one extra id, BOS (beginning/end of sequence), marks where a document starts and ends.

/// A character-level tokenizer: one id per character, plus BOS as the last id.
///
/// A "character" here is one Unicode scalar (a code point), as in Python's `str`: then the
/// vocabulary joined into one string splits back into exactly the same characters, which Swift's
/// `Character` (a whole grapheme cluster, such as "e" followed by a combining accent) would not.
public struct Tokenizer: Sendable, Equatable {
    /// The characters in id order: character i has id i. Each holds one Unicode scalar.
    public let characters: [Character]
    private let scalars: [Unicode.Scalar]
    private let ids: [Unicode.Scalar: Int]
    /// The ids of the 128 ASCII scalars (-1 for those not in the vocabulary), read without
    /// hashing: log lines are nearly all ASCII, and hashing each character showed as 3% of
    /// classifying a file in the profile (the file now takes about 1% less).
    private let asciiIDs: [Int]

    /// The BOS token's id: one past the last character.
    public var bos: Int { scalars.count }
    /// Number of ids, BOS included.
    public var vocabSize: Int { scalars.count + 1 }

    /// A tokenizer over the Unicode scalars of `characters`, deduplicated, in the given order.
    public init(characters: [Character]) {
        var seen = Set<Unicode.Scalar>()
        scalars = characters.flatMap(\.unicodeScalars).filter { seen.insert($0).inserted }
        self.characters = scalars.map(Character.init)
        ids = Dictionary(uniqueKeysWithValues: scalars.enumerated().map { ($1, $0) })
        var ascii = [Int](repeating: -1, count: 128)
        for (id, scalar) in scalars.enumerated() where scalar.isASCII { ascii[Int(scalar.value)] = id }
        asciiIDs = ascii
    }

    /// The id of `scalar`, or nil when the vocabulary lacks it.
    @inline(__always) private func id(of scalar: Unicode.Scalar) -> Int? {
        guard scalar.isASCII else { return ids[scalar] }
        let id = asciiIDs[Int(scalar.value)]
        return id < 0 ? nil : id
    }

    /// A tokenizer whose vocabulary is the characters of `vocabulary`, in order (as in checkpoints).
    public init(vocabulary: String) {
        self.init(characters: vocabulary.unicodeScalars.map(Character.init))
    }

    /// The id of a single-scalar character, or nil when it is not in the vocabulary.
    public func id(of character: Character) -> Int? {
        let parts = character.unicodeScalars
        guard parts.count == 1, let scalar = parts.first else { return nil }
        return id(of: scalar)
    }

    /// Ids of the characters of `text`, or the first character the vocabulary lacks.
    public func encode(_ text: String) -> Result<[Int], UnknownCharacter> {
        var result: [Int] = []
        result.reserveCapacity(text.unicodeScalars.count)
        for (offset, scalar) in text.unicodeScalars.enumerated() {
            guard let id = id(of: scalar) else { return .failure(UnknownCharacter(character: Character(scalar), offset: offset)) }
            result.append(id)
        }
        return .success(result)
    }

    /// Ids of the characters of `text`, leaving out characters the vocabulary lacks.
    public func encodeKnown(_ text: String) -> (ids: [Int], unknown: Set<Character>) {
        var result: [Int] = []
        var unknown = Set<Character>()
        for scalar in text.unicodeScalars {
            if let id = id(of: scalar) { result.append(id) } else { unknown.insert(Character(scalar)) }
        }
        return (result, unknown)
    }

    /// The text of some ids; BOS (and any id outside the vocabulary) becomes nothing.
    public func decode(_ tokenIDs: [Int]) -> String {
        var view = String.UnicodeScalarView()
        for id in tokenIDs where id >= 0 && id < scalars.count { view.append(scalars[id]) }
        return String(view)
    }

    /// The vocabulary as one string, as stored in checkpoints.
    public var vocabularyString: String { decode(Array(scalars.indices)) }
}

/// A character the tokenizer has no id for.
public struct UnknownCharacter: Error, Equatable, CustomStringConvertible {
    public let character: Character
    /// Position in the text, counting characters (Unicode scalars) from 0.
    public let offset: Int

    public var description: String {
        let scalars = character.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true) }.joined(separator: " ")
        return "character '\(character)' (\(scalars)) at position \(offset) is not in the model's vocabulary"
    }
}
