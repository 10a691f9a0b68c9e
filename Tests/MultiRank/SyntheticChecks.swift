// SyntheticChecks — per-shard digests at several ranks (owned by the Synthetic layer).
import MPI

func syntheticChecks(_ comm: Communicator) throws -> Int32 {
    let c = Checks(comm: comm, suite: "synthetic")
    c.expect(false, "synthetic multi-rank checks are not written yet")
    return c.finish()
}
