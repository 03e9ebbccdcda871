// The words the log generator draws from: event templates for each label, and the services, hosts,
// numbers and paths that fill them. The wording of the event decides the label; everything that
// fills a slot is shared by all three labels, so no single service, host or number gives a label
// away. Some words cross labels on purpose ("connection" in all three, "retry" and "failed" in
// WARNING and ERROR, "disk usage at" with a low, high or full percentage), so that a bag-of-words
// classifier makes a few mistakes and a model has to read the whole line.
//
// Where only a number tells two labels apart (disk usage, memory usage, cache hit rate), the
// ranges differ in their first digit: low is 10-69%, high 80-89%, full 95-99%. When they differed
// only in how many digits a number had ("8%" info, "84%" warning; "12 ms" info, "1200 ms" warning
// with the same words around them), the label rested on counting characters, which a model of
// this size learns from a template's few dozen lines only now and then: such lines made almost all
// of its mistakes. A slow p99 latency now says "high:", as a monitoring system's message would.

/// Templates and slot values for `LogGenerator`. A slot is written `{name}` in a template.
enum LogVocabulary {
    static let templates: [LogLabel: [String]] = [
        .info: [
            "{service} started on {host}:{port} in {ms} ms",
            "{service} {version} deployed to {host}",
            "connection established to {service} at {host}:{port}",
            "user {user} logged in from {ip}",
            "user {user} logged out after {seconds} s",
            "{method} {endpoint} {statusOK} in {msFast} ms",
            "request {request} completed in {msFast} ms on {host}",
            "job {job} finished in {seconds} s, {count} items processed",
            "job {job} scheduled on {host} by {service}",
            "backup of {table} completed: {size} MB written",
            "cache warmed on {host}: {count} keys loaded",
            "health check passed for {service} on {host}",
            "config reloaded from {configFile} by {service}",
            "consumer joined group {topic} on {host}, {partitions} partitions",
            "disk usage at {percentLow}% on {host} ({path})",
            "memory usage {percentLow}% on {host} for {service}",
            "{service} p99 latency {msFast} ms on {host}",
            "certificate for {domain} renewed, valid {days} days",
            "connection pool resized to {poolSize} on {service}",
            "log rotation done for {path} on {host}",
            "{service} listening on port {port} (pid {pid})",
            "session {request} created for user {user} on {host}",
            "migration {version} applied to {table} in {ms} ms",
            "{count} messages published to {topic} by {service}",
            "index rebuilt for {table}: {count} rows in {seconds} s",
            "worker {pid} picked up job {job} on {host}",
            "graceful shutdown of {service} on {host} complete",
            "replica {host} caught up with db-primary, lag {msFast} ms",
            "payment {request} authorized for user {user} in {msFast} ms",
            "cache hit rate {percentGood}% on {host} for {service}",
        ],
        .warning: [
            "disk usage at {percentHigh}% on {host} ({path})",
            "memory usage {percentHigh}% on {host} for {service}",
            "{service} p99 latency high: {msSlow} ms on {host}",
            "slow query on {table} took {msSlow} ms ({service})",
            "retry {attempt} for request {request} to {service}",
            "connection to {service} at {host}:{port} slow: {msSlow} ms",
            "connection pool {percentHigh}% used on {service}, {count} waiting",
            "{method} {endpoint} {statusClient} for user {user} in {ms} ms",
            "rate limit near for user {user}: {count} requests/min",
            "certificate for {domain} expires in {daysFew} days",
            "queue {topic} backlog {count} messages on {host}",
            "consumer lag {count} on {topic} partition {partition}",
            "deprecated config key in {configFile}, using default",
            "high cpu {percentHigh}% on {host} for {seconds} s",
            "{service} heap at {percentHigh}%, gc pause {msSlow} ms",
            "replica {host} lagging behind db-primary by {seconds} s",
            "job {job} running longer than expected: {seconds} s",
            "swap in use on {host}: {size} MB",
            "health check slow for {service} on {host}: {msSlow} ms",
            "login attempt failed for user {user} from {ip}",
            "retrying connection to {service} in {seconds} s ({attempt})",
            "file descriptors {percentHigh}% used by {service} (pid {pid})",
            "request {request} took {msSlow} ms on {host}, over budget",
            "clock skew of {msSlow} ms detected on {host}",
            "worker {pid} on {host} restarted by {service}",
            "cache hit rate {percentLow}% on {host} for {service}",
            "inodes {percentHigh}% used on {host} ({path})",
            "thread pool saturated on {service}, {count} tasks queued",
            "unknown field in request {request} from {service}, ignored",
            "{service} {version} on {host} is behind, update pending",
        ],
        .error: [
            "connection refused by {service} at {host}:{port}",
            "connection to {service} lost on {host} after {seconds} s",
            "giving up on request {request} after {retries} retries",
            "retry limit reached for job {job} on {host}",
            "{method} {endpoint} {statusServer} in {ms} ms for user {user}",
            "disk full on {host}: cannot write {path}",
            "disk usage at {percentFull}% on {host} ({path})",
            "out of memory: {service} killed on {host} (pid {pid})",
            "{service} crashed on {host} with exit code {exitCode}",
            "health check failed for {service} on {host}",
            "segfault in {service} worker {pid} on {host}",
            "failed to parse config {configFile}: line {lineNumber}",
            "deadlock on {table}, transaction {request} aborted",
            "permission denied writing {path} ({service})",
            "payment {request} failed: {service} returned {statusServer}",
            "certificate for {domain} expired {daysFew} days ago",
            "replication broken: {host} cannot reach db-primary",
            "job {job} failed on {host} after {seconds} s",
            "unhandled exception in {service} handling {endpoint}",
            "broker {host} unreachable, {count} messages dropped from {topic}",
            "connection pool exhausted on {service}, request {request} rejected",
            "login failed for user {user} from {ip}: account locked",
            "checksum mismatch in {path} on {host}",
            "write to {table} failed: duplicate key {user}",
            "{service} cannot bind port {port} on {host}: address in use",
            "backup of {table} failed: {path} not writable",
            "query on {table} timed out after {msSlow} ms ({service})",
            "cpu {percentFull}% on {host}, {service} unresponsive",
            "TLS handshake failed with {ip}:{port} on {host}",
            "data corruption detected in {path}, {count} records lost",
        ],
    ]

