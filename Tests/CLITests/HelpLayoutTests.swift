// Help layout: every command's `--help`, rendered by the built `infomax` at 80 columns (the
// parser's default width), has no line wider than 80 (but the usage line, which the parser
// never wraps) and no line broken in the middle of a sentence: the stray one or two words
// that a text hard-wrapped wider than the parser's width leaves behind. The commands are
// found in the binary's own help dump, so a new subcommand is checked without being listed.
import Foundation
import XCTest

final class HelpLayoutTests: XCTestCase {
    /// The built `infomax` next to this test bundle (.build/<config>/).
    static var infomax: URL {
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("infomax")
        }
        return Bundle.main.bundleURL.appendingPathComponent("infomax")
    }

    /// Runs `infomax arguments` without MPI (help needs none) at `columns`; its stdout.
    static func run(_ arguments: [String], columns: Int = 80) throws -> String {
        let p = Process()
        p.executableURL = infomax
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { key, _ in
            !key.hasPrefix("OMPI_") && !key.hasPrefix("PMIX_")
        }
        env["COLUMNS"] = "\(columns)"
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()  // until the process closes it
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Every command path of the tool ([], ["train"], ["bench", "step"], ...), from
    /// ArgumentParser's JSON help dump.
    static func commandPaths() throws -> [[String]] {
        let dump = try run(["--experimental-dump-help"])
        guard let root = try JSONSerialization.jsonObject(with: Data(dump.utf8)) as? [String: Any],
            let command = root["command"] as? [String: Any]
        else { return [] }
        var paths: [[String]] = []
        func walk(_ node: [String: Any], _ path: [String]) {
            paths.append(path)
            for sub in node["subcommands"] as? [[String: Any]] ?? [] {
                guard let name = sub["commandName"] as? String, name != "help" else { continue }
                walk(sub, path + [name])
            }
        }
        walk(command, [])
        return paths
    }

    /// Lines of `text` that look broken mid-sentence. Two signs of a text hard-wrapped wider
    /// than the parser's width: (1) a line of at most two words (or 16 characters) after a
    /// line filled to near the width, followed by more text at its own indentation, and not
    /// ending a sentence, label or list item itself; (2) a layout line (indented) filled to
    /// near the width and continued at column 0 by a fragment (lowercase, or two words at
    /// most): the parser's wrap of a line that was too wide for it.
    static func strayLines(_ text: String, columns: Int = 80) -> [String] {
        let lines = text.components(separatedBy: "\n")
        func indent(_ s: String) -> Int { s.prefix { $0 == " " }.count }
        func blank(_ s: String) -> Bool { s.trimmingCharacters(in: .whitespaces).isEmpty }
        var found: [String] = []
        for i in 1..<max(lines.count, 1) {
            let (before, line) = (lines[i - 1], lines[i])
            let after = i + 1 < lines.count ? lines[i + 1] : ""
            guard !blank(line), before.count >= columns - 25 else { continue }
            let fragment = line.first?.isLowercase == true || line.split(separator: " ").count <= 2
            if indent(before) > 0, indent(line) == 0, before.count >= columns - 12, fragment {
                found.append("\(i + 1): '\(line)' wraps the layout line '\(before)'")
                continue
            }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard line.split(separator: " ").count <= 2 || trimmed.count <= 16, indent(before) == indent(line) else {
                continue
            }
            guard !blank(after), indent(after) == indent(line) else { continue }
            if let last = trimmed.last, ".:;!?".contains(last) { continue }
            found.append("\(i + 1): '\(line)' after '\(before)'")
        }
        return found
    }

    func testTheDetectorFindsAHardWrappedParagraph() {
        // A paragraph hard-wrapped at 90 columns, as the parser re-wraps it at 80.
        let bad = """
              Launch every subcommand with mpirun (or srun --mpi=pmix); each rank generates its
              own
              shard of the synthetic data, and rank 0 prints and writes the results of the run.
            """
        XCTAssertEqual(Self.strayLines(bad).count, 1, Self.strayLines(bad).joined(separator: "\n"))
        // A layout line of 90 columns, as the parser re-wraps it at 80.
        let table = """
              mpirun -np 2 infomax train            # the embedded default: multi- vs
            single-modal
              mpirun -np 2 infomax bench            # time per step by phase
            """
        XCTAssertEqual(Self.strayLines(table).count, 1, Self.strayLines(table).joined(separator: "\n"))
        let good = """
              Launch every subcommand with mpirun (or srun --mpi=pmix); each rank generates its
              own shard of the synthetic data, and rank 0 prints and writes the results.

              Examples:
                mpirun -np 2 infomax info
            """
        XCTAssertEqual(Self.strayLines(good), [])
    }

    func testEveryHelpReadsCleanlyAt80Columns() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.infomax.path) else {
            throw XCTSkip("\(Self.infomax.path) is not built; run `swift build --build-tests` first")
        }
        let paths = try Self.commandPaths()
        XCTAssertGreaterThanOrEqual(paths.count, 10, "infomax, train, sweep, report, bench (+4), info: \(paths)")
        for path in paths {
            let name = (["infomax"] + path).joined(separator: " ")
            let help = try Self.run(path + ["--help"])
            XCTAssertTrue(help.contains("USAGE:"), "\(name) --help printed no usage:\n\(help)")
            // The parser never wraps the usage line; everything else must fit.
            for line in help.components(separatedBy: "\n") where line.count > 80 && !line.hasPrefix("USAGE:") {
                XCTFail("\(name) --help: a line of \(line.count) columns: \(line)")
            }
            let stray = Self.strayLines(help)
            XCTAssertEqual(
                stray, [], "\(name) --help breaks lines mid-sentence:\n" + stray.joined(separator: "\n") + "\n\n" + help
            )
        }
    }
}
