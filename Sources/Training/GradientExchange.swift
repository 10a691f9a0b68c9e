// Training/GradientExchange.swift — the trainer's gradient all-reduce, one reduction per
// encoder: a problem hands over each encoder's gradient as soon as its backward pass is done,
// and that part is reduced while the next encoder's backward runs (multi-modal); the trainer
// waits for the rest and the optimizer reads the sum where it was reduced (no copy out). A part
// too small for the overlap to pay waits for the next and is reduced with it. The step's stop
// request rides in the same reduction (one more element), so no separate stop-flag all-reduce
// is needed between steps. gradient.allreduce chooses the reduction: the MPI library's
// collective (``LibraryAllreduce``; the part completing the gradient by MPI_Allreduce after
// backward) or the project's ring (``PersistentRingAllreduce``, allocation-free inside Open
// MPI too). Set up on the first step, restarted every step.
import Linalg
import MPI

/// Where a problem writes its gradient during ``ContrastiveProblem/lossAndGradient(localIndices:draw:gradient:timing:)``.
///
/// The problem calls ``deliver(_:)`` with each encoder's gradient in parameter order; a call
/// starts the sum all-reduce of the elements delivered since the last start, unless they are
/// fewer than ``overlapMinimum`` and more follow (then they join the next part: a ring
/// costs 2(p − 1) messages and a small part's second backward is too short to hide them).
/// ``finish()`` (the trainer) waits for every reduction; ``withSum(_:)`` then reads the summed
/// gradient in place. Every rank must deliver parts of the same sizes in the same order (the
/// problem's encoders); the reductions are made on the first step. With ``GradientAllreduce/mpi``
/// the part that completes the gradient is reduced by a blocking MPI_Allreduce in ``finish()``
/// (nothing is left to overlap it with), the others by ``LibraryAllreduce``.
public final class GradientExchange {
    /// The ranks that sum their gradients.
    public let communicator: Communicator
    /// Elements of the flat gradient (every encoder's weights).
    public let parameterCount: Int
    /// The flat gradient, then one element: how many ranks asked the run to stop.
    private let buffer: MPIBuffer<Float>
    /// Which all-reduce sums the gradient.
    public let allreduce: GradientAllreduce
    private var parts: [any RepeatedReduction] = []
    /// `.mpi`: the region of the part that completes the gradient, reduced in ``finish()``.
    private var finalRange: Range<Int>? = nil
    /// `.mpi`, blocking: the final part's region on the first step (every step must match it).
    private var finalPart: Range<Int>? = nil
    /// `.mpi`: whether the part that completes the gradient is reduced by a blocking
    /// MPI_Allreduce in ``finish()`` (else it is started nonblocking as it is delivered).
    public let blockingFinalPart: Bool
    private var delivered = 0, partIndex = 0
    /// The first delivered element whose reduction has not started yet.
    private var pending = 0
    /// Elements a part not completing the gradient needs to start its own reduction.
    public let overlapMinimum: Int
    /// Set by the trainer before the step: this rank asks to stop after it (besides a signal,
    /// which is read when the last part starts, as late as possible).
    public var requestStop = false
    /// After ``finish()``: whether any rank asked to stop.
    public private(set) var stopRequested = false

    /// A tag range of its own: the loss's ring exchange and the other collectives use others.
    private static let firstTag = 0x4758

    /// Below this many elements (1 MiB of floats) an encoder's part waits for the next one, so
    /// small encoders keep one ring after backward (2(p − 1) messages, as before the overlap):
    /// at the paper's Figure-1 size (2 × 100,000) separate rings measured no gain (2.78 vs
    /// 2.83 ms) while the second backward they could hide behind is ~0.3 ms; large encoders
    /// (d 2048, m 1024: 2 × 2,097,152) keep one ring each (README Performance).
    public static let defaultOverlapMinimum = 262_144