    static let services = [
        "auth-service", "nginx", "postgres", "kafka-broker", "scheduler", "redis", "api-gateway",
        "billing-service", "payment-worker", "search-indexer", "user-service", "mail-relay", "cron",
        "etcd", "haproxy", "mongodb", "rabbitmq", "elasticsearch", "notifier", "image-resizer",
        "session-store", "dns-resolver", "ldap-sync", "backup-agent", "metrics-collector",
        "cache-proxy", "order-service", "inventory-api", "report-builder", "webhook-dispatcher",
    ]
    static let hostRoles = ["web", "api", "db", "cache", "worker", "edge", "batch", "queue", "node", "ingest"]
    static let namedHosts = ["db-primary", "db-replica-2", "lb-east", "lb-west", "bastion-1", "build-runner-7"]
    static let wellKnownPorts = [80, 443, 2379, 3306, 5432, 5672, 6379, 8080, 8443, 9092, 9200, 27017]
    static let paths = [
        "/var/lib/postgres/data", "/var/log/nginx/access.log", "/srv/uploads", "/tmp/cache", "/var/lib/kafka/data",
        "/var/spool/cron", "/data/backups", "/var/lib/redis/dump.rdb", "/etc/ssl/certs/app.pem", "/var/log/syslog",
        "/var/lib/docker", "/home/deploy/releases", "/mnt/shared/exports",
    ]
    static let configFiles = [
        "/etc/nginx/nginx.conf", "/opt/app/config.yaml", "/etc/haproxy/haproxy.cfg", "/etc/redis/redis.conf",
        "/srv/app/settings.toml", "/etc/kafka/server.properties",
    ]
    static let endpoints = [
        "/api/v1/orders", "/api/v1/users", "/api/v2/payments", "/login", "/logout", "/healthz",
        "/metrics", "/search", "/checkout", "/upload", "/api/v1/cart", "/admin/reports", "/graphql",
    ]
    static let methods = ["GET", "POST", "PUT", "DELETE", "PATCH"]
    static let statusOK = [200, 201, 204, 301, 304]
    static let statusClient = [400, 401, 403, 404, 409, 429]
    static let statusServer = [500, 502, 503, 504]
    static let exitCodes = [1, 2, 127, 134, 137, 139, 143]
    static let tables = ["users", "orders", "sessions", "invoices", "audit_log", "payments", "products", "events", "accounts", "carts"]
    static let topics = ["orders", "payments", "user-events", "audit-log", "clickstream", "notifications", "billing.events", "inventory"]
    static let jobs = [
        "nightly-backup", "invoice-export", "cache-warmup", "log-rotate", "reindex-users", "send-digest",
        "cleanup-tmp", "sync-ldap", "weekly-report", "purge-sessions",
    ]
    static let domains = ["api.example.com", "shop.example.org", "mail.example.net", "auth.example.com", "cdn.example.io"]

