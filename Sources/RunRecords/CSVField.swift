// CSVField: one cell of a CSV row and its text — RFC 4180 quoting, full-precision numbers,
// "nan"/"inf" for non-finite values — shared by CSVWriter and the report's chart data.
import Foundation

/// One cell of a CSV row.
public enum CSVField: Equatable, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    /// An empty cell (pandas reads it as NaN): a metric not computed at this step.
    case empty
    case number(Double)
    case float(Float)
    case integer(Int)
    case text(String)

    public init(floatLiteral value: Double) { self = .number(value) }
    public init(integerLiteral value: Int) { self = .integer(value) }
    public init(stringLiteral value: String) { self = .text(value) }

    /// The cell as written, with RFC 4180 quoting when needed.
    public var rendered: String {
        switch self {
        case .empty: return ""
        case let .number(x): return NumberText.roundTrip(x)
        case let .float(x): return NumberText.roundTrip(x)
        case let .integer(i): return String(i)
        case let .text(s): return CSVField.quoted(s)
        }
    }

    /// Quotes `s` if it holds a comma, quote, CR or LF (RFC 4180), doubling inner quotes.
    public static func quoted(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else {
            return s
        }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
