// InfoMax/LossSkeleton.swift — the exchange steps every loss plan shares: the agreement across
// ranks (valid inputs, the same options and width), every rank's row count and offset, the
// gathered labels, the sum of the loss shares, the reduce-scatter and the ring of the candidate
// exchanges, and the meter of a call's time and bytes.
import Linalg
import MPI

final class LossSkeleton<T: BLASScalar & MPIScalar> {
    let communicator: Communicator
    /// Every rank's row count and the global offset of its first row (rank order).
    private(set) var counts: [Int] = [], offsets: [Int] = []
    /// The candidate layout (counts × k) of the all-gather and the reduce-scatter.
    var candidateLayout = VectorLayout()
    /// The N global labels (gathered when the negatives need them).
    private(set) var labelsGlobal: [Int64] = []
    /// Timing and volume of the last call, and the fraction of the logit pairs it computed.
    var lastStats = ContrastiveCallStats()
    var lastPairFraction = 1.0
    /// Per call: [rows, cols, error flag, options code] of this rank, and of every rank.
    private var infoLocal: [Int64] = [0, 0, 0, 0], infoAll: [Int64] = []
    private var labelsLocal: [Int64] = [], labelsPadded: [Int64] = []
    /// This rank's share of the loss, and every rank's (summed in rank order on every rank).
    private var lossLocal: [Double] = [0], lossParts: [Double] = []
    /// Gradients of loss parameters (the sigmoid plans: ∂L/∂t, ∂L/∂β) summed with the loss
    /// value in ``sumLossShares``; empty for the other plans.
    var parameterShares: [Double] = []
    /// The ring exchange and the reduce-scatter, created on first use and kept with their buffers.
    private lazy var ringExchange = RingExchange<T>(communicator: communicator)
    private lazy var reducer = CandidateReduceScatter<T>(communicator: communicator, choice: reduceScatterChoice)
    /// Which reduce-scatter sums the candidates' gradient (the MPI library's or the ring).
    let reduceScatterChoice: LossReduceScatter

    init(communicator: Communicator, reduceScatter: LossReduceScatter = .mpi) {
        self.communicator = communicator
        reduceScatterChoice = reduceScatter
    }

    /// This rank's global offset (valid after ``agree``).
    var offset: Int { offsets[communicator.rank] }

    /// The ring exchange, its counters reset.
    func ring() -> RingExchange<T> {
        ringExchange.resetStats()
        return ringExchange
    }

    /// Steps shared by every call: validate locally, agree on the outcome and the options
    /// (`code`, compared across ranks), learn every rank's count (`counts`, `offsets`), and
    /// gather the labels when the negatives need them (`labelsGlobal`, N of them). Returns
    /// N and the largest local count.
    func agree(
        _ loss: ContrastiveLoss, _ a: Matrix<T>, _ pos: Matrix<T>, _ c: Matrix<T>, labels: [Int]?, code: Int64,
        meter: inout CallMeter
    ) throws -> (B: Int, maxb: Int) {
        let comm = communicator
        let p = comm.size
        let needC = loss.needsCandidates
        let needLabels = needC && loss.negatives == .oppositeLabel
        var localError: Error?
        do {
            try loss.validate()
            try loss.checkShapes(a, pos, needC ? c : a, labels: labels, candidatesGlobal: false)
        } catch { localError = error }
        infoLocal[0] = Int64(a.rows)
        infoLocal[1] = Int64(a.cols)
        infoLocal[2] = localError == nil ? 0 : 1
        // The reduce-scatter's choice rides along: ranks that disagree would mix the ring's
        // point-to-point messages with the library's collective and hang.
        infoLocal[3] = code + (reduceScatterChoice == .ring ? 128 : 0)
        try meter.communicate(comm, bytes: 4 * 8 * (p - 1)) { try comm.allgather(infoLocal, into: &infoAll) }
        if let localError { throw localError }
        for r in 0..<p where infoAll[4 * r + 2] != 0 {
            throw InfoMaxError.remoteRankFailed("rank \(r) rejected its inputs (see its message)")
        }
        for r in 0..<p where infoAll[4 * r + 3] != infoLocal[3] {
            throw InfoMaxError.invalidOption(
                "rank \(r) evaluates with other loss options or another candidate exchange than rank \(comm.rank); all ranks must agree"
            )
        }
        let k = a.cols
        counts.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        var B = 0
        var maxb = 0
        for r in 0..<p {
            let n = Int(infoAll[4 * r])
            if n > 0 && Int(infoAll[4 * r + 1]) != k {
                throw InfoMaxError.shapeMismatch(
                    "rank \(r) has embeddings of width \(infoAll[4 * r + 1]), this rank \(k); all ranks must agree")
            }
            counts.append(n)
            offsets.append(B)
            B += n
            maxb = Swift.max(maxb, n)
        }
        if needLabels, let labels {
            // Padded to maxb per rank and gathered with MPI_Allgather, then compacted: Open MPI's
            // Allgatherv builds (allocates) an indexed datatype on every call.
            resizeZeroed(&labelsLocal, maxb)
            for i in 0..<labels.count { labelsLocal[i] = Int64(labels[i]) }
            try meter.communicate(comm, bytes: (p - 1) * maxb * 8) {
                try comm.allgather(labelsLocal, into: &labelsPadded)
            }
            resizeZeroed(&labelsGlobal, B)
            for r in 0..<p {
                for i in 0..<counts[r] { labelsGlobal[offsets[r] + i] = labelsPadded[r * maxb + i] }
            }
        }
        return (B, maxb)
    }

