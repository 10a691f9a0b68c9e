// Training/MemoryCheck.swift — refuses a run that cannot fit before anything is allocated:
// finds the memory this process may use (INFOMAX_MEMORY_LIMIT_BYTES, the cgroup limit, or
// /proc/meminfo's MemAvailable), learns which ranks share a node (MPI_Comm_split_type
// SHARED), and compares the estimated peaks of a node's ranks with what the node can give.
// Every rank reaches the same verdict from the same gathered figures, so all exit 64 alike.
import Foundation
import MPI

/// Memory the processes of one node may use, and where the figure comes from.
public struct MemoryAvailability: Sendable, Equatable {
    public var bytes: Int
    /// "INFOMAX_MEMORY_LIMIT_BYTES", "cgroup memory.max", "cgroup memory.limit_in_bytes" or "MemAvailable".
    public var source: String

    public init(bytes: Int, source: String) {
        self.bytes = bytes
        self.source = source
    }

    /// The environment variable that overrides the detected figure (bytes per node; for tests
    /// and for sites whose limits the process cannot see).
    public static let overrideVariable = "INFOMAX_MEMORY_LIMIT_BYTES"

    /// The memory this node's processes may use: the override if set, else the smaller of the
    /// cgroup limit (v2 memory.max, v1 memory.limit_in_bytes; "max" = none) and MemAvailable
    /// plus `alreadyResident` (what these processes hold now, which MemAvailable has already
    /// subtracted). Nil if nothing can be read (then no check is made).
    public static func detect(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        alreadyResident: Int = 0, root: String = ""
    ) throws -> MemoryAvailability? {
        if let text = environment[overrideVariable] {
            guard let v = Double(text.trimmingCharacters(in: .whitespaces)), v >= 0, v < 9.2e18 else {
                throw ConfigError.invalidValue(
                    key: overrideVariable, value: "\"\(text)\"", allowed: "a number of bytes, e.g. 8e9")
            }
            return MemoryAvailability(bytes: Int(v), source: overrideVariable)
        }
        var best: MemoryAvailability? = nil
        if let available = meminfoAvailable(root: root) {
            let (sum, o) = available.addingReportingOverflow(max(alreadyResident, 0))
            best = MemoryAvailability(bytes: o ? available : sum, source: "MemAvailable")
        }
        if let limit = cgroupLimit(root: root), limit.bytes < best?.bytes ?? Int.max { best = limit }
        return best
    }

    /// MemAvailable of /proc/meminfo, bytes.
    static func meminfoAvailable(root: String) -> Int? {
        guard let text = try? String(contentsOfFile: root + "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let kb = Int(fields[1]) else { return nil }
            return kb.multipliedReportingOverflow(by: 1024).overflow ? Int.max : kb * 1024
        }
        return nil
    }

    /// This process's cgroup memory limit (v2, else v1), nil when unlimited or unreadable.
    static func cgroupLimit(root: String) -> MemoryAvailability? {
        guard let text = try? String(contentsOfFile: root + "/proc/self/cgroup", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let path = String(parts[2])
            if parts[0] == "0" && parts[1].isEmpty {
                if let v = readLimit(root + "/sys/fs/cgroup" + path + "/memory.max") {
                    return MemoryAvailability(bytes: v, source: "cgroup memory.max")
                }
            } else if parts[1].split(separator: ",").contains("memory") {
                if let v = readLimit(root + "/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes")
                    ?? readLimit(root + "/sys/fs/cgroup/memory/memory.limit_in_bytes")
                {
                    // v1 reports "no limit" as a huge page-aligned number.
                    if v < 1 << 60 { return MemoryAvailability(bytes: v, source: "cgroup memory.limit_in_bytes") }
                }
            }
        }
        return nil
    }

    private static func readLimit(_ path: String) -> Int? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))  // "max" → nil
    }

    /// This process's current resident set size (/proc/self/statm), bytes; 0 if unreadable.
    public static func currentResident() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count >= 2, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

/// The nodes of a job and the memory each can give (gathered once; the same on every rank).
public struct MemoryBudget: Sendable {
    /// For each rank of the world: the world rank of its node's first rank.
    public let nodeOf: [Int]
    /// Per node (keyed by its first rank): available bytes (-1: unknown) and the source.
    public let available: [Int: MemoryAvailability]
    /// Per node: its host name.
    public let hosts: [Int: String]

    public init(nodeOf: [Int], available: [Int: MemoryAvailability], hosts: [Int: String]) {
        self.nodeOf = nodeOf
        self.available = available
        self.hosts = hosts
    }

    static let sources = [
        MemoryAvailability.overrideVariable, "cgroup memory.max", "cgroup memory.limit_in_bytes", "MemAvailable",
    ]

