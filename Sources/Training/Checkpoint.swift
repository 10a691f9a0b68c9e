// Training/Checkpoint.swift — a run's resumable state on disk: parameters, optimizer state,
// step and RNG position, with a fingerprint of the config that produced it and a checksum
// (version 2: a JSON header line and the arrays as raw Float32; version 1, all JSON, is still read).
// Written atomically (temp file + fsync + rename + folder fsync), so a crash never leaves half a checkpoint.
import Foundation
import RunRecords
import Synthetic

/// Why a checkpoint cannot be used.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case corrupt(path: String, reason: String)
    case otherConfig(path: String, detail: String)
    case incompatible(String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read the checkpoint \(path): \(reason)"
        case .corrupt(let path, let reason):
            return "the checkpoint \(path) is damaged (\(reason)); delete it to start over, or resume from an older one"
        case .otherConfig(let path, let detail):
            return
                "the checkpoint \(path) was written by another configuration (\(detail)); resume with the run's own config.json, or choose a new output folder"
        case .incompatible(let detail): return "the checkpoint does not fit this run: \(detail)"
        }
    }
}

/// The state that resumes a run exactly where it stopped.
public struct Checkpoint: Codable, Equatable, Sendable {
    /// The version this build writes (it reads 1 and 2).
    public static let formatVersion = 2
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

    public init(
        configFingerprint: String, trajectoryConfig: String, step: Int, parameters: [Float], optimizer: OptimizerState,
        rngDraw: UInt64, elapsedSeconds: Double
    ) {
        self.configFingerprint = configFingerprint
        self.trajectoryConfig = trajectoryConfig
        self.step = step
        self.parameters = parameters
        self.optimizer = optimizer
        self.rngDraw = rngDraw
        self.elapsedSeconds = elapsedSeconds
    }

    /// The small part of a version-2 file, as one JSON line; the arrays follow as raw bytes.
    struct Header: Codable {
        var formatVersion: Int
        var configFingerprint: String
        var trajectoryConfig: String
        var step: Int
        var optimizerStep: Int
        var parameterCount: Int
        var firstCount: Int
        var secondCount: Int
        var rngDraw: UInt64
        var elapsedSeconds: Double
    }

    static let magic2 = Data("INFOMAXCKPT2\n".utf8)
    static let magic1 = Data("INFOMAXCKPT1\n".utf8)

    /// Serialised form (version 2): magic, the checksum line, a JSON header line, then the
    /// parameters and optimizer moments as little-endian Float32. Encoding a 2-million-parameter
    /// state takes milliseconds (version 1's all-JSON form took seconds), which lets rank 0 save
    /// the last completed step within Open MPI's 2 s between SIGTERM and SIGKILL.
    public func encoded() throws -> Data {
        let header = Header(
            formatVersion: 2, configFingerprint: configFingerprint, trajectoryConfig: trajectoryConfig,
            step: step, optimizerStep: optimizer.step, parameterCount: parameters.count,
            firstCount: optimizer.first.count, secondCount: optimizer.second.count,
            rngDraw: rngDraw, elapsedSeconds: elapsedSeconds)
        var body = try JSONEncoder().encode(header)
        body.append(10)
        let floats = parameters.count + optimizer.first.count + optimizer.second.count
        body.reserveCapacity(body.count + floats * 4)
        for array in [parameters, optimizer.first, optimizer.second] {
            array.withUnsafeBufferPointer { b in
                b.withMemoryRebound(to: UInt32.self) { words in
                    #if _endian(big)
                        for w in words { withUnsafeBytes(of: w.littleEndian) { body.append(contentsOf: $0) } }
                    #else
                        body.append(contentsOf: UnsafeRawBufferPointer(words))
                    #endif
                }
            }
        }
        var data = Checkpoint.magic2
        data.append(Data(String(format: "%016llx\n", Checkpoint.checksum(body)).utf8))
        data.append(body)
        return data
    }

