// SweepFolder: reading a sweep folder of the trainer — sweep.json (RunRecords' SweepIndex) plus
// one run folder per point — with each point's grid values and its modality mode parsed once.
import Foundation
import RunRecords

/// A parameter sweep: `sweep.json` and one run folder per point.
public struct SweepFolder {
    /// One point of the sweep; `run` is nil when its folder has no results yet.
    public struct Point {
        public let name: String
        public let values: [(key: String, value: JSONValue)]
        public let folder: URL
        public let run: RunFolder?
        /// Why `run` is nil, or a load error.
        public let problem: String?
        /// The point's modality mode: its `mode` value when that names one, else nil (a sweep
        /// that does not vary the mode).
        public let mode: ModalityMode?

        init(name: String, values: [(key: String, value: JSONValue)], folder: URL, run: RunFolder?, problem: String?) {
            self.name = name; self.values = values; self.folder = folder; self.run = run; self.problem = problem
            let modeValue = values.first { $0.key == SweepFolder.modeParameter }?.value
            mode = modeValue.flatMap { ModalityMode(rawValue: $0.displayString) }
        }

        /// The value of `parameter` at this point.
        public func value(_ parameter: String) -> JSONValue? { values.first { $0.key == parameter }?.value }
    }

    public static let file = SweepIndex.file
    /// The grid key of the modality mode (the config key `mode`).
    public static let modeParameter = "mode"

    public let url: URL
    public let parameters: [String]
    /// "strong" or "weak" for scaling sweeps (parameter `ranks`), else nil.
    public let scaling: String?
    public let points: [Point]
    public let manifest: SweepIndex

    /// Loads `sweep.json` and every point's run folder. Points without results are kept with
    /// `run == nil` (a sweep still running can be reported); a malformed sweep.json throws.
    public static func load(_ url: URL) throws -> SweepFolder {
        let file = url.appendingPathComponent(Self.file)
        let manifest = try SweepIndex.read(file, hint: "not a sweep folder; pass the output folder of `infomax sweep`, "
            + "or a run folder with metrics.csv")
        let parameters = manifest.parameters
        var points: [Point] = []
        for p in manifest.points {
            let name = p.name
            let values = manifest.parameters.compactMap { k in p.values[k].map { (key: k, value: $0) } }
            let folderText = p.folder
            let folder = folderText.hasPrefix("/") ? URL(fileURLWithPath: folderText)
                : url.appendingPathComponent(folderText)
            do {
                let run = try RunFolder.load(folder)
                points.append(Point(name: name, values: values, folder: folder, run: run, problem: nil))
            } catch let e as RecordError {
                let problem: String
                if case .missingFile = e { problem = "no results yet" } else { problem = e.description }
                points.append(Point(name: name, values: values, folder: folder, run: nil, problem: problem))
            }
        }
        return SweepFolder(url: url, parameters: parameters, scaling: manifest.scaling?.lowercased(),
                           points: points, manifest: manifest)
    }
}
