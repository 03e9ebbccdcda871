@testable import GPT
import Testing

// The tokenizer (characters to ids and back) and the documents training reads: BOS, the message,
// " -> ", the label, BOS, and how a line longer than the block loses its start but keeps its label.

@Suite struct TokenizerTests {
    let tokenizer = Tokenizer(characters: Array("abc ->INFO"))

    @Test func idsFollowTheGivenOrderAndBOSIsTheLastID() {
        #expect(tokenizer.characters == Array("abc ->INFO"))
        #expect(tokenizer.vocabSize == 11)
        #expect(tokenizer.bos == 10)
        #expect(tokenizer.bos == tokenizer.vocabSize - 1)
        #expect(tokenizer.id(of: "a") == 0)
        #expect(tokenizer.id(of: "O") == 9)
        #expect(tokenizer.id(of: "z") == nil)
    }

    @Test func repeatedCharactersKeepTheirFirstPlace() {
        let repeated = Tokenizer(characters: Array("abab c"))
        #expect(repeated.characters == Array("ab c"))
        #expect(repeated.vocabSize == 5)
        #expect(repeated.vocabularyString == "ab c")
    }

    @Test func encodeThenDecodeGivesTheTextBack() throws {
        let text = "cab -> INFO"
        let ids = try tokenizer.encode(text).get()
        #expect(ids == [2, 0, 1, 3, 4, 5, 3, 6, 7, 8, 9])
        #expect(tokenizer.decode(ids) == text)
        #expect(try tokenizer.encode("").get() == [])
    }

    @Test func decodeLeavesOutBOSAndIDsOutOfRange() {
        #expect(tokenizer.decode([tokenizer.bos, 0, 1, tokenizer.bos]) == "ab")
        #expect(tokenizer.decode([-1, 2, 99]) == "c")
    }

    @Test func anUnknownCharacterIsReportedWithItsPosition() {
        let result = tokenizer.encode("ab\u{e9}c")
        #expect(throws: UnknownCharacter(character: "\u{e9}", offset: 2)) { try result.get() }
        let description = UnknownCharacter(character: "\u{e9}", offset: 2).description
        #expect(description.contains("position 2"))
        #expect(description.contains("U+E9"))
    }

    @Test func positionsCountCharactersNotBytes() {
        // "\u{e9}" is two bytes of UTF-8 but one character: 'z' is character 3.
        let wide = Tokenizer(characters: Array("a\u{e9}"))
        #expect(throws: UnknownCharacter(character: "z", offset: 3)) { try wide.encode("\u{e9}a\u{e9}z").get() }
    }

    @Test func encodeKnownLeavesOutUnknownCharactersAndNamesThem() {
        let (ids, unknown) = tokenizer.encodeKnown("a?b!a")
        #expect(ids == [0, 1, 0])
        #expect(unknown == ["?", "!"])
    }
}

extension TokenizerTests {
    @Suite struct DocumentTests {
        let tokenizer = Tokenizer(characters: Array("abc ->INFOWARNGE"))

        private func ids(_ text: String) -> [Int] { try! tokenizer.encode(text).get() }

        @Test func aShortLineIsBOSMessageSeparatorLabelBOS() throws {
            let document = try #require(Document(message: "cab", label: "INFO", tokenizer: tokenizer, blockSize: 32))
            let bos = tokenizer.bos
            #expect(document.tokens == [bos] + ids("cab -> ") + ids("INFO") + [bos])
            #expect(document.labelStart == 1 + "cab -> ".count)
            #expect(document.tokens[document.labelStart] == tokenizer.id(of: "I"))
            #expect(document.truncatedCharacters == 0)
            #expect(document.positions == document.tokens.count - 1)
            #expect(LogExample.separator == " -> ")
        }

        @Test func aPromptThatFitsItsRoomIsNotCut() throws {
            // BOS + "ab -> " is 7 tokens: exactly the room a block of 14 leaves beside the longest
            // label (14 - 7), so nothing is cut: 7 + "ERROR" (5) + BOS = 13 tokens.
            let document = try #require(Document(message: "ab", label: "ERROR", tokenizer: tokenizer, blockSize: 14))
            #expect(document.tokens.count == 13)
            #expect(document.truncatedCharacters == 0)
            #expect(document.labelStart == 7)
        }

        @Test func aLongLineKeepsItsStartAndTheSeparator() throws {
            let message = String(repeating: "abc", count: 20)  // 60 characters
            let blockSize = 16
            let document = try #require(Document(message: message, label: "WARNING", tokenizer: tokenizer, blockSize: blockSize))
            // Room for the prompt: 16 - 7 (longest label) = 9 = BOS + 4 message characters + " -> ".
            let expected = [tokenizer.bos] + ids("abca") + ids(" -> ") + ids("WARNING") + [tokenizer.bos]
            #expect(document.tokens == expected)
            #expect(document.tokens.count == blockSize + 1)
            #expect(document.truncatedCharacters == 56)
            // The label and the final BOS survive whole; labelStart points at the label's first character.
            #expect(Array(document.tokens[document.labelStart...]) == ids("WARNING") + [tokenizer.bos])
            #expect(document.labelStart == blockSize - "WARNING".count)
        }

        @Test func theSmallestBlockStillHoldsTheLongestLabel() throws {
            let document = try #require(Document(message: "abcabc", label: "WARNING", tokenizer: tokenizer, blockSize: 8))
            #expect(document.tokens.count == 9)
            #expect(document.labelStart == 1)
            #expect(Array(document.tokens[1...]) == ids("WARNING") + [tokenizer.bos])
        }

        @Test func aCharacterOutsideTheVocabularyGivesNoDocument() {
            #expect(Document(message: "abz", label: "INFO", tokenizer: tokenizer, blockSize: 32) == nil)
            #expect(Document(message: "ab", label: "DEBUG", tokenizer: tokenizer, blockSize: 32) == nil)
        }
    }
}
