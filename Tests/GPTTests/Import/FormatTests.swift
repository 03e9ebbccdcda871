// Each built-in format on a few lines written for the test: what every line becomes (its message
// without the level, the time and the ids; its label), stack traces joined, the lines no pattern
// reads counted and quoted, levels in any case and in one letter. The samples are also what the
// detection tests detect (Samples at the bottom).
import Testing
@testable import GPT

@Suite struct FormatTests {
    private func read(_ sample: String, as format: LogFormat, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> (examples: [Triple], summary: ImportSummary) {
        let (examples, summary) = try importChecked(sample, sourceLocation: sourceLocation) { $0.format = .format(format) }
        return (triples(examples), summary)
    }

    @Test func log4j() throws {
        let (examples, summary) = try read(Samples.log4j, as: .log4j)
        #expect(examples == [
            Triple(1, .info, "org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster for application appattempt_1445144423722_0020_000001"),
            Triple(2, .warning, "org.apache.hadoop.util.NativeCodeLoader: Unable to load native-hadoop library"),
            Triple(3, .error, "org.apache.hadoop.mapreduce.v2.app.rm.RMContainerAllocator: Failed to contact RM "
                   + "java.net.ConnectException: Connection refused at sun.nio.ch.SocketChannelImpl.checkConnect(Native Method) "
                   + "Caused by: java.io.IOException: reset ... 12 more"),
            Triple(8, .info, "Notification time out: 3200"),
            Triple(9, .error, "com.example.Api - request failed"),
            Triple(10, .info, "c.e.App : Started App in 2.1 seconds"),
            Triple(11, .info, "executor.CoarseGrainedExecutorBackend: Registered signal handlers for [TERM, HUP, INT]"),
            Triple(12, .info, "dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating"),
            Triple(14, .info, "org.example.Foo: entering"),
        ])
        #expect(summary.continuationLines == 4)
        #expect(summary.unmatchedLines == 1)
        #expect(summary.unmatchedQuoted == [NumberedLine(number: 13, text: "-- a banner line --")])
        #expect(summary.records == [.info: 6, .warning: 1, .error: 2])
    }

    @Test func python() throws {
        let (examples, summary) = try read(Samples.python, as: .python)
        #expect(examples == [
            Triple(1, .warning, "billing.invoices: invoice 7731 has no customer email"),
            Triple(2, .info, "billing.invoices: sent 12 invoices"),
            Triple(3, .error, #"billing.worker: charge failed Traceback (most recent call last): File "/srv/billing/worker.py", "#
                   + "line 88, in charge gateway.charge(card) ValueError: card expired"),
            Triple(8, .error, "root: out of memory"),
            Triple(9, .info, "asyncio: Using selector: EpollSelector"),
            Triple(10, .warning, "views: slow page /cart"),
            Triple(11, .error, "no logger name here"),
        ])
        #expect(summary.continuationLines == 4)
        #expect(summary.unmatchedQuoted == [NumberedLine(number: 12, text: "plain text without a level")])
    }

    @Test func syslogReadsTheSeverityOfThePriority() throws {
        let (examples, summary) = try read(Samples.syslog, as: .syslog)
        #expect(examples == [
            Triple(1, .error, "su: 'su root' failed for lonvick on /dev/pts/8"),  // <34>: facility 4, severity 2 (crit)
            Triple(2, .info, "myproc: An application event log entry"),  // <165>: severity 5 (notice)
            Triple(3, .error, "nginx: upstream timed out"),  // <11>: severity 3 (err)
            Triple(4, .info, "CRON: (root) CMD (run-parts /etc/cron.hourly)"),  // <14>: severity 6 (info)
            Triple(5, .warning, "ntpd: time reset +0.5 s"),  // daemon.warning
            Triple(7, .warning, "app: disk 91% full"),  // <12>: severity 4 (warning), RFC 3339 time
        ])
        #expect(summary.unmatchedQuoted == [NumberedLine(number: 6, text: "Mar  1 12:00:04 web-01 kernel: no severity here")])
    }

    @Test func apacheAndNginx() throws {
        let (examples, summary) = try read(Samples.apache, as: .apache)
        #expect(examples == [
            Triple(1, .info, "workerEnv.init() ok /etc/httpd/conf/workers2.properties"),
            Triple(2, .error, "mod_jk child workerEnv in error state 6"),
            Triple(3, .error, "core: [client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico"),
            Triple(4, .warning, "ssl: AH01909: server certificate does NOT include an ID which matches the server name"),
            Triple(5, .info, "http: request body read"),  // trace3
            Triple(6, .error, #"open() "/usr/share/nginx/html/favicon.ico" failed (2: No such file or directory), client: 1.2.3.4"#),
            Triple(7, .error, "SSL_do_handshake() failed"),
        ])
        #expect(summary.unmatchedLines == 1)
        #expect(summary.unmatchedQuoted.map(\.number) == [8])
    }

    @Test func logcatJoinsAStackTraceThatRepeatsThePrefix() throws {
        let (examples, summary) = try read(Samples.logcat, as: .logcat)
        #expect(examples == [
            Triple(1, .info, "WindowManager: printFreezingDisplayLogsopening app wtoken = AppWindowToken"),
            Triple(2, .info, "PowerManagerService: acquire lock=233570404, flags=0x1"),
            Triple(3, .warning, "ActivityManager: Slow operation: 52ms so far"),
            Triple(4, .error, "AndroidRuntime: FATAL EXCEPTION: main java.lang.NullPointerException: Attempt to invoke virtual method "
                   + "at com.example.app.MainActivity.onCreate(MainActivity.java:42)"),
            Triple(7, .info, "ActivityManager: Start proc com.android.settings"),
            Triple(8, .info, "Tag: verbose thing"),
            Triple(9, .warning, "Finsky: [2] network slow"),
        ])
        #expect(summary.continuationLines == 2)
        #expect(summary.unmatchedQuoted == [NumberedLine(number: 10, text: "--------- beginning of main")])
    }

    @Test func cbs() throws {
        let (examples, summary) = try read(Samples.cbs, as: .cbs)
        #expect(examples == [
            Triple(1, .info, #"CBS: Loaded Servicing Stack v6.1.7601.23505 with Core: C:\Windows\winsxs\amd64\cbscore.dll"#),
            Triple(2, .info, "CSI: WcpInitialize (wcp.dll version 0.0.0.6) called"),
            Triple(3, .warning, "CBS: Failed to get session package state [HRESULT = 0x800f0805]"),
            Triple(4, .error, "CBS: Failed to process single phase execution. [HRESULT = 0x800f0805 - CBS_E_INVALID_PACKAGE]"),
            Triple(5, .info, "DISM: DISM Provider Store: PID=2896 TID=2900 Getting the collection of providers wrapped onto a second line"),
        ])
        #expect(summary.continuationLines == 1)
        #expect(summary.unknownLevels == ["PERF": 1])
        #expect(summary.unknownLevelQuoted.map(\.number) == [7])
    }

    @Test func openstackJoinsATracebackThatRepeatsThePrefix() throws {
        let (examples, summary) = try read(Samples.openstack, as: .openstack)
        #expect(examples == [
            Triple(1, .info, #"nova.osapi_compute.wsgi.server: 10.11.10.1 "GET /v2/54fdadf51f6f4e2ba9aa5a8a6bfa2e58/servers/detail HTTP/1.1" "#
                   + "status: 200 len: 1893 time: 0.2477829"),
            Triple(2, .info, "nova.compute.manager: [instance: b9000564-fe1a-409b-b8cc-1e88b294cd1d] VM Started (Lifecycle Event)"),
            Triple(3, .warning, "nova.compute.manager: While synchronizing instance power states, found 0 instances"),
            Triple(4, .error, "oslo_messaging.rpc.server: Exception during message handling Traceback (most recent call last): "
                   + #"File "/usr/lib/python2.7/dist-packages/oslo_messaging/rpc/server.py", line 133, in _process_incoming ValueError: bad"#),
            Triple(8, .error, "nova: Unhandled error"),
            Triple(9, .info, "oslo_concurrency.lockutils: Lock acquired"),
        ])
        #expect(summary.continuationLines == 3)
        #expect(summary.unmatchedLines == 0)
    }

    @Test func jsonLines() throws {
        let (examples, summary) = try read(Samples.json, as: .json)
        #expect(examples == [
            Triple(1, .error, "payment declined"),
            Triple(2, .info, "hello world"),  // pino's 30
            Triple(3, .warning, "Disk quota 91% used"),  // Serilog's @l and @m
            Triple(4, .warning, "nested level, one letter"),  // log.level, reached as a path
            Triple(5, .error, "db unreachable at pool.connect"),  // a line break inside the message
        ])
        #expect(summary.unmatchedQuoted.map(\.number) == [6, 7], "a line without a message, and a line that is not JSON")
    }

    @Test func jsonKeysCanBeNamed() throws {
        let line = #"{"sev":"e","text":"quota exceeded","level":"info"}"#
        let (examples, _) = try importChecked(line) {
            $0.format = .format(.json)
            $0.jsonKeys = JSONKeys(level: ["sev"], message: ["text"])
        }
        #expect(triples(examples) == [Triple(1, .error, "quota exceeded")])
    }

    @Test func everyFormatReadsItsOwnExample() throws {
        for format in LogFormat.allCases {
            let parsed = LineParser(format).read(format.example)
            #expect(parsed != nil, "\(format) does not read its example")
            if let parsed { #expect(LevelTable.standard.mapping(for: parsed.level) != nil, "\(format): level \(parsed.level)") }
        }
    }

    @Test func everyBuiltInPatternCompiles() {
        for format in LogFormat.allCases {
            for pattern in format.patterns {
                #expect(throws: Never.self, "\(format): \(pattern)") { _ = try LinePattern(pattern) }
            }
        }
    }
}

