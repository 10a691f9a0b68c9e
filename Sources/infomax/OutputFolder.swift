// OutputFolder — the folders `train`, `sweep` and `bench` write into: every one gets a marker
// file (.infomax-run) when it is created, a non-empty folder without the marker is never
// written into, and `--force` empties only a marked folder that holds nothing but the entries
// our runs write. What the program did not create is never deleted.
import Foundation
import Report
import RunRecords
import Training

enum OutputFolder {
    /// What kind of output a folder holds (recorded in the marker).
    enum Kind: String { case run, sweep, bench }

    /// The marker every output folder gets: `{"tool": "infomax", "kind": ..., "version": ..., "created": ...}`.
    static let markerName = FolderMarker.file
    /// Recorded in the marker (the format of the run folders; bump it when their layout changes).
    static let version = "1"

    /// The files our runs, sweeps and benches write into their folder.
    static let ownFiles: Set<String> = [
        markerName, "config.json", "base-config.json", "metrics.csv", "metrics.jsonl", "summary.json",
        "checkpoint.ckpt", "report.html", "sweep.json", "sweep.csv", "comparison.csv", "bench.json", "bench.csv",
        "image-encoder.json",
    ]
    /// The folders they write: chart data of the report, and one run folder per point.
    static let reportData = "report_data"
    static let points = "points"

    /// Why an output folder cannot be used, naming the path and what to do: exit 64 on every rank.
    static func refused(_ message: String) -> RootError {
        RootError(message: message, exitCode: ExitCodes.usage)
    }

    /// Checks `url` for a new or continued run of `kind` and makes it ready: creates it (and its
    /// marker) when it does not exist or is empty, refuses a file, a path under a file and a
    /// non-empty folder without our marker, and with `force` first removes every entry of a
    /// marked folder — refusing, before deleting anything, when one entry is not ours.
    /// Rank 0 only. Throws `refused(...)` (exit 64).
    static func prepare(_ url: URL, kind: Kind, force: Bool) throws {
        let path = url.path
        if path.isEmpty { throw OutputFolder.refused("the output folder is empty: pass --output DIR") }
        switch try inspect(url) {
        case .missing:
            try create(url, kind: kind)
        case .empty:
            try writeMarker(url, kind: kind)
        case .marked:
            if force {
                if let foreign = try foreignEntry(in: url) {
                    throw OutputFolder.refused("--force refuses to empty \(path): it holds \(foreign), which infomax did not write; "
                                            + "move it away or choose another --output (nothing was deleted)")
                }
                try removeContents(of: url)
                try writeMarker(url, kind: kind)
            }
        case .unmarked(let example):
            throw OutputFolder.refused("\(path) is not an infomax output folder (it has no \(markerName) marker and holds \(example)); "
                                    + (force ? "--force only empties folders infomax created, and nothing was deleted; " : "")
                                    + "choose a new or empty folder with --output")
        }
    }

    enum State: Equatable { case missing, empty, marked, unmarked(example: String) }

    /// Refuses (like `prepare` without `force`) a file, a path under a file and a non-empty
    /// folder without our marker; returns what is there. Rank 0 only.
    @discardableResult
    static func requireUsable(_ url: URL) throws -> State {
        if url.path.isEmpty { throw OutputFolder.refused("the output folder is empty: pass --output DIR") }
        let state = try inspect(url)
        if case .unmarked(let example) = state {
            throw OutputFolder.refused("\(url.path) is not an infomax output folder (it has no \(markerName) marker and holds \(example)); "
                                    + "choose a new or empty folder with --output")
        }
        return state
    }

