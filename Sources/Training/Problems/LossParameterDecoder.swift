// Training/Problems/LossParameterDecoder.swift — the learned loss parameters' slots at the end
// of a problem's flat parameters (the vector the optimizer updates and checkpoints carry), and
// how they are read back into a loss: InfoNCE's θ = log(1/τ) (CLIP's parameterization, 1/τ
// clamped at 100), or the sigmoid loss's log t, then b. LossStep and GuidedLossStep both decode
// with it, so the two agree on the slots, the clamp and the error that names a bad value's key.
import InfoMax

/// Which loss parameters are learned, and how their slots in the flat vector map to the loss.
struct LossParameterDecoder: Sendable {
    /// InfoNCE: whether θ = log(1/τ) is learned (the one loss parameter).
    let learnTemperature: Bool
    /// Sigmoid loss: whether log t and b are learned (in this order).
    let learnScale: Bool, learnBias: Bool
    /// CLIP's bound on the learned logit scale 1/τ, applied to θ after every update.
    static let maxLogitScale = 100.0

    init(_ options: LossConfig) {
        learnTemperature = options.kind == .infonce && options.learnTemperature
        learnScale = options.kind == .sigmoid && options.learnScale
        learnBias = options.kind == .sigmoid && options.learnBias
    }

    /// The learned loss parameters: 0, 1 or 2 (log t, then b; or θ = log(1/τ)).
    var count: Int { (learnTemperature ? 1 : 0) + (learnScale ? 1 : 0) + (learnBias ? 1 : 0) }

    /// Writes `loss`'s learned parameters (log t, b; or θ) to `flat` from `offset`.
    func encode(_ loss: ContrastiveLoss, into flat: inout [Float], at offset: Int) {
        if learnTemperature {
            flat[offset] = Float(Double.log(loss.logitScale))
            return
        }
        var at = offset
        if learnScale {
            flat[at] = Float(Double.log(loss.logitScale))
            at += 1
        }
        if learnBias { flat[at] = Float(loss.bias) }
    }

    /// CLIP's clamp, applied to the optimizer's parameters after each update: θ ≤ log 100.
    func clamp(_ flat: inout [Float], at offset: Int) {
        guard learnTemperature else { return }
        let bound = Float(Double.log(Self.maxLogitScale))
        if flat[offset] > bound { flat[offset] = bound }
    }

    /// Reads the learned parameters of `flat` at `offset` and hands them to the loss: τ =
    /// 1/min(e^θ, 100) to `setTemperature`, or t = e^{log t} and b (`current`'s where not
    /// learned) to `setSigmoid`. Returns nil when the loss took them, else the error to raise at
    /// the next step, naming the key of the value that left the allowed range.
    func decode(
        _ flat: [Float], at offset: Int, current: ContrastiveLoss, setTemperature: (Double) throws -> Void,
        setSigmoid: (_ scale: Double, _ bias: Double) throws -> Void
    ) -> String? {
        if learnTemperature {
            let s = Swift.min(Double.exp(Double(flat[offset])), Self.maxLogitScale)
            do {
                try setTemperature(1 / s)
            } catch {
                return "\(ConfigKey.lossLearnTemperature): the learned 1/τ became \(s); \(error)"
            }
            return nil
        }
        guard learnScale || learnBias else { return nil }
        var t = current.logitScale
        var bias = current.bias
        if learnScale { t = Double.exp(Double(flat[offset])) }
        if learnBias { bias = Double(flat[offset + (learnScale ? 1 : 0)]) }
        do {
            try setSigmoid(t, bias)
        } catch {
            let scaleBad = learnScale && !(t > 0 && t.isFinite)
            let key = scaleBad ? ConfigKey.lossLearnScale : ConfigKey.lossLearnBias
            return "\(key): the learned value became \(scaleBad ? t : bias); \(error)"
        }
        return nil
    }
}