/// A few lines of each format, with what makes real files hard: stack traces, levels in other
/// cases and in one letter, lines no pattern reads.
enum Samples {
    static let log4j = """
        2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster for application appattempt_1445144423722_0020_000001
        2015-10-18 18:01:48,963 warn [main] org.apache.hadoop.util.NativeCodeLoader: Unable to load native-hadoop library
        2015-10-18 18:01:50,100 Error [RMCommunicator Allocator] org.apache.hadoop.mapreduce.v2.app.rm.RMContainerAllocator: Failed to contact RM
        java.net.ConnectException: Connection refused
        \tat sun.nio.ch.SocketChannelImpl.checkConnect(Native Method)
        Caused by: java.io.IOException: reset
        \t... 12 more
        2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200
        2023-01-05 10:15:32.123 [http-nio-8080-exec-5] ERROR com.example.Api - request failed
        2023-01-05T10:15:32.123+01:00  INFO 12345 --- [           main] c.e.App                  : Started App in 2.1 seconds
        17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers for [TERM, HUP, INT]
        081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating
        -- a banner line --
        2015-10-18 18:01:51,000 TRACE [main] org.example.Foo: entering
        """

    static let python = """
        2024-03-01 12:00:01,250 - billing.invoices - WARNING - invoice 7731 has no customer email
        2024-03-01 12:00:02,001 - billing.invoices - info - sent 12 invoices
        2024-03-01 12:00:03,400 - billing.worker - ERROR - charge failed
        Traceback (most recent call last):
          File "/srv/billing/worker.py", line 88, in charge
            gateway.charge(card)
        ValueError: card expired
        CRITICAL:root:out of memory
        DEBUG:asyncio:Using selector: EpollSelector
        [2024-03-01 12:00:05,000] WARNING in views: slow page /cart
        2024-03-01 12:00:06,000 - CRITICAL - no logger name here
        plain text without a level
        """

