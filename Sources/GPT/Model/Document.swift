// A log line as the model sees it in training: [BOS] + "<message> -> " + "<LABEL>" + [BOS].
// Lines longer than the block keep the end of the message, next to the label, and lose its start.
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
        guard case .success(let prompt) = tokenizer.encode(message + LogExample.separator),
              case .success(let labelIDs) = tokenizer.encode(label) else { return nil }
        let kept = Document.keepEnd(of: [tokenizer.bos] + prompt, blockSize: blockSize)
        tokens = kept + labelIDs + [tokenizer.bos]
        labelStart = kept.count
        truncatedCharacters = prompt.count + 1 - kept.count
    }

    /// The longest label's length: the room every prompt leaves in the block for the label.
    static let labelRoom = LogLabel.allCases.map(\.rawValue.count).max() ?? 0

    /// The end of a prompt ([BOS] + "<message> -> "), cut to leave room in the block for the
    /// longest label. Training and classification cut the same way, so a long line's label sits
    /// at the same position whichever label it is, and its position gives nothing away.
    static func keepEnd(of prompt: [Int], blockSize: Int) -> [Int] {
        Array(prompt.suffix(max(1, blockSize - labelRoom)))
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
        var terms: [NodeID] = []
        terms.reserveCapacity(document.positions)
        var totalWeight = 0.0
        for position in 0..<document.positions {
            let weight = position + 1 >= document.labelStart ? 1 : messageWeight
            // A target that weighs nothing needs no logits: only the keys and values later positions read.
            guard let logits = forward(token: document.tokens[position], position: position, cache: &cache,
                                       needLogits: weight > 0) else { continue }
            let target = document.tokens[position + 1]
            let term = tape.crossEntropy(logits, target: target)
            terms.append(weight == 1 ? term : tape.mul(term, constant: weight))
            totalWeight += weight
        }
        return tape.mul(tape.sum(terms), constant: 1 / totalWeight)
    }
    // endregion
}
