// FolderMarker: the `.infomax-run` file every output folder gets when infomax creates it, so
// that a folder the program did not create is never written into nor emptied.
import Foundation

/// `{"tool": "infomax", "kind": ..., "version": ..., "created": ...}`.
public struct FolderMarker: Decodable, Sendable, Equatable {
    /// The file's name in an output folder.
    public static let file = ".infomax-run"
    /// The tool every marker names.
    public static let tool = "infomax"

    public var tool: String
    /// What the folder holds: run, sweep or bench.
    public var kind: String
    /// The format of the run folders (bumped when their layout changes).
    public var version: String
    /// When the folder was created (ISO 8601).
    public var created: String

    public init(kind: String, version: String, created: String) {
        tool = FolderMarker.tool
        self.kind = kind
        self.version = version
        self.created = created
    }

    /// The file's text: compact, keys in the order tool, kind, version, created; a final newline.
    public var text: String {
        JSONValue.object([
            (key: "tool", value: .string(tool)), (key: "kind", value: .string(kind)),
            (key: "version", value: .string(version)), (key: "created", value: .string(created)),
        ]).serialized() + "\n"
    }

    /// Whether `data` is a marker of this tool (any other content, or none: false).
    public static func isMarker(_ data: Data) -> Bool {
        (try? JSONDecoder().decode(ToolProbe.self, from: data))?.tool == tool
    }

    /// The `tool` key alone (a named type: see BenchReport.SchemaProbe).
    struct ToolProbe: Decodable { var tool: String? }
}