    static let syslog = """
        <34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick on /dev/pts/8
        <165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - [exampleSDID@32473 iut="3" eventSource="Application"] An application event log entry
        <11>Mar  1 12:00:01 web-01 nginx[812]: upstream timed out
        <14>Mar  1 12:00:02 web-01 CRON[900]: (root) CMD (run-parts /etc/cron.hourly)
        Mar  1 12:00:03 web-01 daemon.warning ntpd[77]: time reset +0.5 s
        Mar  1 12:00:04 web-01 kernel: no severity here
        <12>2024-03-01T12:00:05Z web-02 app: disk 91% full
        """

    static let apache = """
        [Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties
        [Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6
        [Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico
        [Wed Oct 11 14:32:53 2000] [ssl:warn] [pid 35708] AH01909: server certificate does NOT include an ID which matches the server name
        [Wed Oct 11 14:32:54 2000] [http:trace3] [pid 35708] request body read
        2023/01/05 10:15:32 [error] 12345#12345: *1 open() "/usr/share/nginx/html/favicon.ico" failed (2: No such file or directory), client: 1.2.3.4
        2023/01/05 10:15:33 [crit] 12345#12345: *2 SSL_do_handshake() failed
        AH00558: httpd: Could not reliably determine the server's fully qualified domain name
        """

