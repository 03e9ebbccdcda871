import Foundation

// Reads and writes the safetensors format (huggingface/safetensors), the one PyTorch, NumPy and
// the Hugging Face hub share. Generic: it knows names, shapes and numbers, never a model.
//
//   8 bytes    N, a little-endian UInt64: the header's length in bytes
//   N bytes    UTF-8 JSON object, padded with trailing spaces:
//                {"__metadata__": {"key": "value"},
//                 "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...}
//   the rest   the byte buffer; offsets count from its first byte; values little-endian, row-major
//
// A file comes from outside, so decoding checks every number before using it: the header length
// against the file, each shape and range against its dtype (with overflow checks), the ranges
// against each other and against the buffer. A bad file is a CheckpointError, never a trap.

/// How values are stored in the file. Values are `Double` in memory either way.
public enum TensorDType: String, Sendable {
    case float32 = "F32"
    case float64 = "F64"

    /// Bytes per value.
    var byteCount: Int {
        switch self {
        case .float32: 4
        case .float64: 8
        }
    }
}

/// One tensor: a shape and its values in row-major order (the last index varies fastest).
public struct NamedTensor: Sendable, Equatable {
    /// Size of each dimension, outermost first; `[]` is a scalar holding one value.
    public var shape: [Int]
    /// `shape.reduce(1, *)` values, row-major.
    public var values: [Double]

    public init(shape: [Int], values: [Double]) {
        self.shape = shape
        self.values = values
    }
}

/// The contents of one safetensors file: named tensors and free-form string metadata.
public struct SafetensorsFile: Sendable, Equatable {
    /// The tensors by name. `__metadata__` is reserved by the format and cannot name a tensor.
    public var tensors: [String: NamedTensor]
    /// The header's `__metadata__` map; empty when the file has none.
    public var metadata: [String: String]