    /// Gathers every node's figure. Collective over `comm`.
    public static func gather(_ comm: Communicator) throws -> MemoryBudget {
        let node = try comm.splitSharedMemory()
        // The node's first rank measures; its figure covers every rank of the node.
        var local: [Int64] = [0, -1, -1]
        let resident = try node.allreduce(Int64(MemoryAvailability.currentResident()), op: .sum)
        let leader = try node.broadcast([Int64(comm.rank)], root: 0)[0]
        local[0] = leader
        var problem = ""
        if node.rank == 0 {
            do {
                if let a = try MemoryAvailability.detect(alreadyResident: Int(resident)) {
                    local[1] = Int64(a.bytes)
                    local[2] = Int64(sources.firstIndex(of: a.source) ?? 3)
                }
            } catch { problem = "\(error)" }
        }
        // A bad override on any node is reported by every rank alike.
        let flags = try comm.allreduce(Int32(problem.isEmpty ? 0 : 1), op: .max)
        if flags != 0 {
            let firstBad = try comm.allreduce(Int32(problem.isEmpty ? Int32.max : Int32(comm.rank)), op: .min)
            let text = try comm.broadcast(problem, root: Int(firstBad))
            throw RootError(message: text, exitCode: ExitCodes.usage)
        }
        let all = try comm.allgather(local)
        var hostBytes = [UInt8](repeating: 0, count: 64)
        for (i, ch) in MPIEnvironment.processorName.utf8.prefix(63).enumerated() { hostBytes[i] = ch }
        let names = try comm.allgather(hostBytes)
        var nodeOf: [Int] = []
        var available: [Int: MemoryAvailability] = [:]
        var hosts: [Int: String] = [:]
        for r in 0..<comm.size {
            let l = Int(all[3 * r])
            nodeOf.append(l)
            if r == l {
                if all[3 * r + 1] >= 0 {
                    available[l] = MemoryAvailability(bytes: Int(all[3 * r + 1]), source: sources[Int(all[3 * r + 2])])
                }
                let raw = names[(64 * r)..<(64 * r + 64)].prefix { $0 != 0 }
                hosts[l] = String(decoding: raw, as: UTF8.self)
            }
        }
        return MemoryBudget(nodeOf: nodeOf, available: available, hosts: hosts)
    }

    /// Ranks on the node of world rank `r`.
    public func ranksOnNode(of r: Int) -> [Int] { nodeOf.indices.filter { nodeOf[$0] == nodeOf[r] } }

    /// Throws `MemoryError.insufficient` (exit 64) for the first node whose ranks' estimated
    /// peaks exceed what it can give. Pure: every rank decides alike.
    public func check(_ config: TrainConfig, purpose: MemoryEstimate.Purpose = .train) throws {
        let ranks = nodeOf.count
        var estimates: [MemoryEstimate] = []
        for r in 0..<ranks { estimates.append(MemoryEstimate(config: config, ranks: ranks, rank: r, purpose: purpose)) }
        for leader in Set(nodeOf).sorted() {
            let members = nodeOf.indices.filter { nodeOf[$0] == leader }
            let need = members.reduce(ByteCount.zero) { $0 + estimates[$1].totalBytes }
            let largest = members.max { estimates[$0].totalBytes < estimates[$1].totalBytes } ?? leader
            let fits: Bool
            if let a = available[leader] { fits = !(ByteCount(a.bytes) < need) } else { fits = need.value != nil }
            if !fits {
                throw MemoryError.insufficient(
                    config: config, estimate: estimates[largest], nodeNeed: need, nodeRanks: members.count,
                    host: hosts[leader] ?? "?", available: available[leader])
            }
        }
    }

    /// One line on what a node can give, for the dry-run table.
    public func describe(for r: Int) -> String {
        let leader = nodeOf[r]
        let count = ranksOnNode(of: r).count
        guard let a = available[leader] else { return "available: unknown (no cgroup limit or /proc/meminfo readable)" }
        return "available on host \(hosts[leader] ?? "?"): \(ByteCount(a.bytes)) (\(a.source)) for its \(count) rank(s)"
    }
}

/// A run that cannot fit in memory.
public enum MemoryError: Error, CustomStringConvertible {
    case insufficient(
        config: TrainConfig, estimate: MemoryEstimate, nodeNeed: ByteCount, nodeRanks: Int, host: String,
        available: MemoryAvailability?)

    public var description: String {
        switch self {
        case .insufficient(let config, let estimate, let need, let count, let host, let available):
            let part = estimate.dominant
            let (key, value) = part.map { MemoryEstimate.drivingKey(of: $0, in: config) } ?? ("config", "?")
            let what =
                part.map { " (largest part: \($0.name), \($0.bytes.value == nil ? "overflows" : "\($0.bytes)"))" } ?? ""
            let perRank = "\(key) = \(value) needs \(estimate.totalBytes) per rank\(what)"
            let node = count > 1 && need.value != nil ? ", \(need) for the \(count) ranks on host \(host)" : ""
            let can =
                available.map { "\(ByteCount($0.bytes)) (\($0.source))" } ?? "less (a size overflows a 64-bit integer)"
            return "not enough memory: \(perRank)\(node); \(count > 1 ? "that host" : "this process") can use \(can). "
                + "Lower \(key), or run with fewer ranks per node; `infomax train --dry-run` prints the estimate by component"
        }
    }
}
