// The log formats `gpt import` reads without being told how: each is a few anchored patterns
// (LinePattern.swift), tried in order, or JSON lines (JSONLines.swift). What a pattern leaves out
// of `source` and `message` is left out of the example: the timestamp, the process and thread ids,
// the host, a request's ids, and the level itself.

/// A log format with a name, as `gpt import --format` spells it.
public enum LogFormat: String, CaseIterable, Sendable {
    case log4j, python, syslog, apache, logcat, cbs, openstack, json

    /// The format in a few words, with the variants read.
    public var summary: String {
        switch self {
        case .log4j: "log4j/logback-style Java logs (also Spring Boot, ZooKeeper, Spark, Hadoop and HDFS layouts)"
        case .python: "Python logging: 'LEVEL:name:message', 'time - name - LEVEL - message', Flask's '[time] LEVEL in module: message'"
        case .syslog: "syslog with a severity: RFC 5424 or RFC 3164 with a <PRI>, or 'facility.severity' after the time and host"
        case .apache: "Apache httpd error logs ('[time] [module:level] [pid N] ...') and nginx error logs ('time [level] pid#tid: ...')"
        case .logcat: "Android logcat: threadtime ('date time pid tid L tag: message'), time, brief ('L/tag(pid): message') and tag"
        case .cbs: "Windows CBS-style logs ('date time, Level Component message', also CSI and DISM)"
        case .openstack: "OpenStack/oslo logs ('date time pid LEVEL module [request ids] message'), maybe after a file name"
        case .json: "JSON lines: one object a line with a level field and a message field"
        }
    }

    /// A line in the format, for documentation and tests.
    public var example: String {
        switch self {
        case .log4j: "2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster"
        case .python: "2024-03-01 12:00:01,250 - billing.invoices - WARNING - invoice 7731 has no customer email"
        case .syslog: "<11>Mar  1 12:00:01 web-01 nginx[812]: upstream timed out"
        case .apache: "[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6"
        case .logcat: "03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogs"
        case .cbs: "2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505"
        case .openstack: "nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-38101a0b - - -] GET /v2/servers status: 200"
        case .json: #"{"time":"2024-03-01T12:00:01Z","level":"error","msg":"payment declined","user":4411}"#
        }
    }

    /// The regular expressions of a format read line by line; empty for JSON lines.
    var patterns: [String] {
        switch self {
        case .log4j: [
            // 2015-10-18 18:01:47,978 INFO [main] org.example.App: message (and ZooKeeper's "time - LEVEL [thread] - ",
            // Spring Boot's "time LEVEL pid --- [thread] logger : ")
            "^\\[?\(Self.timestamp)\\]?\\s+(?:-\\s+)?\(Self.levelWord)(?:\\s+\\d+\\s+---)?(?:\\s+\(Self.bracketed)){0,2}(?:\\s+-(?=\\s))?\\s*\(Self.rest)",
            // logback's default: time [thread] LEVEL logger - message
            "^\\[?\(Self.timestamp)\\]?\\s+\(Self.bracketed)\\s+\(Self.levelWord)(?:\\s+-(?=\\s))?\\s*\(Self.rest)",
            // HDFS: yyMMdd HHmmss pid LEVEL class: message
            "^\\d{6} \\d{6} \\d+ \(Self.levelWord)\\s*\(Self.rest)",
            // Level first: LEVEL time [thread] message
            "^\(Self.levelWord)\\s+\\[?\(Self.timestamp)\\]?(?:\\s+\(Self.bracketed))?\\s*\(Self.rest)",
        ]
        case .python: [
            // basicConfig's default: LEVEL:name:message
            "^(?<level>[A-Za-z]+):(?<source>[^\\s:]*):(?<message>.*)$",
            // time - name - LEVEL - message, time - LEVEL - message
            "^\\[?\(Self.timestamp)\\]?\\s*-\\s*(?:(?<source>[^\\s\\[\\]]+)\\s+-\\s+)?\\[?(?<level>[A-Za-z]+)\\]?\\s+-\\s+\(Self.rest)",
            // time:LEVEL:name:message
            "^\(Self.timestamp):(?<level>[A-Za-z]+):(?<source>[^\\s:]*):(?<message>.*)$",
            // Flask: [time] LEVEL in module: message
            "^\\[\(Self.timestamp)\\] (?<level>[A-Za-z]+) in (?<source>[^\\s:]+):\\s*\(Self.rest)",
        ]
        case .syslog: [
            // RFC 5424: <PRI>VERSION TIMESTAMP HOST APP PROCID MSGID [SD] MSG
            "^<(?<priority>\\d{1,3})>\\d{1,2} \\S+ \\S+ (?<source>\\S+) \\S+ \\S+ (?:-|(?:\\[(?:[^\\]\\\\]|\\\\.)*\\])+)(?: (?<message>.*))?$",
            // RFC 3164: <PRI>TIMESTAMP HOST TAG[PID]: MSG (the host may be missing)
            "^<(?<priority>\\d{1,3})>(?:\(Self.syslogTime)\\s+)?(?:[^\\s:\\[]+\\s+)?(?<source>[^\\s:\\[]+)(?:\\[[^\\]]*\\])?:\\s*\(Self.rest)",
            // TIMESTAMP HOST facility.severity TAG[PID]: MSG
            "^\(Self.syslogTime)\\s+(?:[^\\s:\\[]+\\s+)?[a-z]+\\d?\\.(?<level>[a-z]+)\\s+(?<source>[^\\s:\\[]+)(?:\\[[^\\]]*\\])?:\\s*\(Self.rest)",
        ]
        case .apache: [
            // [Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] message
            "^\\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)? \\d{4}\\] \\[(?:(?<source>[\\w-]+):)?(?<level>[A-Za-z]+\\d?)\\](?: \\[pid \\d+(?::tid \\d+)?\\])?\\s*\(Self.rest)",
            // nginx: 2023/01/05 10:15:32 [error] 12345#12345: *1 message
            "^\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d \\[(?<level>[A-Za-z]+)\\] (?:\\d+#\\d+: )?(?:\\*\\d+ )?\(Self.rest)",
        ]
        case .logcat: [
            // threadtime: [year-]MM-DD HH:MM:SS.mmm PID TID L tag: message
            "^(?:\\d{4}-)?\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d+\\s+\\d+\\s+\\d+\\s+(?<level>[VDIWEFA])\\s+(?<source>[^:]*?)\\s*: ?\(Self.rest)",
            // time: [year-]MM-DD HH:MM:SS.mmm L/tag(PID): message
            "^(?:\\d{4}-)?\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d+\\s+(?<level>[VDIWEFA])/(?<source>[^(]*?)\\s*\\(\\s*\\d+\\): ?\(Self.rest)",
            // brief: L/tag(PID): message
            "^(?<level>[VDIWEFA])/(?<source>[^(]*?)\\s*\\(\\s*\\d+\\): ?\(Self.rest)",
            // tag: L/tag: message
            "^(?<level>[VDIWEFA])/(?<source>[^:(]*?)\\s*: ?\(Self.rest)",
        ]
        case .cbs: [
            // 2016-09-28 04:30:30, Info   CBS   message; CSI lines add a sequence number and a time: 00000001@2016/9/27:20:30:31.455
            "^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\s+(?<level>[A-Za-z]+)\\s+(?<source>\\S+)(?:\\s+[0-9A-Fa-f]{8}@\\d{4}/\\d{1,2}/\\d{1,2}:\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?)?(?:\\s+\(Self.rest)|\\s*$)",
        ]
        case .openstack: [
            // [file.log.1.date] 2017-05-16 00:00:00.008 25746 INFO nova.compute.manager [req-... - - -] message
            // (one space before the message, so a stack frame's indent shows it continues the line above)
            "^(?:\\S+\\.log(?:\\.\\S*)?\\s+)?\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?\\s+\\d+\\s+(?<level>[A-Za-z]+)\\s+(?<source>\\S+)(?:\\s+\\[[^\\]]*\\])?(?:\\s\(Self.rest)|\\s*$)",
        ]
        case .json: []
        }
    }

