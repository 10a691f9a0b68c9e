// InfoMax/ContrastiveCallStats.swift — where one call of the distributed loss spent its time
// (local arithmetic, MPI, communication hidden behind computation) and how many bytes it sent.

/// Where one call spent its time, and how much it sent (the sum of two calls: `+`).
public struct ContrastiveCallStats: Sendable, Equatable, Codable {
    /// Seconds in local arithmetic (normalisation, gemms, log-sum-exps): the call's wall time
    /// minus ``communicationSeconds``.
    public var computeSeconds: Double
    /// Seconds inside MPI calls (including waiting for slower ranks): the exposed communication.
    public var communicationSeconds: Double
    /// Bytes this rank sends. All-gather: counted as the per-rank volume of the bandwidth-optimal
    /// (ring) algorithms, (N − b)·k elements for the all-gather and as many for the
    /// reduce-scatter. Ring: the bytes its messages really carry, (p − 1)·maxb·k elements per
    /// sweep, plus p·maxb·k for the travelling gradient. Both add the counts, the loss shares
    /// and, for `.oppositeLabel`, the labels ((p − 1)·maxb of each, all-gathered).
    public var bytesSent: Int
    /// Seconds of computation while this rank's ring transfers were in flight (the sum over
    /// hops of the compute time between posting a hop's transfers and waiting for them):
    /// communication hidden behind computation. Part of ``computeSeconds``; 0 for `.allgather`.
    public var overlappedSeconds: Double

    public init(
        computeSeconds: Double = 0, communicationSeconds: Double = 0, bytesSent: Int = 0, overlappedSeconds: Double = 0
    ) {
        self.computeSeconds = computeSeconds
        self.communicationSeconds = communicationSeconds
        self.bytesSent = bytesSent
        self.overlappedSeconds = overlappedSeconds
    }

    enum CodingKeys: String, CodingKey {
        case computeSeconds, communicationSeconds, bytesSent, overlappedSeconds
    }

    /// Decodes, reading a missing `overlappedSeconds` (records written before it existed) as 0.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        computeSeconds = try c.decode(Double.self, forKey: .computeSeconds)
        communicationSeconds = try c.decode(Double.self, forKey: .communicationSeconds)
        bytesSent = try c.decode(Int.self, forKey: .bytesSent)
        overlappedSeconds = try c.decodeIfPresent(Double.self, forKey: .overlappedSeconds) ?? 0
    }

    public static func + (l: Self, r: Self) -> Self {
        Self(
            computeSeconds: l.computeSeconds + r.computeSeconds,
            communicationSeconds: l.communicationSeconds + r.communicationSeconds, bytesSent: l.bytesSent + r.bytesSent,
            overlappedSeconds: l.overlappedSeconds + r.overlappedSeconds)
    }
}