    static let logcat = """
        03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogsopening app wtoken = AppWindowToken
        03-17 16:13:38.819  1702  8671 I PowerManagerService: acquire lock=233570404, flags=0x1
        03-17 16:13:38.820  1702  8671 W ActivityManager: Slow operation: 52ms so far
        03-17 16:13:41.000  4567  4567 E AndroidRuntime: FATAL EXCEPTION: main
        03-17 16:13:41.000  4567  4567 E AndroidRuntime: java.lang.NullPointerException: Attempt to invoke virtual method
        03-17 16:13:41.000  4567  4567 E AndroidRuntime: \tat com.example.app.MainActivity.onCreate(MainActivity.java:42)
        I/ActivityManager(  123): Start proc com.android.settings
        03-17 16:13:40.000 V/Tag( 1702): verbose thing
        W/Finsky: [2] network slow
        --------- beginning of main
        """

    static let cbs = #"""
        2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505 with Core: C:\Windows\winsxs\amd64\cbscore.dll
        2016-09-28 04:30:31, Info                  CSI    00000001@2016/9/27:20:30:31.455 WcpInitialize (wcp.dll version 0.0.0.6) called
        2016-09-28 04:30:31, Warning               CBS    Failed to get session package state [HRESULT = 0x800f0805]
        2016-09-28 04:30:32, Error                 CBS    Failed to process single phase execution. [HRESULT = 0x800f0805 - CBS_E_INVALID_PACKAGE]
        2016-09-28 04:30:33, INFO                  DISM   DISM Provider Store: PID=2896 TID=2900 Getting the collection of providers
                wrapped onto a second line
        2016-09-28 04:30:34, Perf                  CBS    Perf counter sample
        """#

    static let openstack = """
        nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-38101a0b-2096-447d-96ea-a692162415ae 113d3a99c3da401fbd62cc2caa5b96d2 54fdadf51f6f4e2ba9aa5a8a6bfa2e58 - - -] 10.11.10.1 "GET /v2/54fdadf51f6f4e2ba9aa5a8a6bfa2e58/servers/detail HTTP/1.1" status: 200 len: 1893 time: 0.2477829
        nova-compute.log.1.2017-05-16_13:55:31 2017-05-16 00:00:04.500 2931 info nova.compute.manager [-] [instance: b9000564-fe1a-409b-b8cc-1e88b294cd1d] VM Started (Lifecycle Event)
        2017-05-16 00:00:05.000 2931 WARNING nova.compute.manager [req-1 - - - - -] While synchronizing instance power states, found 0 instances
        2017-05-16 00:00:06.000 2931 ERROR oslo_messaging.rpc.server [req-2 - - - - -] Exception during message handling
        2017-05-16 00:00:06.000 2931 ERROR oslo_messaging.rpc.server Traceback (most recent call last):
        2017-05-16 00:00:06.000 2931 ERROR oslo_messaging.rpc.server   File "/usr/lib/python2.7/dist-packages/oslo_messaging/rpc/server.py", line 133, in _process_incoming
        2017-05-16 00:00:06.000 2931 ERROR oslo_messaging.rpc.server ValueError: bad
        2017-05-16 00:00:07.000 2931 CRITICAL nova [-] Unhandled error
        2017-05-16 00:00:08.000 2931 DEBUG oslo_concurrency.lockutils [-] Lock acquired
        """

    static let json = #"""
        {"time":"2024-03-01T12:00:01Z","level":"error","msg":"payment declined","user":4411}
        {"level":30,"time":1531171074631,"msg":"hello world","pid":657,"hostname":"box"}
        {"@t":"2024-03-01T12:00:01Z","@l":"Warning","@m":"Disk quota 91% used"}
        {"log":{"level":"W"},"message":"nested level, one letter"}
        {"severity":"CRITICAL","message":"db unreachable\n  at pool.connect"}
        {"level":"info"}
        not json
        """#

    static func of(_ format: LogFormat) -> String {
        switch format {
        case .log4j: log4j
        case .python: python
        case .syslog: syslog
        case .apache: apache
        case .logcat: logcat
        case .cbs: cbs
        case .openstack: openstack
        case .json: json
        }
    }
}
