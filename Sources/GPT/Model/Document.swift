// A log line as the model sees it in training: [BOS] + "<message> -> " + "<LABEL>" + [BOS].
// Lines longer than the block keep their end, where the label is, and lose the start of the message.
import Autograd

/// The token ids of one training line, and where its label begins.
public struct Document: Sendable, Equatable {
    /// Token ids, at most blockSize + 1 of them (each position predicts the next token).
    public let tokens: [Int]
    /// Index in `tokens` of the label's first character: targets from here on are the label and the final BOS.
    public let labelStart: Int
    /// How many characters were cut from the start because the line was longer than the block.
    public let truncatedCharacters: Int

    /// The separator between a message and its label, as in the dataset files.
    public static let separator = " -> "

    /// Builds the document of `message` with `label`, or nil when a character is not in the vocabulary.
    public init?(message: String, label: String, tokenizer: Tokenizer, blockSize: Int) {
        guard case .success(let prompt) = tokenizer.encode(message + Document.separator),
              case .success(let labelIDs) = tokenizer.encode(label) else { return nil }
        let full = [tokenizer.bos] + prompt + labelIDs + [tokenizer.bos]
        let cut = max(0, full.count - (blockSize + 1))
        tokens = Array(full[cut...])
        labelStart = 1 + prompt.count - cut
        truncatedCharacters = cut
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
