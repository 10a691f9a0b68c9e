// Training/Heartbeat.swift — the training loop's progress marks (phase, step, a beat count),
// written by the loop without locks or allocation and read by the watchdog thread.
import Synchronization

/// The training loop's progress as the watchdog reads it: lock-free stores, no allocation.
public final class Heartbeat: Sendable {
    let beats = Atomic<Int>(0)
    let phase = Atomic<Int>(0)
    let step = Atomic<Int>(0)

    /// Marks the start of `phase` of step `step` (counts as progress).
    @inline(__always)
    public func enter(_ phase: RunPhase, step: Int) {
        self.step.store(step, ordering: .relaxed)
        self.phase.store(phase.rawValue, ordering: .relaxed)
        beats.add(1, ordering: .releasing)
    }
}
