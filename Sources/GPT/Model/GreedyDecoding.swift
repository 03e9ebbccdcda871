// Greedy decoding: after a prompt, always write the likeliest next token. The original project's
// way to read a label off the model, and the lessons' way to show what a model has learned to
// write. One decoder for both, so they stop at the same place and read the same prompt.
import Autograd

/// What greedy decoding wrote after a prompt.
public struct GreedyContinuation: Sendable, Equatable {
    /// The tokens written, in order, without the stop token.
    public let tokens: [Int]
    /// The logits after the prompt, from which the first token was chosen (V).
    public let firstLogits: [Double]
}

extension GPT {
    /// Runs `prompt` at positions 0, 1, ..., then appends the likeliest next token until that token
    /// is `stop`, `maxTokens` tokens are written, or prompt and tokens fill the block. Inference
    /// mode; leaves the tape as it found it. `prompt` must be non-empty and fit the block.
    public func greedyContinuation(of prompt: [Int], maxTokens: Int, stop: Int) -> GreedyContinuation {
        let mark = tape.mark()
        defer { tape.truncate(to: mark) }
        return tape.withoutRecording {
            var cache = KVCache(layers: config.nLayer)
            var logits: Vector? = nil
            for (position, token) in prompt.enumerated() {
                logits = forward(token: token, position: position, cache: &cache, needLogits: position == prompt.count - 1)
            }
            let firstLogits = logits.map { tape.data($0) } ?? []
            var current = firstLogits
            var tokens: [Int] = []
            while !current.isEmpty, tokens.count < maxTokens, prompt.count + tokens.count < config.blockSize {
                let next = current.indices.max { current[$0] < current[$1] }!
                if next == stop { break }
                tokens.append(next)
                guard tokens.count < maxTokens, prompt.count + tokens.count < config.blockSize else { break }
                current = tape.data(forward(token: next, position: prompt.count + tokens.count - 1, cache: &cache)!)
            }
            return GreedyContinuation(tokens: tokens, firstLogits: firstLogits)
        }
    }
}