    public init(tensors: [String: NamedTensor], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The file's bytes, with every value stored as `dtype` (`Float(value)` rounds to nearest).
    ///
    /// Deterministic: metadata first, then tensors in name order (by UTF-8 bytes), so the same
    /// tensors always give the same bytes. The header is padded with spaces to a multiple of
    /// 8 bytes, which keeps every tensor aligned for readers that map the file.
    ///
    /// - Precondition: every tensor's shape has no negative size and matches its value count,
    ///   and no tensor is named `__metadata__`.
    public func encoded(as dtype: TensorDType) -> [UInt8] {
        let names = tensors.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var entries: [String] = []
        if !metadata.isEmpty {
            entries.append(jsonString(metadataKey) + ":" + jsonObject(metadata))
        }
        var data: [UInt8] = []
        data.reserveCapacity(tensors.values.reduce(0) { $0 + $1.values.count } * dtype.byteCount)
        for name in names {
            let tensor = tensors[name]!
            precondition(name != metadataKey, "a tensor cannot be named \(metadataKey)")
            precondition(tensor.shape.allSatisfy { $0 >= 0 } && tensor.shape.reduce(1, *) == tensor.values.count,
                         "tensor \"\(name)\" has \(tensor.values.count) values but shape \(tensor.shape)")
            let begin = data.count
            append(tensor.values, as: dtype, to: &data)
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append(jsonString(name) + ":{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[\(shape)],"
                           + "\"data_offsets\":[\(begin),\(data.count)]}")
        }
        var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))

        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + data.count)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header)
        bytes.append(contentsOf: data)
        return bytes
    }

    /// Parses a whole safetensors file held in memory. F32 and F64 tensors are read; any other
    /// dtype is an error. `source` names the bytes (usually a path) in errors.
    ///
    /// - Throws: `CheckpointError` saying what is wrong, for any malformed input.
    public static func decode(_ bytes: [UInt8], source: String) throws -> SafetensorsFile {
        let fail = { (reason: String, hint: String?) in CheckpointError(path: source, reason: reason, hint: hint) }
        guard bytes.count >= 8 else {
            throw fail("truncated: the file has \(bytes.count) bytes, fewer than the 8-byte header length",
                       "the file was cut short, or is not a safetensors file")
        }
        let headerLength = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw fail("truncated: the header length is \(headerLength) bytes "
                       + "but only \(bytes.count - 8) bytes follow it",
                       "the file was cut short, or its first 8 bytes are not a little-endian header length")
        }
        let dataStart = 8 + Int(headerLength)
        let header = try HeaderParser(source: source).parse(bytes[8..<dataStart])
        let bufferCount = bytes.count - dataStart
        try checkLayout(header.entries, bufferCount: bufferCount, fail: fail)

        var tensors: [String: NamedTensor] = [:]
        bytes.withUnsafeBytes { file in
            for entry in header.entries {
                let values = readValues(file, at: dataStart + entry.begin, count: entry.count, as: entry.dtype)
                tensors[entry.name] = NamedTensor(shape: entry.shape, values: values)
            }
        }
        return SafetensorsFile(tensors: tensors, metadata: header.metadata)
    }

    /// Reads and decodes the safetensors file at `path` (a named pipe or a process substitution
    /// too: it is read once, to its end).
    ///
    /// - Throws: `CheckpointError` if the file does not exist, cannot be read, is larger than
    ///   `maxFileBytes`, or is malformed.
    public static func read(path: String) throws -> SafetensorsFile {
        let input: InputBytes
        do {
            input = try InputBytes.read(path: path, limit: maxFileBytes)
        } catch {
            switch error.kind {
            case .missing:
                let directory = FileManager.default.currentDirectoryPath
                throw CheckpointError(path: path, reason: "the file does not exist",
                                      hint: "check the path (relative paths start at \(directory))", fileIsMissing: true)
            case .directory:
                throw CheckpointError(path: path, reason: "is a directory, not a safetensors file", hint: nil)
            case .tooLarge:
                throw CheckpointError(path: path, reason: "the file is larger than \(maxFileBytes) bytes, more than any model holds",
                                      hint: "pass a model written by `gpt train`")
            case .other:
                throw CheckpointError(path: path, reason: "cannot read the file: \(error.reason)", hint: nil)
            }
        }
        return try decode([UInt8](input.buffer), source: path)
    }

    /// The largest file `read` accepts: 1 GiB, twice the float64 weights of the largest model
    /// GPTConfig's bounds allow (2^26 tape nodes), so junk such as /dev/zero cannot fill the memory.
    public static let maxFileBytes = 1 << 30

    /// Writes `encoded(as: dtype)` to `path` atomically (see `AtomicFile`): a reader sees the old
    /// file or the new one, never half of one. `inputs` are files the caller read, which `path`
    /// must not be.
    ///
    /// - Throws: `CheckpointError` if the file cannot be written.
    public func write(to path: String, as dtype: TensorDType, inputs: [AtomicFile.Input] = []) throws {
        try AtomicFile.write(encoded(as: dtype), to: path, inputs: inputs)
    }
}

/// A file that could not be read, decoded or written: which file, what went wrong, and what to try.
public struct CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The file (or the name given to bytes being decoded).
    public let path: String
    /// What went wrong, with the numbers involved.
    public let reason: String
    /// What to try, when there is something to say.
    public let hint: String?
    /// True when there is no file at `path` at all, so a caller can say something better
    /// (such as "train a model first") without reading the message.
    public let fileIsMissing: Bool

    public init(path: String, reason: String, hint: String? = nil, fileIsMissing: Bool = false) {
        self.path = path
        self.reason = reason
        self.hint = hint
        self.fileIsMissing = fileIsMissing
    }

    public var description: String {
        guard let hint else { return "\(path): \(reason)" }
        return "\(path): \(reason)\nHINT: \(hint)"
    }
}

// MARK: - Writing

/// The header key the format reserves for the string-to-string metadata map.
private let metadataKey = "__metadata__"

private func append(_ values: [Double], as dtype: TensorDType, to data: inout [UInt8]) {
    switch dtype {
    case .float32:
        for value in values {
            withUnsafeBytes(of: Float(value).bitPattern.littleEndian) { data.append(contentsOf: $0) }
        }
    case .float64:
        for value in values {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
        }
    }
}

