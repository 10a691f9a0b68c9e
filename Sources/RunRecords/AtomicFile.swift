// AtomicFile: replace a file's contents all at once (temp file in the same folder, fsync, rename).
import Foundation

/// Writes files so that readers (and a crash) see either the old or the new contents, never a mix.
public enum AtomicFile {
    /// Writes `data` to a temporary file next to `url`, fsyncs it, renames it over `url`, and fsyncs the folder.
    public static func write(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        var template = Array(folder.appendingPathComponent(".\(url.lastPathComponent).tmp.XXXXXX").path.utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw RecordError.io(url, operation: "creating a temporary file in \(folder.path)", errno: errno)
        }
        let tempPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var closed = false
        defer {
            if !closed { close(fd) }
        }
        do {
            _ = fchmod(fd, 0o644)
            try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                var offset = 0
                while offset < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw RecordError.io(url, operation: "writing", errno: errno)
                    }
                    offset += n
                }
            }
            guard fsync(fd) == 0 else { throw RecordError.io(url, operation: "fsync", errno: errno) }
            closed = true
            guard close(fd) == 0 else { throw RecordError.io(url, operation: "close", errno: errno) }
            guard rename(tempPath, url.path) == 0 else { throw RecordError.io(url, operation: "rename", errno: errno) }
        } catch {
            unlink(tempPath)
            throw error
        }
        let dirfd = open(folder.path, O_RDONLY)
        if dirfd >= 0 {
            _ = fsync(dirfd)
            close(dirfd)
        }
    }

    /// Writes `text` as UTF-8, atomically.
    public static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }
}
