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
        if !(initStd > 0 && initStd.isFinite) { found.append("the initial standard deviation must be positive and finite") }
        found += limitProblems
        return found
    }
}

// MARK: - Upper bounds

// How large a model may be. Training records every scalar of a step as one node on the tape: about
// 37 bytes each (an op byte, three 32-bit operands, a constant, a value and a gradient), with 32-bit
// node ids, so a tape can never pass 2^31 nodes. The weights are the first nodes, and a step on a
// line that fills the block records the rest. The bounds below are far above any sensible shape for
// log lines (the default model is 32 wide, 2 layers deep, with a block of 96), and together they
// keep the tape under `maxTapeNodes`, which fits in the memory of an ordinary machine. The same
// bounds apply to a model read from a file, so its metadata cannot ask for more.
extension GPTConfig {
    /// Widest residual stream: 12 * 2048^2 = 50M weights per layer already.
    public static let maxNEmbd = 2048
    /// Most attention heads; each head scores every earlier position at every position.
    public static let maxNHead = 64
    /// Deepest stack of blocks.
    public static let maxNLayer = 256
    /// Longest context: attention's nodes grow with its square.
    public static let maxBlockSize = 4096
    /// Most nodes the weights and one training step on a full block may put on the tape: 2^26,
    /// about 2.5 GB, some 290 times what the default model needs (229,890).
    public static let maxTapeNodes = 1 << 26

    /// An upper estimate of the nodes the weights and one training step on a line that fills the
    /// block put on the tape; a test holds it against the real tape. Per position t (1...blockSize):
    /// the embedding add and rmsnorm (2C), the logits (V) and the loss terms (3), and per layer
    /// 18C (rmsnorms, q, k, v, the heads' outputs, wo, the MLP's 4C + 4C + C, two residual adds)
    /// plus 2·H·t (every head's scores and softmax over the t positions so far).
    /// Never traps: a count too large for Int is `Int.max`.
    public var trainingTapeNodes: Int {
        let (v, c, h, l, b) = (max(0, vocabSize), max(0, nEmbd), max(0, nHead), max(0, nLayer), max(0, blockSize))
        let perPosition = saturatingSum(v, saturatingProduct(2, c), 3, saturatingProduct(l, 18, c))
        let attention = saturatingProduct(l, h, b, saturatingSum(b, 1))  // the sum over t of 2·H·t, per layer
        return saturatingSum(parameterCount, saturatingProduct(b, perPosition), attention, 2)
    }

    /// The number of weights, `GPT.parameterCount(self)`, computed without trapping: `Int.max`
    /// when it does not fit. For checking untrusted sizes before anything is allocated.
    public var parameterCount: Int {
        let (v, c, b, l) = (max(0, vocabSize), max(0, nEmbd), max(0, blockSize), max(0, nLayer))
        // wte and lm_head, wpe, and per layer four [C, C] attention matrices and the MLP's 8C^2.
        return saturatingSum(saturatingProduct(2, v, c), saturatingProduct(b, c), saturatingProduct(l, 12, c, c))
    }

    /// What is too large about the config, in words; empty when it is within every bound.
    var limitProblems: [String] {
        var found: [String] = []
        func check(_ name: String, _ value: Int, _ limit: Int) {
            if value > limit { found.append("\(name) is \(value); it must be at most \(limit)") }
        }
        check("n_embd", nEmbd, Self.maxNEmbd)
        check("n_head", nHead, Self.maxNHead)
        check("n_layer", nLayer, Self.maxNLayer)
        check("block_size", blockSize, Self.maxBlockSize)
        if found.isEmpty && trainingTapeNodes > Self.maxTapeNodes {
            found.append("a model of n_embd \(nEmbd), n_head \(nHead), n_layer \(nLayer), block_size \(blockSize) and "
                         + "\(vocabSize) tokens needs about \(trainingTapeNodes) tape nodes for its weights and one training "
                         + "step, more than the limit of \(Self.maxTapeNodes) (about 2.5 GB); make it narrower, shallower "
                         + "or give it a shorter block")
        }
        return found
    }
}

/// The product of non-negative sizes, or `Int.max` when it does not fit in an Int: sizes computed
/// from untrusted numbers can then be compared with a limit without trapping.
func saturatingProduct(_ factors: Int...) -> Int {
    var product = 1
    for factor in factors {
        let (next, overflow) = product.multipliedReportingOverflow(by: factor)
        if overflow { return .max }
        product = next
    }
    return product
}

/// The sum of non-negative sizes, or `Int.max` when it does not fit in an Int.
func saturatingSum(_ terms: Int...) -> Int {
    var sum = 0
    for term in terms {
        let (next, overflow) = sum.addingReportingOverflow(term)
        if overflow { return .max }
        sum = next
    }
    return sum
}
