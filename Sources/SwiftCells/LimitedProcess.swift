// Runs a program as its own process and watches it: a time limit, a memory limit and a cap on
// what it may print, each enforced from outside by stopping the process (and anything it started,
// which shares its process group) the moment it passes one, and saying which. Used for the Swift
// compiler and for the learner's compiled cells alike.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// What a process may use before it is stopped.
public struct ProcessLimits: Sendable, Equatable {
    /// Wall-clock seconds from start to exit.
    public var seconds: Double
    /// Resident memory, in bytes; nil for no limit.
    public var memoryBytes: Int?
    /// Bytes of standard output and standard error together.
    public var outputBytes: Int

    public init(seconds: Double, memoryBytes: Int?, outputBytes: Int) {
        self.seconds = seconds
        self.memoryBytes = memoryBytes
        self.outputBytes = outputBytes
    }
}

/// The limit a process passed.
public enum PassedLimit: Sendable, Equatable {
    case time(seconds: Double)
    case memory(bytes: Int)
    case output(bytes: Int)

    /// "ran longer than 10 s", for the learner.
    public var description: String {
        switch self {
        case .time(let seconds): return "ran longer than \(Self.seconds(seconds)), the time limit of a cell"
        case .memory(let bytes): return "used more than \(bytes >> 20) MB of memory, the memory limit of a cell"
        case .output(let bytes): return "printed more than \(Self.size(bytes)), the output limit of a cell"
        }
    }

    private static func seconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s)) s" : "\(s) s" }
    private static func size(_ bytes: Int) -> String { bytes >= 1 << 20 ? "\(bytes >> 20) MB" : "\(bytes >> 10) KB" }
}

/// How a watched process ended.
public struct ProcessOutcome: Sendable {
    public enum Ending: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)
        /// Stopped by the watcher for passing a limit.
        case stopped(PassedLimit)
        /// It could not be started at all.
        case notStarted(String)
    }
    public var ending: Ending
    public var output: [UInt8]
    public var errors: [UInt8]
    /// Wall-clock seconds it ran.
    public var seconds: Double
    /// The largest resident memory seen, in bytes (sampled).
    public var peakMemoryBytes: Int
}

enum LimitedProcess {
    /// Runs `executable` with `arguments`, its standard input empty, and
    /// `environment` added to ours, until it exits or passes one of `limits`.
    static func run(_ executable: String, _ arguments: [String],
                    environment: [String: String] = [:], limits: ProcessLimits) -> ProcessOutcome {
        let started = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        var outcome = ProcessOutcome(ending: .notStarted(""), output: [], errors: [], seconds: 0, peakMemoryBytes: 0)

        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0 else { outcome.ending = .notStarted("no pipe: \(String(cString: strerror(errno)))"); return outcome }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            outcome.ending = .notStarted("no pipe: \(String(cString: strerror(errno)))")
            return outcome
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for fd in [outPipe[0], outPipe[1], errPipe[0], errPipe[1]] { posix_spawn_file_actions_addclose(&actions, fd) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group, so that stopping it stops what it started too.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)

        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv { free(p) }; for p in envp { free(p) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(outPipe[1]); close(errPipe[1])
        guard spawned == 0 else {
            close(outPipe[0]); close(errPipe[0])
            outcome.ending = .notStarted(String(cString: strerror(spawned)))
            return outcome
        }

        var open = [outPipe[0], errPipe[0]]
        var stopped: PassedLimit?
        var buffer = [UInt8](repeating: 0, count: 65536)
        func stop(_ limit: PassedLimit) {
            guard stopped == nil else { return }
            stopped = limit
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
        }
        // Read both pipes until both close, sampling memory and the clock every 10 ms.
        while !open.isEmpty {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            _ = poll(&fds, nfds_t(fds.count), 10)
            for entry in fds where entry.revents != 0 {
                let count = read(entry.fd, &buffer, buffer.count)
                if count <= 0 {
                    close(entry.fd)
                    open.removeAll { $0 == entry.fd }
                    continue
                }
                if entry.fd == outPipe[0] { outcome.output += buffer[0..<count] } else { outcome.errors += buffer[0..<count] }
                if outcome.output.count + outcome.errors.count > limits.outputBytes, stopped == nil {
                    stop(.output(bytes: limits.outputBytes))
                }
            }
            if stopped == nil, elapsed() > limits.seconds { stop(.time(seconds: limits.seconds)) }
            let resident = residentMemory(of: pid)
            outcome.peakMemoryBytes = max(outcome.peakMemoryBytes, resident)
            if stopped == nil, let cap = limits.memoryBytes, resident > cap { stop(.memory(bytes: cap)) }
        }
        // Both pipes closed: the process has exited, or closed them and runs on. Wait, still watching the clock.
        var status: Int32 = 0
        while true {
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid || done < 0 { break }
            if stopped == nil, elapsed() > limits.seconds { stop(.time(seconds: limits.seconds)) }
            usleep(5000)
        }
        kill(-pid, SIGKILL)  // anything it left running in its group
        outcome.seconds = elapsed()
        if let stopped {
            outcome.ending = .stopped(stopped)
        } else if status & 0x7f == 0 {
            outcome.ending = .exited((status >> 8) & 0xff)
        } else {
            outcome.ending = .signalled(status & 0x7f)
        }
        return outcome
    }

    /// Resident memory of `pid` in bytes, from /proc (0 where there is none).
    private static func residentMemory(of pid: pid_t) -> Int {
        #if os(Linux)
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
        let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kilobytes * 1024
        #else
        return 0
        #endif
    }
}
