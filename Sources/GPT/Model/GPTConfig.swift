// The shape of a model. Every field has a default and a reason; the CLI can set each one.

/// Hyperparameters that fix the model's shape (and so the checkpoint's tensors).
public struct GPTConfig: Sendable, Equatable, Codable {
    /// Number of token ids: the dataset's characters plus one BOS token.
    public var vocabSize: Int
    /// Width of every vector in the residual stream. 24 is the original's: small, but enough for logs.
    public var nEmbd: Int = 24
    /// Attention heads; each looks at nEmbd / nHead dimensions.
    public var nHead: Int = 4
    /// Transformer blocks (attention + MLP) stacked.
    public var nLayer: Int = 1
    /// Longest context in tokens. 96 holds a whole generated log line with its label and both BOS
    /// tokens (the original's 32 cut most lines before the label); longer lines keep their start.
    public var blockSize: Int = 96
    /// Standard deviation of the Gaussian that initialises every weight.
    public var initStd: Double = 0.08

    public init(vocabSize: Int, nEmbd: Int = 24, nHead: Int = 4, nLayer: Int = 1, blockSize: Int = 96,
                initStd: Double = 0.08) {
        self.vocabSize = vocabSize
        self.nEmbd = nEmbd
        self.nHead = nHead
        self.nLayer = nLayer
        self.blockSize = blockSize
        self.initStd = initStd
    }

    /// Width of one attention head.
    public var headDim: Int { nEmbd / nHead }

    /// Problems with the config, in words a user can act on; empty when it is usable.
    public var problems: [String] {
        var found: [String] = []
        if vocabSize < 2 { found.append("the vocabulary has \(vocabSize) tokens; a model needs at least one character and BOS") }
        if nEmbd < 1 { found.append("n_embd is \(nEmbd); it must be at least 1") }
        if nHead < 1 { found.append("n_head is \(nHead); it must be at least 1") }
        if nHead >= 1 && nEmbd % nHead != 0 {
            found.append("n_embd \(nEmbd) is not divisible by n_head \(nHead); each head needs an equal share")
        }
        if nLayer < 1 { found.append("n_layer is \(nLayer); it must be at least 1") }
        if blockSize < 8 { found.append("block_size is \(blockSize); it must be at least 8 to hold a label") }
        if !(initStd > 0) { found.append("the initial standard deviation must be positive") }
        return found
    }
}