    /// FNV-1a 64 over 8-byte words (then the remaining bytes): the version-2 checksum, fast
    /// enough for large states even in a debug build.
    static func checksum(_ data: Data) -> UInt64 {
        data.withUnsafeBytes { raw in
            var h = FNV1a.offsetBasis
            let words = raw.count / 8
            for i in 0..<words {
                h = (h ^ UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))) &* FNV1a.prime
            }
            for i in (words * 8)..<raw.count { h = FNV1a.mix(h, raw[i]) }
            return h
        }
    }

    /// Reads and verifies a checkpoint file.
    public static func read(from url: URL) throws -> Checkpoint {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw CheckpointError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        return try decode(data, path: url.path)
    }

    /// Verifies and decodes the bytes of a checkpoint file (`path` is for messages): version 2,
    /// or version 1 (all JSON) as earlier builds wrote it.
    public static func decode(_ data: Data, path: String) throws -> Checkpoint {
        let url = URL(fileURLWithPath: path)
        guard data.count > magic2.count + 17 else {
            throw CheckpointError.corrupt(path: url.path, reason: "not an InfoMaxMPI checkpoint")
        }
        let isVersion2 = data.prefix(magic2.count) == magic2
        guard isVersion2 || data.prefix(magic1.count) == magic1 else {
            throw CheckpointError.corrupt(path: url.path, reason: "not an InfoMaxMPI checkpoint")
        }
        let sumText = String(
            decoding: data[(data.startIndex + magic2.count)..<(data.startIndex + magic2.count + 16)], as: UTF8.self)
        let body = Data(data.suffix(from: data.startIndex + magic2.count + 17))
        let sum = isVersion2 ? checksum(body) : FNV1a.hash(bytes: body)
        guard let expected = UInt64(sumText, radix: 16), expected == sum else {
            throw CheckpointError.corrupt(path: url.path, reason: "checksum mismatch")
        }
        if isVersion2 { return try decodeVersion2(body, path: url.path) }
        do {
            let c = try JSONDecoder().decode(Checkpoint.self, from: body)
            guard c.formatVersion == 1 else {
                throw CheckpointError.corrupt(
                    path: url.path, reason: "format version \(c.formatVersion) in a version-1 file")
            }
            return c
        } catch let e as CheckpointError { throw e } catch {
            throw CheckpointError.corrupt(path: url.path, reason: "\(error)")
        }
    }

    private static func decodeVersion2(_ body: Data, path: String) throws -> Checkpoint {
        guard let newline = body.firstIndex(of: 10) else {
            throw CheckpointError.corrupt(path: path, reason: "no header line")
        }
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: body[body.startIndex..<newline]) } catch {
            throw CheckpointError.corrupt(path: path, reason: "\(error)")
        }
        guard header.formatVersion == 2 else {
            throw CheckpointError.corrupt(
                path: path, reason: "format version \(header.formatVersion), this build reads 1 and 2")
        }
        let counts = [header.parameterCount, header.firstCount, header.secondCount]
        let payload = body.suffix(from: newline + 1)
        guard counts.allSatisfy({ $0 >= 0 }), payload.count == counts.reduce(0, +) * 4 else {
            throw CheckpointError.corrupt(path: path, reason: "\(payload.count) payload bytes for \(counts) values")
        }
        var arrays: [[Float]] = []
        var offset = 0
        payload.withUnsafeBytes { raw in
            for n in counts {
                arrays.append(
                    [Float](unsafeUninitializedCapacity: n) { b, c in
                        #if _endian(little)
                            if n > 0, let target = b.baseAddress, let source = raw.baseAddress {
                                UnsafeMutableRawPointer(target).copyMemory(from: source + offset, byteCount: 4 * n)
                            }
                        #else
                            for i in 0..<n {
                                b[i] = Float(
                                    bitPattern: UInt32(
                                        littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4 * i, as: UInt32.self)
                                    ))
                            }
                        #endif
                        c = n
                    })
                offset += 4 * n
            }
        }
        var c = Checkpoint(
            configFingerprint: header.configFingerprint, trajectoryConfig: header.trajectoryConfig, step: header.step,
            parameters: arrays[0],
            optimizer: OptimizerState(step: header.optimizerStep, first: arrays[1], second: arrays[2]),
            rngDraw: header.rngDraw, elapsedSeconds: header.elapsedSeconds)
        c.formatVersion = 2
        return c
    }

    /// Writes atomically with RunRecords' `AtomicFile` (a unique temp file in the same folder,
    /// fsync, rename over `url`, fsync of the folder), creating the folder if needed.
    public func write(to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AtomicFile.write(try encoded(), to: url)
    }
}