/// `{"key":"value",...}` with keys in UTF-8 byte order.
private func jsonObject(_ map: [String: String]) -> String {
    let keys = map.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    return "{" + keys.map { jsonString($0) + ":" + jsonString(map[$0]!) }.joined(separator: ",") + "}"
}

/// A JSON string literal (RFC 8259): quote, backslash and control characters escaped, every
/// other character written as itself in UTF-8.
private func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case "\u{00}"..."\u{1F}":
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

// MARK: - Reading

/// One tensor's header entry, checked on its own: known dtype, sane shape, range size matching.
private struct HeaderEntry {
    var name: String
    var dtype: TensorDType
    var shape: [Int]
    var count: Int  // values: product of shape
    var begin: Int  // byte range in the data buffer
    var end: Int
}

private struct Header {
    var entries: [HeaderEntry]
    var metadata: [String: String]
}

/// Turns the header's JSON into checked entries. Offsets are checked against each other and the
/// buffer afterwards, by `checkLayout`.
private struct HeaderParser {
    let source: String

    func parse(_ bytes: ArraySlice<UInt8>) throws -> Header {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw error("the header is not valid UTF-8", hint: "the file is damaged or not a safetensors file")
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            throw self.error("the header is not valid JSON: \(detail)",
                             hint: "the file is damaged or not a safetensors file")
        }
        guard let object = json as? [String: Any] else {
            throw error("the header is not a JSON object (found \(jsonKind(json)))", hint: nil)
        }
        var entries: [HeaderEntry] = []
        var metadata: [String: String] = [:]
        // In name order, so that a header with several faults always reports the same one.
        for name in object.keys.sorted() {
            if name == metadataKey {
                metadata = try parseMetadata(object[name]!)
            } else {
                entries.append(try parseEntry(name, object[name]!))
            }
        }
        return Header(entries: entries, metadata: metadata)
    }

    private func parseMetadata(_ value: Any) throws -> [String: String] {
        guard let object = value as? [String: Any] else {
            throw error("\"\(metadataKey)\" is \(jsonKind(value)), expected an object of strings", hint: nil)
        }
        var metadata: [String: String] = [:]
        for key in object.keys.sorted() {
            let item = object[key]!
            guard let text = item as? String else {
                throw error("metadata \"\(key)\" is \(jsonKind(item)), expected a string",
                            hint: "the format allows only string values in \(metadataKey)")
            }
            metadata[key] = text
        }
        return metadata
    }

    private func parseEntry(_ name: String, _ value: Any) throws -> HeaderEntry {
        let fail = { (reason: String, hint: String?) in error("tensor \"\(name)\": " + reason, hint: hint) }
        guard let fields = value as? [String: Any] else {
            throw fail("the entry is \(jsonKind(value)), expected an object with dtype, shape and data_offsets", nil)
        }
        func field(_ key: String) throws -> Any {
            guard let item = fields[key] else { throw fail("missing \"\(key)\"", nil) }
            return item
        }
        let dtypeValue = try field("dtype")
        guard let dtypeName = dtypeValue as? String else {
            throw fail("\"dtype\" is \(jsonKind(dtypeValue)), expected a string such as \"F32\"", nil)
        }
        guard let dtype = TensorDType(rawValue: dtypeName) else {
            throw fail("unsupported dtype \"\(dtypeName)\"; this reader handles F32 and F64",
                       "save the tensors as float32 or float64 (in PyTorch, tensor.float() before saving)")
        }
        let shape = try integers(try field("shape"), key: "shape", fail: fail)
        let offsets = try integers(try field("data_offsets"), key: "data_offsets", fail: fail)
        guard offsets.count == 2 else {
            throw fail("\"data_offsets\" is \(offsets), expected two numbers [begin, end]", nil)
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end else {
            throw fail("\"data_offsets\" [\(begin), \(end)] end before they begin", nil)
        }
        var count = 1
        for size in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { throw fail("shape \(shape) has too many values to count", nil) }
            count = product
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteCount)
        guard !overflow, byteCount == end - begin else {
            throw fail("\"data_offsets\" [\(begin), \(end)] hold \(end - begin) bytes, but shape \(shape) of "
                       + "\(dtype.rawValue) needs \(count) values x \(dtype.byteCount) bytes", nil)
        }
        return HeaderEntry(name: name, dtype: dtype, shape: shape, count: count, begin: begin, end: end)
    }

    /// A JSON array of non-negative integers. Only numbers written as integers: `2.0`, `1e3` and
    /// `true` are refused, as the reference implementation refuses them.
    private func integers(_ value: Any, key: String, fail: (String, String?) -> CheckpointError) throws -> [Int] {
        guard let items = value as? [Any] else {
            throw fail("\"\(key)\" is \(jsonKind(value)), expected an array of non-negative integers", nil)
        }
        return try items.enumerated().map { index, item in
            let position = "\"\(key)\"[\(index)]"
            guard let number = item as? NSNumber, !isBoolean(number) else {
                throw fail("\(position) is \(jsonKind(item)), expected a non-negative integer", nil)
            }
            guard integerTypes.contains(String(cString: number.objCType)) else {
                throw fail("\(position) is \(number), not an integer", "write integers without a fraction or exponent")
            }
            guard let integer = item as? Int, integer >= 0 else {
                throw fail("\(position) is \(number), expected a non-negative integer no larger than \(Int.max)", nil)
            }
            return integer
        }
    }

    private func error(_ reason: String, hint: String?) -> CheckpointError {
        CheckpointError(path: source, reason: reason, hint: hint)
    }
}