    /// `template` with every `{slot}` replaced by a value drawn for it.
    static func fill(_ template: String, random: inout SeededRandom) -> String {
        var message = ""
        var rest = template[...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            message += rest[..<open]
            message += value(of: rest[rest.index(after: open)..<close], random: &random)
            rest = rest[rest.index(after: close)...]
        }
        return message + rest
    }

    /// A value for the slot `{name}`.
    static func value(of slot: Substring, random: inout SeededRandom) -> String {
        switch slot {
        case "service": return random.pick(services)
        case "host": return host(&random)
        case "port": return String(random.nextInt(below: 10) < 7 ? random.pick(wellKnownPorts) : random.number(in: 30000...60999))
        case "ip": return "10.\(random.number(in: 0...7)).\(random.number(in: 0...255)).\(random.number(in: 1...254))"
        case "user": return String(random.number(in: 1000...99999))
        case "request": return "req-" + String(random.number(in: 0x100000...0xFFFFFF), radix: 16)
        case "pid": return String(random.number(in: 300...65535))
        case "version": return "v\(random.number(in: 1...4)).\(random.number(in: 0...30)).\(random.number(in: 0...20))"
        case "ms": return String(random.number(in: 5...1500))
        case "msFast": return String(random.number(in: 1...99))
        case "msSlow": return String(random.number(in: 1500...12000))
        case "seconds": return String(random.number(in: 1...900))
        case "days": return String(random.number(in: 30...365))
        case "daysFew": return String(random.number(in: 1...14))
        case "count": return String(random.number(in: 1...2000))
        case "size": return String(random.number(in: 1...8192))
        case "poolSize": return String(random.number(in: 4...256))
        case "partitions": return String(random.number(in: 1...64))
        case "partition": return String(random.number(in: 0...63))
        case "percentLow": return String(random.number(in: 10...69))
        case "percentGood": return String(random.number(in: 85...99))
        case "percentHigh": return String(random.number(in: 80...89))
        case "percentFull": return String(random.number(in: 95...99))
        case "attempt":
            let limit = random.pick([3, 5, 10])
            return "\(random.number(in: 1...limit))/\(limit)"
        case "retries": return String(random.number(in: 3...10))
        case "lineNumber": return String(random.number(in: 1...400))
        case "exitCode": return String(random.pick(exitCodes))
        case "method": return random.pick(methods)
        case "endpoint": return random.pick(endpoints)
        case "statusOK": return String(random.pick(statusOK))
        case "statusClient": return String(random.pick(statusClient))
        case "statusServer": return String(random.pick(statusServer))
        case "path": return random.pick(paths)
        case "configFile": return random.pick(configFiles)
        case "table": return random.pick(tables)
        case "topic": return random.pick(topics)
        case "job": return random.pick(jobs)
        case "domain": return random.pick(domains)
        default: preconditionFailure("unknown slot {\(slot)} in a log template")
        }
    }

    /// Mostly numbered machines such as "web-03", sometimes a named one such as "db-primary".
    private static func host(_ random: inout SeededRandom) -> String {
        if random.nextInt(below: 5) == 0 { return random.pick(namedHosts) }
        let number = random.number(in: 1...32)
        return random.pick(hostRoles) + (number < 10 ? "-0" : "-") + String(number)
    }
}

extension SeededRandom {
    /// A uniformly chosen element of a non-empty array.
    fileprivate mutating func pick<T>(_ items: [T]) -> T {
        items[nextInt(below: items.count)]
    }

    /// A uniform integer in `range`.
    fileprivate mutating func number(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + nextInt(below: range.count)
    }
}
