// Palette: the colours (and, past them, dash patterns) that tell a chart's series apart.

/// Colour-blind-safe colours (Okabe & Ito), ordered for a white background.
public enum Palette {
    public static let colors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#B8A100"]
    /// Colour `i`, cycling.
    public static func color(_ i: Int) -> String { colors[i % colors.count] }
    /// A dash pattern for series beyond the palette's length (so the 9th series differs from the 1st).
    public static func dash(_ i: Int) -> String? {
        i < colors.count ? nil : ["6 3", "2 3", "8 3 2 3"][(i / colors.count - 1) % 3]
    }
}