    // Pieces the patterns share.
    /// 2015-10-18 18:01:47,978; 2015/10/18 18:01:47; 17/06/09 20:10:40; 2023-01-05T10:15:32.123+01:00.
    private static let timestamp = "(?:\\d{4}-\\d\\d-\\d\\d|\\d{4}/\\d\\d/\\d\\d|\\d\\d/\\d\\d/\\d\\d)[T ]\\d\\d:\\d\\d:\\d\\d(?:[.,]\\d+)?(?:Z|[+-]\\d\\d:?\\d\\d)?"
    /// Mar  1 12:00:01, or an RFC 3339 time.
    private static let syslogTime = "(?:[A-Z][a-z]{2} [ \\d]?\\d \\d\\d:\\d\\d:\\d\\d|\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?(?:Z|[+-]\\d\\d:\\d\\d)?)"
    /// A level word, maybe in brackets, followed by a space or the end.
    private static let levelWord = "\\[?(?<level>[A-Za-z]+)\\]?(?=\\s|$)"
    /// A bracketed thread name, with one level of brackets inside: [QuorumPeer[myid=1]/0.0.0.0:2181].
    private static let bracketed = "\\[(?:[^\\[\\]]|\\[[^\\[\\]]*\\])*\\]"
    /// The message: the rest of the line.
    private static let rest = "(?<message>.*)$"
}

/// Reads the level and message of one line, in one format or by one pattern.
public struct LineParser: Sendable {
    /// The format's name, or "pattern".
    public let name: String
    private let patterns: [LinePattern]
    private let json: JSONKeys?

    /// A parser of `format`; `jsonKeys` says which fields JSON lines keep their level and message in.
    public init(_ format: LogFormat, jsonKeys: JSONKeys = .standard) {
        name = format.rawValue
        // The built-in patterns are constants, and a test compiles every one of them.
        patterns = format.patterns.map { try! LinePattern($0) }
        json = format == .json ? jsonKeys : nil
    }

    /// A parser that reads every line with `pattern`.
    public init(pattern: LinePattern) {
        name = "pattern"
        patterns = [pattern]
        json = nil
    }

    /// What `line` says, or nil when no pattern of the format matches it.
    public func read(_ line: String) -> ParsedLine? {
        if let json { return json.read(line) }
        for pattern in patterns {
            if let parsed = pattern.read(line) { return parsed }
        }
        return nil
    }
}
