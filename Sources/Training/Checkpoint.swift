// Training/Checkpoint.swift — a run's resumable state on disk: parameters, optimizer state,
// step and RNG position, with a fingerprint of the config that produced it and a checksum.
// Written atomically (temp file + fsync + rename), so a crash never leaves half a checkpoint.
import Foundation

/// Why a checkpoint cannot be used.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case corrupt(path: String, reason: String)
    case otherConfig(path: String, detail: String)
    case incompatible(String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "cannot read the checkpoint \(path): \(reason)"
        case let .corrupt(path, reason): return "the checkpoint \(path) is damaged (\(reason)); delete it to start over, or resume from an older one"
        case let .otherConfig(path, detail):
            return "the checkpoint \(path) was written by another configuration (\(detail)); resume with the run's own config.json, or choose a new output folder"
        case let .incompatible(detail): return "the checkpoint does not fit this run: \(detail)"
        }
    }
}

/// The state that resumes a run exactly where it stopped.
public struct Checkpoint: Codable, Equatable, Sendable {
    public static let formatVersion = 1
    public var formatVersion = Checkpoint.formatVersion
    /// Fingerprint of the config fields that shape the trajectory (see `TrainConfig.fingerprint`).
    public var configFingerprint: String
    /// Those fields as JSON, to say which one differs when a checkpoint is refused.
    public var trajectoryConfig: String
    /// Steps completed.
    public var step: Int
    /// All encoder parameters, in the fused order.
    public var parameters: [Float]
    public var optimizer: OptimizerState
    /// Counter-based RNG position: the next augmentation draw (a pure function of seed and step).
    public var rngDraw: UInt64
    /// Wall seconds spent before this checkpoint (so resumed runs report total time).
    public var elapsedSeconds: Double

    public init(configFingerprint: String, trajectoryConfig: String, step: Int, parameters: [Float], optimizer: OptimizerState, rngDraw: UInt64, elapsedSeconds: Double) {
        self.configFingerprint = configFingerprint
        self.trajectoryConfig = trajectoryConfig
        self.step = step
        self.parameters = parameters
        self.optimizer = optimizer
        self.rngDraw = rngDraw
        self.elapsedSeconds = elapsedSeconds
    }

    /// Serialised form: magic, a JSON header line, then the payload's FNV-1a 64 checksum.
    public func encoded() throws -> Data {
        let payload = try JSONEncoder().encode(self)
        var data = Data("INFOMAXCKPT1\n".utf8)
        data.append(Data(String(format: "%016llx\n", fnv1a64(payload)).utf8))
        data.append(payload)
        return data
    }

    /// Reads and verifies a checkpoint file.
    public static func read(from url: URL) throws -> Checkpoint {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw CheckpointError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        return try decode(data, path: url.path)
    }

    /// Verifies and decodes the bytes of a checkpoint file (`path` is for messages).
    public static func decode(_ data: Data, path: String) throws -> Checkpoint {
        let url = URL(fileURLWithPath: path)
        let magic = Data("INFOMAXCKPT1\n".utf8)
        guard data.count > magic.count + 17, data.prefix(magic.count) == magic else {
            throw CheckpointError.corrupt(path: url.path, reason: "not an InfoMaxMPI checkpoint")
        }
        let sumText = String(decoding: data[(data.startIndex + magic.count)..<(data.startIndex + magic.count + 16)], as: UTF8.self)
        let payload = data.suffix(from: data.startIndex + magic.count + 17)
        guard let expected = UInt64(sumText, radix: 16), expected == fnv1a64(payload) else {
            throw CheckpointError.corrupt(path: url.path, reason: "checksum mismatch")
        }
        do {
            let c = try JSONDecoder().decode(Checkpoint.self, from: payload)
            guard c.formatVersion == formatVersion else {
                throw CheckpointError.corrupt(path: url.path, reason: "format version \(c.formatVersion), this build reads \(formatVersion)")
            }
            return c
        } catch let e as CheckpointError { throw e } catch {
            throw CheckpointError.corrupt(path: url.path, reason: "\(error)")
        }
    }

    /// Writes atomically: a temp file in the same folder, fsync, rename over `url`.
    public func write(to url: URL) throws {
        try AtomicWrite.write(try encoded(), to: url)
    }
}

/// FNV-1a 64-bit hash of bytes (checksums and fingerprints; not cryptographic).
public func fnv1a64<D: DataProtocol>(_ bytes: D) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for region in bytes.regions {
        for b in region { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    }
    return h
}

/// Atomic file replacement.
public enum AtomicWrite {
    /// Writes `data` to a temp file beside `url`, flushes it to disk, and renames it over `url`.
    public static func write(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        guard FileManager.default.createFile(atPath: tmp.path, contents: nil) else {
            throw CheckpointError.unreadable(path: tmp.path, reason: "cannot create a file in \(dir.path)")
        }
        let handle = try FileHandle(forWritingTo: tmp)
        try handle.write(contentsOf: data)
        try handle.synchronize()
        try handle.close()
        if rename(tmp.path, url.path) != 0 {
            throw CheckpointError.unreadable(path: url.path, reason: String(cString: strerror(errno)))
        }
    }
}
