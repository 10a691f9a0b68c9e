// Linalg/BLASInfo.swift — which BLAS this process links and how many threads it uses.
import CBLAS

/// Which BLAS this process links and how many threads it uses.
public enum BLASInfo {
    /// OpenBLAS's build configuration string (e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH ... Haswell MAX_THREADS=64").
    public static var configuration: String { String(cString: openblas_get_config()) }
    /// The CPU kernel OpenBLAS selected at run time.
    public static var coreName: String { String(cString: openblas_get_corename()) }
    /// Threads OpenBLAS uses for one call (set OPENBLAS_NUM_THREADS=1 when ranks fill the cores).
    public static var threads: Int { Int(openblas_get_num_threads()) }
}