    /// What is at `url`: nothing, an empty folder, a folder with our marker, or another folder.
    /// A file, or a path under a file, is refused.
    static func inspect(_ url: URL) throws -> State {
        let path = url.path
        var st = stat()
        if stat(path, &st) != 0 {
            let err = errno
            if err == ENOENT {
                // A missing folder is fine when its nearest existing parent is a folder we may write.
                var parent = url.deletingLastPathComponent()
                while parent.path != "/" && !FileManager.default.fileExists(atPath: parent.path) { parent = parent.deletingLastPathComponent() }
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: parent.path, isDirectory: &isDir), !isDir.boolValue {
                    throw OutputFolder.refused("cannot create the output folder \(path): \(parent.path) is a file, not a folder; choose another --output")
                }
                return .missing
            }
            if err == ENOTDIR {
                throw OutputFolder.refused("cannot create the output folder \(path): a part of that path is a file, not a folder; choose another --output")
            }
            throw OutputFolder.refused("cannot use the output folder \(path): \(String(cString: strerror(err))); choose another --output")
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw OutputFolder.refused("the output path \(path) is a file, not a folder; choose another --output (it was left untouched)")
        }
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw OutputFolder.refused("cannot list the output folder \(path) (check its permissions); choose another --output")
        }
        // Temporary files of an atomic write in progress (another array task) do not count.
        let real = entries.filter { !isTemporary($0) }.sorted()
        if real.isEmpty { return .empty }
        if hasMarker(url) { return .marked }
        return .unmarked(example: "'\(real[0])'")
    }

    /// True when `url` holds our marker: a regular file whose JSON names the tool.
    static func hasMarker(_ url: URL) -> Bool {
        let marker = url.appendingPathComponent(markerName)
        guard isRegularFile(marker.path), let data = FileManager.default.contents(atPath: marker.path) else { return false }
        return FolderMarker.isMarker(data)
    }

    /// The first entry under marked folder `url` that our runs do not write, as a quoted path
    /// relative to `url`, or nil when every entry is ours: our files (regular files, or their
    /// temporaries), report_data/ with the report's CSVs and its file list only, points/ whose every entry is itself a
    /// marked folder holding only our entries. Symbolic links are never ours.
    static func foreignEntry(in url: URL, prefix: String = "") throws -> String? {
        let fm = FileManager.default
        let entries: [String]
        do { entries = try fm.contentsOfDirectory(atPath: url.path).sorted() } catch {
            return "'\(prefix.isEmpty ? url.path : prefix)' (cannot be listed)"
        }
        for name in entries {
            let child = url.appendingPathComponent(name)
            let shown = "'\(prefix)\(name)'"
            if ownFiles.contains(name) || isTemporary(name) {
                if !isRegularFile(child.path) { return shown + " (not a regular file)" }
            } else if name == reportData {
                guard isDirectory(child.path) else { return shown + " (not a folder)" }
                let files: [String]
                do { files = try fm.contentsOfDirectory(atPath: child.path).sorted() } catch { return shown + " (cannot be listed)" }
                let manifest = RunFolderReport.manifestName
                for f in files
                where !isRegularFile(child.appendingPathComponent(f).path)
                    || !(f.hasSuffix(".csv") || f == manifest || f.hasPrefix(".\(manifest).tmp") || isTemporary(f)) {
                    return "'\(prefix)\(name)/\(f)'"
                }
            } else if name == points {
                guard isDirectory(child.path) else { return shown + " (not a folder)" }
                let runs: [String]
                do { runs = try fm.contentsOfDirectory(atPath: child.path).sorted() } catch { return shown + " (cannot be listed)" }
                for r in runs {
                    let run = child.appendingPathComponent(r)
                    let shownRun = "'\(prefix)\(name)/\(r)'"
                    guard isDirectory(run.path) else { return shownRun }
                    guard hasMarker(run) else { return shownRun + " (a folder without the \(markerName) marker)" }
                    if let f = try foreignEntry(in: run, prefix: "\(prefix)\(name)/\(r)/") { return f }
                }
            } else {
                return shown
            }
        }
        return nil
    }

    /// Removes every entry of `url` (already checked by `foreignEntry`), keeping the folder itself
    /// (it may be the working directory).
    static func removeContents(of url: URL) throws {
        let fm = FileManager.default
        let names = (try? fm.contentsOfDirectory(atPath: url.path)) ?? []
        for name in names where ownFiles.contains(name) || isTemporary(name) || name == reportData || name == points {
            let child = url.appendingPathComponent(name)
            do { try fm.removeItem(at: child) } catch {
                throw OutputFolder.refused("--force could not remove \(child.path) (check its permissions); the folder is partly emptied")
            }
        }
    }

    /// Creates `url` and its missing parents (mkdir -p), then the marker.
    static func create(_ url: URL, kind: Kind) throws {
        var missing: [URL] = []
        var p = url
        while !FileManager.default.fileExists(atPath: p.path) && p.path != "/" && !p.path.isEmpty {
            missing.append(p)
            p = p.deletingLastPathComponent()
        }
        for dir in missing.reversed() where mkdir(dir.path, 0o755) != 0 && errno != EEXIST {
            throw OutputFolder.refused("cannot create the output folder \(url.path): \(String(cString: strerror(errno))) "
                                    + "(at \(dir.path)); choose another --output")
        }
        try writeMarker(url, kind: kind)
    }

    /// Writes the marker (atomically) with the tool, the kind of output, the format version and the time.
    static func writeMarker(_ url: URL, kind: Kind) throws {
        let formatter = ISO8601DateFormatter()
        let marker = FolderMarker(kind: kind.rawValue, version: version, created: formatter.string(from: Date()))
        do { try AtomicFile.write(marker.text, to: url.appendingPathComponent(markerName)) } catch {
            throw OutputFolder.refused("cannot write into the output folder \(url.path) (\(error)); check its permissions or choose another --output")
        }
    }

    /// A temporary file of AtomicFile (`.NAME.tmp.XXXXXX`) or of the checkpoint writer (`.NAME.tmp-PID`).
    static func isTemporary(_ name: String) -> Bool {
        guard name.hasPrefix(".") else { return false }
        return ownFiles.contains { name.hasPrefix(".\($0).tmp") } || name.contains(".csv.tmp")
    }

    static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }
}
