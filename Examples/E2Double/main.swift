// e2-double — E2's InfoNCE training (jobs/configs/e2-condition.json) in Float and in Double, one
// process, from the same views and initial weights: does the late rise of the condition number
// (after step ~600 at lr 0.1) survive in Double? Writes the two curves as CSV to stdout:
//   swift build -c release --product e2-double
//   .build/release/e2-double [config] [steps] [seed] [log every] > curves.csv
import Foundation
import MPI
import Training

do {
    _ = try MPIEnvironment.initialize()
    let comm = try Communicator.world()
    let args = CommandLine.arguments
    let file = args.count > 1 ? args[1] : "jobs/configs/e2-condition.json"
    let steps = args.count > 2 ? Int(args[2]) ?? 1000 : 1000
    let seed = args.count > 3 ? args[3] : "1"
    let every = args.count > 4 ? Int(args[4]) ?? 20 : 20
    let config = try ConfigLoader.load(file: file, overrides: ["seed=\(seed)"])
    let single = try LatentLinearPrecisionRun.train(Float.self, config: config, steps: steps, every: every, comm: comm)
    let double = try LatentLinearPrecisionRun.train(Double.self, config: config, steps: steps, every: every, comm: comm)
    print("step,condition_number_float,condition_number_double,loss_float,loss_double")
    for (s, d) in zip(single, double) {
        print("\(s.step),\(s.conditionNumber),\(d.conditionNumber),\(s.loss),\(d.loss)")
    }
    MPIEnvironment.finalize()
} catch {
    FileHandle.standardError.write(Data("e2-double: \(error)\n".utf8))
    exit(1)
}
