import MPI
try MPIEnvironment.initialize()
MPIEnvironment.finalize()
