// A log line given as a step parameter, turned into the tokens the model reads.
import GPT

/// The tokens of a log line as the model sees it: BOS, the message, " -> " and the label when the
/// line has one (without the closing BOS, which nothing reads).
struct LogLineInput {
    let text: String
    let tokens: [Int]
    /// One label per token for tables and heatmaps: the character, or "BOS".
    let labels: [String]

    static let defaultLine = "auth-service on web-03: login failed for user 4411 -> ERROR"

    /// Tokenizes `parameter`'s text; characters outside the vocabulary are an error at that parameter.
    init(_ context: StepContext, parameter: String = "line", tokenizer: Tokenizer, blockSize: Int) throws(LessonError) {
        let text = context.text(parameter)
        let ids: [Int]
        switch tokenizer.encode(text) {
        case .success(let encoded): ids = encoded
        case .failure(let unknown):
            throw context.error(in: parameter, offset: unknown.offset, unknown.description,
                                hint: "use characters that appear in the dataset; the vocabulary is listed by `step tokenize`")
        }
        var tokens = [tokenizer.bos] + ids
        if tokens.count > blockSize { tokens = Array(tokens.suffix(blockSize)) }
        self.text = text
        self.tokens = tokens
        self.labels = tokens.map { $0 == tokenizer.bos ? "BOS" : tokenizer.decode([$0]) }
    }
}
