// JSON lines: one object a line, its level and its message in fields whose names vary by logger
// (`level` in pino, zap and logrus, `severity` in Google Cloud, `levelname` in python-json-logger,
// `@l` and `@m` in Serilog's compact JSON, `log.level` in Elastic's). The first field present is
// used; a dotted name also reaches into nested objects (`{"log": {"level": "warn"}}`). Everything
// else in the object (the time, the host, the ids) is left out of the example.
import Foundation

/// Which fields of a JSON line hold the level and the message, tried in order.
public struct JSONKeys: Sendable, Equatable {
    public var level: [String]
    public var message: [String]

    public init(level: [String], message: [String]) {
        self.level = level
        self.message = message
    }

    /// The field names of the common JSON loggers.
    public static let standard = JSONKeys(
        level: ["level", "severity", "lvl", "loglevel", "log_level", "levelname", "log.level", "@l"],
        message: ["message", "msg", "@m", "event", "text"]
    )

    /// The level and message of `line`, or nil when it is not a JSON object with both. A number as
    /// the level is bunyan's and pino's scale (10 TRACE to 60 FATAL).
    func read(_ line: String) -> ParsedLine? {
        guard line.utf8.first(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) == UInt8(ascii: "{"),
              let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { return nil }
        guard let levelValue = level.lazy.compactMap({ Self.value(at: $0, in: object) }).first,
              let messageValue = message.lazy.compactMap({ Self.value(at: $0, in: object) }).first else { return nil }
        let levelName: String
        switch levelValue {
        case let text as String: levelName = text
        case let number as NSNumber:
            levelName = LevelTable.jsonLevelNumbers[number.intValue] ?? number.stringValue
        default: return nil
        }
        switch messageValue {
        case let text as String: return ParsedLine(level: levelName, message: text)
        case let number as NSNumber: return ParsedLine(level: levelName, message: number.stringValue)
        default: return nil
        }
    }

    /// The value of field `key` of `object`; a dotted key is looked up whole first, then as a path.
    private static func value(at key: String, in object: [String: Any]) -> Any? {
        if let found = object[key], !(found is NSNull) { return found }
        let path = key.split(separator: ".")
        guard path.count > 1 else { return nil }
        var current: Any = object
        for name in path {
            guard let inner = (current as? [String: Any])?[String(name)] else { return nil }
            current = inner
        }
        return current is NSNull ? nil : current
    }
}
