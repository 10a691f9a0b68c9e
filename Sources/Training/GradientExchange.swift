// Training/GradientExchange.swift — the trainer's gradient all-reduce, one nonblocking ring per
// encoder: a problem hands over each encoder's gradient as soon as its backward pass is done,
// and that part is reduced while the next encoder's backward runs (multi-modal); the trainer
// waits for the rest. The step's stop request rides in the same reduction (one more element),
// so no separate stop-flag all-reduce is needed between steps. Allocation-free after the
// first step (persistent requests; see MPI's PersistentRingAllreduce).
import MPI

/// Where a problem writes its gradient during ``ContrastiveProblem/lossAndGradient(localIndices:draw:gradient:timing:)``.
///
/// The problem calls ``deliver(_:)`` with each encoder's gradient in parameter order; each call
/// starts the sum all-reduce of that part over the ranks. ``finish(into:)`` (the trainer) waits
/// for every part and copies the sum out. Every rank must deliver parts of the same sizes in
/// the same order (the problem's encoders); the parts' rings are made on the first step.
public final class GradientExchange {
    /// The ranks that sum their gradients.
    public let communicator: Communicator
    /// Elements of the flat gradient (every encoder's weights).
    public let parameterCount: Int
    /// The flat gradient, then one element: how many ranks asked the run to stop.
    private let buffer: MPIBuffer<Float>
    private var parts: [PersistentRingAllreduce<Float>] = []
    private var delivered = 0, partIndex = 0
    /// Set by the trainer before the step: this rank asks to stop after it (besides a signal,
    /// which is read when the last part starts, as late as possible).
    var requestStop = false
    /// After ``finish(into:)``: whether any rank asked to stop.
    public private(set) var stopRequested = false

    /// A tag range of its own: the loss's ring exchange and the other collectives use others.
    private static let firstTag = 0x4758

    public init(communicator: Communicator, parameterCount: Int) {
        self.communicator = communicator
        self.parameterCount = parameterCount
        buffer = MPIBuffer(repeating: 0, count: parameterCount + 1)
    }

    /// Starts a step: no part delivered yet.
    func begin() {
        delivered = 0
        partIndex = 0
    }

    /// Hands over the next `values.count` elements of the flat gradient (this rank's part of
    /// the global loss's gradient) and starts their all-reduce. The part that completes the
    /// gradient also carries the stop request.
    public func deliver(_ values: UnsafeBufferPointer<Float>) throws {
        let start = delivered, end = delivered + values.count
        guard end <= parameterCount else {
            throw MPIError.invalidArgument("GradientExchange: \(end) gradient elements delivered, the problem has \(parameterCount) parameters.")
        }
        let last = end == parameterCount
        let range = start..<(last ? end + 1 : end)
        if partIndex == parts.count {
            parts.append(try PersistentRingAllreduce(communicator: communicator, buffer: buffer, range: range,
                                                     tag: Self.firstTag + partIndex))
        }
        let part = parts[partIndex]
        guard part.range == range else {
            throw MPIError.invalidArgument("GradientExchange: part \(partIndex) covers \(range), earlier steps \(part.range); a problem must deliver the same parts every step.")
        }
        buffer.withUnsafeMutableBufferPointer { dst in
            if let src = values.baseAddress, values.count > 0 { (dst.baseAddress! + start).update(from: src, count: values.count) }
            if last { dst[parameterCount] = requestStop || StopSignal.received != 0 ? 1 : 0 }
        }
        try part.start()
        delivered = end
        partIndex += 1
    }

    /// Hands over a whole flat gradient at once (a problem without separate encoder parts).
    public func deliver(_ values: [Float]) throws {
        try values.withUnsafeBufferPointer { try deliver($0) }
    }

    /// Waits for every part's all-reduce and writes the summed gradient into `gradient`
    /// (resized to ``parameterCount``); sets ``stopRequested``. Collective.
    func finish(into gradient: inout [Float]) throws {
        for i in 0..<partIndex { try parts[i].wait() }
        guard delivered == parameterCount else {
            throw MPIError.invalidArgument("GradientExchange: the problem delivered \(delivered) of \(parameterCount) gradient elements.")
        }
        if gradient.count != parameterCount { gradient = [Float](repeating: 0, count: parameterCount) }
        buffer.withUnsafeBufferPointer { src in
            gradient.withUnsafeMutableBufferPointer { dst in
                if parameterCount > 0 { dst.baseAddress!.update(from: src.baseAddress!, count: parameterCount) }
            }
            stopRequested = src[parameterCount] > 0
        }
    }
}