/// NSNumber type codes of numbers written without a fraction or exponent.
private let integerTypes: Set<String> = ["s", "i", "l", "q", "S", "I", "L", "Q"]

/// JSONSerialization gives `true` and `false` as NSNumbers whose type code is `c`.
private func isBoolean(_ number: NSNumber) -> Bool {
    String(cString: number.objCType) == "c"
}

private func jsonKind(_ value: Any) -> String {
    switch value {
    case is String: "a string"
    case is [Any]: "an array"
    case is [String: Any]: "an object"
    case is NSNull: "null"
    case let number as NSNumber where isBoolean(number): "a boolean"
    case is NSNumber: "a number"
    default: "\(type(of: value))"
    }
}

/// The format asks the ranges to tile the buffer: sorted by where they begin, each starts where
/// the one before ended, the first at 0 and the last at the buffer's end. So no tensor can read
/// past the file, two tensors never share bytes, and no bytes hide between them.
private func checkLayout(_ entries: [HeaderEntry], bufferCount: Int,
                         fail: (String, String?) -> CheckpointError) throws {
    let sorted = entries.sorted { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
    var covered = 0
    var previous: HeaderEntry?
    for entry in sorted {
        if entry.begin < covered, let previous {
            throw fail("tensors \"\(previous.name)\" (bytes \(previous.begin)..<\(previous.end)) and "
                       + "\"\(entry.name)\" (bytes \(entry.begin)..<\(entry.end)) overlap", nil)
        }
        if entry.begin > covered {
            throw fail("bytes \(covered)..<\(entry.begin) of the data buffer belong to no tensor "
                       + "(a gap before \"\(entry.name)\")", nil)
        }
        covered = entry.end
        previous = entry
    }
    if covered > bufferCount, let previous {
        throw fail("truncated: tensor \"\(previous.name)\" ends at byte \(covered) of the data buffer, "
                   + "which has only \(bufferCount) bytes", "the file was cut short; write it again")
    }
    if covered < bufferCount {
        throw fail("the data buffer has \(bufferCount) bytes but the tensors cover only \(covered)", nil)
    }
}

/// `count` values starting at byte `offset` of `file`, which `checkLayout` has proven in range.
private func readValues(_ file: UnsafeRawBufferPointer, at offset: Int, count: Int, as dtype: TensorDType) -> [Double] {
    switch dtype {
    case .float32:
        (0..<count).map { index in
            let bits = file.loadUnaligned(fromByteOffset: offset + index * 4, as: UInt32.self)
            return Double(Float(bitPattern: UInt32(littleEndian: bits)))
        }
    case .float64:
        (0..<count).map { index in
            let bits = file.loadUnaligned(fromByteOffset: offset + index * 8, as: UInt64.self)
            return Double(bitPattern: UInt64(littleEndian: bits))
        }
    }
}
