// Each connection holds an open file. A process that runs out of them can accept no one (NIO then
// backs off and retries, it does not stop), so the connection cap must fit under the open-file
// limit. The server raises its soft limit toward the hard one, as servers do, and when that is not
// enough it takes fewer connections and says so.
import Foundation

enum OpenFileLimit {
    /// Files kept for everything but connections: the listener, NIO's event loops, standard streams.
    static let reserve = 64

    /// The most connections to take: `wanted`, or fewer when the open-file limit cannot fit them.
    static func connectionCap(_ wanted: Int, report: ((String) -> Void)?) -> Int {
        let files = raise(toAtLeast: wanted + reserve)
        guard files < wanted + reserve else { return wanted }
        let cap = max(1, files - reserve)
        report?("warning: this process may open only \(files) files (ulimit -n), so the server takes at most "
                + "\(cap) connections at once instead of \(wanted); raise the limit with ulimit -n \(wanted + reserve)")
        return cap
    }

    /// Raises this process's soft limit on open files to `wanted` if the hard limit allows (else to
    /// the hard limit) and returns the soft limit in force.
    static func raise(toAtLeast wanted: Int) -> Int {
        #if os(Linux)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        let infinity = rlim_t.max  // RLIM_INFINITY, which Swift cannot import (-1 as unsigned)
        #else
        let resource = RLIMIT_NOFILE
        let infinity = RLIM_INFINITY
        #endif
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return Int.max }
        if limit.rlim_cur != infinity && limit.rlim_cur < rlim_t(wanted) {
            var raised = limit
            raised.rlim_cur = limit.rlim_max == infinity ? rlim_t(wanted) : min(rlim_t(wanted), limit.rlim_max)
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur == infinity ? Int.max : Int(clamping: limit.rlim_cur)
    }
}
