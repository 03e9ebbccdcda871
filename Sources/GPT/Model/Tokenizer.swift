// Characters to token ids and back. The vocabulary is every character of the training data in a
// fixed order; one extra id, BOS (beginning/end of sequence), marks where a document starts and ends.

/// A character-level tokenizer: one id per character, plus BOS as the last id.
public struct Tokenizer: Sendable, Equatable {
    /// The characters in id order: character i has id i.
    public let characters: [Character]
    private let ids: [Character: Int]

    /// The BOS token's id: one past the last character.
    public var bos: Int { characters.count }
    /// Number of ids, BOS included.
    public var vocabSize: Int { characters.count + 1 }

    /// A tokenizer over `characters`, deduplicated and kept in the given order.
    public init(characters: [Character]) {
        var seen = Set<Character>()
        self.characters = characters.filter { seen.insert($0).inserted }
        self.ids = Dictionary(uniqueKeysWithValues: self.characters.enumerated().map { ($1, $0) })
    }

    /// The id of a character, or nil when it is not in the vocabulary.
    public func id(of character: Character) -> Int? { ids[character] }

    /// Ids of the characters of `text`, or the first character the vocabulary lacks.
    public func encode(_ text: String) -> Result<[Int], UnknownCharacter> {
        var result: [Int] = []
        result.reserveCapacity(text.count)
        for (offset, character) in text.enumerated() {
            guard let id = ids[character] else { return .failure(UnknownCharacter(character: character, offset: offset)) }
            result.append(id)
        }
        return .success(result)
    }

    /// Ids of the characters of `text`, leaving out characters the vocabulary lacks.
    public func encodeKnown(_ text: String) -> (ids: [Int], unknown: Set<Character>) {
        var result: [Int] = []
        var unknown = Set<Character>()
        for character in text {
            if let id = ids[character] { result.append(id) } else { unknown.insert(character) }
        }
        return (result, unknown)
    }

    /// The text of some ids; BOS becomes nothing.
    public func decode(_ tokenIDs: [Int]) -> String {
        String(tokenIDs.compactMap { $0 >= 0 && $0 < characters.count ? characters[$0] : nil })
    }

    /// The vocabulary as one string, as stored in checkpoints.
    public var vocabularyString: String { String(characters) }
}

/// A character the tokenizer has no id for.
public struct UnknownCharacter: Error, Equatable, CustomStringConvertible {
    public let character: Character
    /// Position in the text, counting characters from 0.
    public let offset: Int

    public var description: String {
        let scalars = character.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true) }.joined(separator: " ")
        return "character '\(character)' (\(scalars)) at position \(offset) is not in the model's vocabulary"
    }
}
