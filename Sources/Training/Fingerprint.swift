// Training/Fingerprint.swift — which config fields shape a trajectory (everything but
// naming, logging, diagnostics and checkpoint cadence, the step count so a run can be extended, and the
// candidate exchange, the gradient all-reduce and the loss's reduce-scatter), their fingerprint, and a readable list of differences for a refused
// resume.
import Foundation
import RunRecords
import Synthetic

extension TrainConfig {
    /// The fields that determine the trajectory, as sorted JSON.
    public func trajectoryJSON() throws -> String {
        var c = self
        c.name = ""
        c.logEvery = 1
        c.evalEvery = 0
        c.checkpointEvery = 0
        c.diagnosticsSamples = 0  // what is measured, not what is trained
        c.checkpointMinutes = 0
        c.stallTimeoutSeconds = 0
        c.steps = 1
        c.mode = .compare
        c.loss.exchange = .allgather  // same trajectory to float rounding: resumable either way
        c.data.cache = .auto  // the same samples either way
        c.latentLinear.probe = .sameView  // what is measured, not what is trained
        // Summed by the library or the ring (the gradient and the loss's reduce-scatter): the
        // same trajectory to float rounding, resumable either way; left out so that fingerprints
        // of checkpoints made before the keys stay valid.
        // The positive drop at its default (none) is left out too: fingerprints made before its
        // keys existed stay valid.
        var leave: Set<String> = [ConfigKey.gradientAllreduce.path, ConfigKey.lossReduceScatter.path]
        if c.cooccurrence.positivesDrop == .none {
            leave.formUnion([
                ConfigKey.cooccurrencePositivesDrop.path, ConfigKey.cooccurrenceFalsePositiveFraction.path,
            ])
        }
        return try ConfigKey.json(c, leavingOut: leave)
    }

    /// FNV-1a 64 of `trajectoryJSON()` (with the modality the run trains), as hex.
    public func fingerprint(mode: ModalityMode) throws -> String {
        String(format: "%016llx", FNV1a.hash(bytes: (try trajectoryJSON() + mode.rawValue).utf8))
    }

    /// Keys whose values differ between two trajectory JSONs, as "key: a vs b" lines.
    public static func differences(_ a: String, _ b: String) -> [String] {
        func flatten(_ any: Any, _ prefix: String, _ out: inout [String: String]) {
            if let d = any as? [String: Any] {
                for (k, v) in d { flatten(v, prefix.isEmpty ? k : "\(prefix).\(k)", &out) }
            } else {
                out[prefix] = "\(any)"
            }
        }
        var fa = [String: String]()
        var fb = [String: String]()
        if let oa = try? JSONSerialization.jsonObject(with: Data(a.utf8)) { flatten(oa, "", &fa) }
        if let ob = try? JSONSerialization.jsonObject(with: Data(b.utf8)) { flatten(ob, "", &fb) }
        return Set(fa.keys).union(fb.keys).sorted().compactMap { k in
            fa[k] == fb[k] ? nil : "\(k): \(fa[k] ?? "absent") in the checkpoint, \(fb[k] ?? "absent") now"
        }
    }
}
