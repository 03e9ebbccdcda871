// A log line as the model sees it in training: [BOS] + "<message> -> " + "<LABEL>" + [BOS].
// A line longer than the block keeps the start of its message and loses the end (see fitPrompt).
import Autograd

/// The token ids of one training line, and where its label begins.
public struct Document: Sendable, Equatable {
    /// Token ids, at most blockSize + 1 of them (each position predicts the next token).
    public let tokens: [Int]
    /// Index in `tokens` of the label's first character: targets from here on are the label and the final BOS.
    public let labelStart: Int
    /// How many characters were cut from the start because the line was longer than the block.
    public let truncatedCharacters: Int

    /// Builds the document of `message` with `label`, or nil when a character is not in the vocabulary.
    public init?(message: String, label: String, tokenizer: Tokenizer, blockSize: Int) {
        guard case .success(let messageIDs) = tokenizer.encode(message),
              case .success(let separatorIDs) = tokenizer.encode(LogExample.separator),
              case .success(let labelIDs) = tokenizer.encode(label) else { return nil }
        self.init(message: messageIDs, separator: separatorIDs, label: labelIDs, bos: tokenizer.bos, blockSize: blockSize)
    }

    /// The same document for text whose every character the tokenizer knows (a training line, with
    /// the vocabulary built from its dataset); a character it does not know would be left out.
    init(known message: String, label: String, tokenizer: Tokenizer, blockSize: Int) {
        self.init(message: tokenizer.encodeKnown(message).ids, separator: tokenizer.encodeKnown(LogExample.separator).ids,
                  label: tokenizer.encodeKnown(label).ids, bos: tokenizer.bos, blockSize: blockSize)
    }

    private init(message messageIDs: [Int], separator separatorIDs: [Int], label labelIDs: [Int], bos: Int, blockSize: Int) {
        let prompt = Document.fitPrompt(bos: bos, message: messageIDs, separator: separatorIDs, blockSize: blockSize)
        tokens = prompt + labelIDs + [bos]
        labelStart = prompt.count
        truncatedCharacters = 1 + messageIDs.count + separatorIDs.count - prompt.count
    }

    /// The longest label's length: the room every prompt leaves in the block for the label.
    static let labelRoom = LogLabel.allCases.map(\.rawValue.count).max() ?? 0

    /// The prompt [BOS] + message + " -> ", fitted into the block beside the longest label. A long
    /// message keeps its start, where a log line names its process and its event (its end is
    /// often ids, payloads or stack frames), and the separator is always kept, so the label comes
    /// right after it. Training and classification fit prompts the same way, so a long line's
    /// label always sits at the same position, whichever label it is.
    public static func fitPrompt(bos: Int, message: [Int], separator: [Int], blockSize: Int) -> [Int] {
        let room = max(1, blockSize - labelRoom)
        let prompt = [bos] + message.prefix(max(0, room - 1 - separator.count)) + separator
        return Array(prompt.suffix(room))  // only a block too small for the separator cuts more
    }

    /// Number of predictions the document trains: one per position.
    public var positions: Int { tokens.count - 1 }
}

extension GPT {
    // region: document-loss
    /// Records the loss of one document: the weighted mean cross-entropy of predicting each next
    /// token. Targets in the label (and the final BOS) weigh 1; targets in the message weigh
    /// `messageWeight`, so training can spend its effort on what classification needs.
    public func loss(of document: Document, messageWeight: Double = 1) -> NodeID {
        var cache = KVCache(layers: config.nLayer)
        // A target that weighs nothing needs no logits: only the keys and values later positions
        // read. Weights are 1 from the label on, so the positions with logits are a suffix.
        func weight(_ position: Int) -> Double { position + 1 >= document.labelStart ? 1 : messageWeight }
        let positions = document.positions
        let logitsFrom = (0..<positions).first { weight($0) > 0 } ?? positions
        // The logits of every position from logitsFrom on, one V-vector after another.
        let allLogits = forward(tokens: Array(document.tokens[..<positions]), cache: &cache, logitsFrom: logitsFrom)
        var terms: [NodeID] = []
        terms.reserveCapacity(positions - logitsFrom)
        var totalWeight = 0.0
        for position in logitsFrom..<positions {
            let logits = allLogits!.slice((position - logitsFrom) * config.vocabSize, config.vocabSize)
            let target = document.tokens[position + 1]
            let term = tape.crossEntropy(logits, target: target)
            let w = weight(position)
            terms.append(w == 1 ? term : tape.mul(term, constant: w))
            totalWeight += w
        }
        return tape.mul(tape.sum(terms), constant: 1 / totalWeight)
    }
    // endregion
}