    /// The sum of every rank's `share` in rank order, the same on every rank (all-gathered: Open
    /// MPI's Allreduce allocates a temporary on every call, its Allgather does not), booked in
    /// `meter`. ``parameterShares`` ride along: this rank's shares before, the sums after.
    func sumLossShares(_ share: Double, meter: inout CallMeter) throws -> Double {
        let p = communicator.size
        let n = 1 + parameterShares.count
        if lossLocal.count != n { lossLocal = [Double](repeating: 0, count: n) }
        lossLocal[0] = share
        for e in parameterShares.indices { lossLocal[1 + e] = parameterShares[e] }
        try meter.communicate(communicator, bytes: (p - 1) * 8 * n) {
            try communicator.allgather(lossLocal, into: &lossParts)
        }
        var value = 0.0
        for r in 0..<p { value += lossParts[n * r] }
        for e in parameterShares.indices {
            var sum = 0.0
            for r in 0..<p { sum += lossParts[n * r + 1 + e] }
            parameterShares[e] = sum
        }
        return value
    }

    /// The reduce-scatter of the all-gather plans: the candidates' gradient `dCGlobal` (N × k,
    /// rank order, this rank's partial) summed over the ranks, this rank's rows into `dC`.
    func sumCandidateGradient(_ dCGlobal: inout [T], into dC: inout [T], width k: Int, meter: inout CallMeter) throws {
        let b = counts[communicator.rank]
        let bytes = (dCGlobal.count / Swift.max(k, 1) - b) * k * MemoryLayout<T>.stride
        try meter.communicate(communicator, bytes: bytes) {
            try reducer.sum(&dCGlobal, layout: candidateLayout, into: &dC)
        }
    }

    /// Ends a call: its meter read now into ``lastStats``.
    func record(_ meter: CallMeter) { lastStats = meter.stats(at: communicator.wtime()) }

    /// A meter started now.
    func meter() -> CallMeter { CallMeter(start: communicator.wtime()) }

    /// Where one call's time and bytes go (``lastStats`` at its end).
    struct CallMeter {
        let start: Double
        var commSeconds = 0.0
        var bytes = 0
        /// Ring plans: the computation while transfers were in flight.
        var overlappedSeconds = 0.0
        /// `body`, an MPI call that sends `bytes`, its time booked as communication.
        mutating func communicate<R>(_ comm: Communicator, bytes: Int, _ body: () throws -> R) rethrows -> R {
            let t0 = comm.wtime()
            let result = try body()
            commSeconds += comm.wtime() - t0
            self.bytes += bytes
            return result
        }
        func stats(at end: Double) -> ContrastiveCallStats {
            ContrastiveCallStats(
                computeSeconds: end - start - commSeconds, communicationSeconds: commSeconds,
                bytesSent: bytes,
                overlappedSeconds: overlappedSeconds)
        }
    }

    /// Everything that decides the message pattern of a call, as one number all ranks compare
    /// (`fused`: both directions of a symmetric call in one plan).
    static func optionsCode(_ loss: ContrastiveLoss, _ exchange: CandidateExchange, fused: Bool = false) -> Int64 {
        let objective: Int64
        switch loss.objective {
        case .infoNCE: objective = 0
        case .positiveOnly: objective = 1
        case .spectral: objective = 2
        case .sigmoid: objective = 3
        }
        return objective + (loss.negatives == .oppositeLabel ? 4 : 0) + (loss.stopGradient ? 8 : 0)
            + (exchange == .ring ? 16 : 0) + (fused ? 32 : 0)
    }
}