    /// An exchange of `parameterCount` gradient elements over `communicator` by `allreduce`; a
    /// part that does not complete the gradient starts its own reduction only from
    /// `overlapMinimum` elements.
    public init(
        communicator: Communicator, parameterCount: Int, allreduce: GradientAllreduce = .mpi,
        overlapMinimum: Int = defaultOverlapMinimum, blockingFinalPart: Bool = true
    ) {
        self.blockingFinalPart = blockingFinalPart
        self.communicator = communicator
        self.parameterCount = parameterCount
        self.allreduce = allreduce
        self.overlapMinimum = overlapMinimum
        buffer = MPIBuffer(repeating: 0, count: parameterCount + 1)
    }

    /// Starts a step: no part delivered yet.
    public func begin() {
        delivered = 0
        pending = 0
        partIndex = 0
        finalRange = nil
    }

    /// Hands over the next `values.count` elements of the flat gradient (this rank's part of
    /// the global loss's gradient) and starts the all-reduce of the elements not yet started,
    /// if they are at least ``overlapMinimum`` or complete the gradient. The part that
    /// completes the gradient also carries the stop request.
    public func deliver(_ values: UnsafeBufferPointer<Float>) throws {
        let start = delivered
        let end = delivered + values.count
        guard end <= parameterCount else {
            throw MPIError.invalidArgument(
                "GradientExchange: \(end) gradient elements delivered, the problem has \(parameterCount) parameters.")
        }
        let last = end == parameterCount
        buffer.withUnsafeMutableBufferPointer { dst in
            if let src = values.baseAddress, values.count > 0 {
                (dst.baseAddress! + start).update(from: src, count: values.count)
            }
            if last { dst[parameterCount] = requestStop || StopSignal.received != 0 ? 1 : 0 }
        }
        delivered = end
        guard last || end - pending >= overlapMinimum else { return }
        let range = pending..<(last ? end + 1 : end)
        if last && allreduce == .mpi && blockingFinalPart {
            if let established = finalPart {
                guard established == range, partIndex == parts.count else {
                    throw MPIError.invalidArgument(
                        "GradientExchange: the last part covers \(range) after \(partIndex) parts, earlier steps \(established) after \(parts.count); a problem must deliver the same parts every step."
                    )
                }
            }
            finalPart = range
            finalRange = range
            pending = end
            return
        }
        if partIndex == parts.count {
            switch allreduce {
            case .ring:
                parts.append(
                    try PersistentRingAllreduce(
                        communicator: communicator, buffer: buffer, range: range,
                        tag: Self.firstTag + partIndex))
            case .mpi:
                parts.append(try LibraryAllreduce(communicator: communicator, buffer: buffer, range: range, op: .sum))
            }
        }
        let part = parts[partIndex]
        guard part.range == range else {
            throw MPIError.invalidArgument(
                "GradientExchange: part \(partIndex) covers \(range), earlier steps \(part.range); a problem must deliver the same parts every step."
            )
        }
        try part.start()
        pending = end
        partIndex += 1
    }

    /// Hands over a whole flat gradient at once (a problem without separate encoder parts).
    public func deliver(_ values: [Float]) throws {
        try values.withUnsafeBufferPointer { try deliver($0) }
    }

    /// Waits for every reduction of the step (`.mpi`: then reduces the part that completes the
    /// gradient); sets ``stopRequested``. Collective.
    public func finish() throws {
        for i in 0..<partIndex { try parts[i].wait() }
        if let finalRange { try communicator.allreduce(inPlace: buffer, range: finalRange, op: .sum) }
        guard delivered == parameterCount else {
            throw MPIError.invalidArgument(
                "GradientExchange: the problem delivered \(delivered) of \(parameterCount) gradient elements.")
        }
        stopRequested = buffer[parameterCount] > 0
    }

    /// Reads the summed gradient of the last ``finish()`` (``parameterCount`` elements) where
    /// it was reduced; do not keep the pointer.
    public func withSum<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[0..<parameterCount])) }
    }

    /// The Euclidean norm of the summed gradient of the last ``finish()``.
    public var sumNorm: Double {
        withSum { g in g.isEmpty ? 0 : Double(Float.dot(n: g.count, x: g.baseAddress!, y: g.baseAddress!).squareRoot())
        }
    }
}
