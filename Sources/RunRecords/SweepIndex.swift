// SweepIndex: sweep.json of a sweep folder (its parameters and points) and the columns of
// sweep.csv (one row per finished point).
import Foundation

/// sweep.json: the grid's parameters (config keys) and its points, each with its values and
/// folder. Written by `infomax sweep` (and by `infomax train` for a mode comparison).
public struct SweepIndex: Sendable, Equatable {
    /// The file's name in a sweep folder.
    public static let file = "sweep.json"

    /// One point of the grid.
    public struct Point: Sendable, Equatable {
        public var name: String
        /// The point's value of each parameter (in `parameters` order when written).
        public var values: [String: JSONValue]
        /// The point's run folder, relative to the sweep folder (or absolute).
        public var folder: String

        public init(name: String, values: [String: JSONValue], folder: String? = nil) {
            self.name = name
            self.values = values
            self.folder = folder ?? "points/\(name)"
        }
    }

    /// The grid's parameters (config keys), in axis order.
    public var parameters: [String]
    public var points: [Point]
    /// "strong" or "weak" for a scaling sweep (parameter `ranks`), else nil.
    public var scaling: String?

    public init(parameters: [String], points: [Point], scaling: String? = nil) {
        self.parameters = parameters
        self.points = points
        self.scaling = scaling
    }

    /// The file's text: compact, keys in the order parameters, points (name, values, folder),
    /// a point's values in `parameters` order.
    public var text: String {
        var members: [(key: String, value: JSONValue)] = [
            (key: "parameters", value: .array(parameters.map { .string($0) })),
            (
                key: "points",
                value: .array(
                    points.map { p in
                        .object([
                            (key: "name", value: .string(p.name)),
                            (
                                key: "values",
                                value: .object(
                                    orderedKeys(p.values).compactMap { k in p.values[k].map { (key: k, value: $0) } })
                            ),
                            (key: "folder", value: .string(p.folder)),
                        ])
                    })
            ),
        ]
        if let scaling { members.append((key: "scaling", value: .string(scaling))) }
        return JSONValue.object(members).serialized()
    }

    /// `parameters` first, then any other keys sorted.
    private func orderedKeys(_ values: [String: JSONValue]) -> [String] {
        parameters.filter { values[$0] != nil } + values.keys.filter { !parameters.contains($0) }.sorted()
    }

    /// Reads sweep.json; `RecordError.missingFile` (with `hint`) or `.malformed`.
    public static func read(_ url: URL, hint: String) throws -> SweepIndex {
        try RecordCoding.read(SweepIndex.self, from: url, hint: hint, plain: true)
    }

    /// The summary figures of sweep.csv, after `point` and the parameters (then `status`, `error`).
    public static var csvFigures: [String] { RunSummary.tableFigures.map(\.key) }

    /// A point's figures in `csvFigures` order (nil: not in the summary, or no summary).
    public static func csvFigureValues(_ s: RunSummary?) -> [Double?] {
        RunSummary.tableFigures.map { figure in s.flatMap { $0[keyPath: figure.value] } }
    }
}

extension SweepIndex: Decodable {
    private enum Keys: String, CodingKey { case parameters, points, scaling }
    private enum PointKeys: String, CodingKey { case name, values, folder }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        parameters = try c.decode([JSONValue].self, forKey: .parameters).map(\.displayString)
        scaling = try c.decodeIfPresent(String.self, forKey: .scaling)
        var list = try c.nestedUnkeyedContainer(forKey: .points)
        var points: [Point] = []
        while !list.isAtEnd {
            let p = try list.nestedContainer(keyedBy: PointKeys.self)
            let name = try p.decode(JSONValue.self, forKey: .name).displayString
            let values = try p.decodeIfPresent([String: JSONValue].self, forKey: .values) ?? [:]
            points.append(
                Point(name: name, values: values, folder: try p.decodeIfPresent(String.self, forKey: .folder)))
        }
        self.points = points
    }
}
