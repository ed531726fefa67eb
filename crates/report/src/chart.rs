//! Horizontal bar charts drawn on the server as SVG: no script, no font
//! measurement (labels are the browser's text, in their own column), so a
//! chart prints and reads on a phone like the page around it.

/// One bar: its label, its value, and the value as the chart shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub shown: String,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A bar chart of `bars` titled `title`: each label above its bar, the
/// longest bar at full width, negative values drawn as empty bars. Labels
/// above the bars keep the chart narrow (it reads on a phone) and never cut
/// a long label.
pub fn svg_bars(title: &str, bars: &[Bar]) -> String {
    const ROW: usize = 38;
    const BAR: f64 = 300.0;
    const WIDTH: usize = 420;
    let height = 30 + ROW * bars.len();
    let max = bars.iter().map(|b| b.value).fold(0.0_f64, f64::max);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" role=\"img\" aria-label=\"{t}\" font-family=\"sans-serif\" font-size=\"12\">\
         <title>{t}</title><text x=\"0\" y=\"16\" font-weight=\"bold\">{t}</text>",
        t = escape(title)
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = 28 + i * ROW;
        let width = if max > 0.0 && bar.value > 0.0 {
            (bar.value / max * BAR).round()
        } else {
            0.0
        };
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{ly}\">{label}</text>\
             <rect x=\"0\" y=\"{by}\" width=\"{width}\" height=\"14\" fill=\"#8b1a1a\"/>\
             <text x=\"{vx}\" y=\"{vy}\">{shown}</text>",
            ly = y + 12,
            label = escape(&bar.label),
            by = y + 17,
            vx = width + 4.0,
            vy = y + 29,
            shown = escape(&bar.shown),
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_scaled_to_the_largest_and_labels_escaped() {
        let bars = [
            Bar {
                label: "Xuân An".into(),
                value: 2.5,
                shown: "2,50 %".into(),
            },
            Bar {
                label: "A & B <x>".into(),
                value: 5.0,
                shown: "5,00 %".into(),
            },
            Bar {
                label: "Không".into(),
                value: 0.0,
                shown: "0 %".into(),
            },
        ];
        let svg = svg_bars("Tỷ lệ hộ nghèo", &bars);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("width=\"150\""), "half of the longest: {svg}");
        assert!(svg.contains("width=\"300\""));
        assert!(svg.contains("width=\"0\""));
        assert!(svg.contains("A &amp; B &lt;x&gt;") && !svg.contains("<x>"));
        assert!(svg.contains("<title>Tỷ lệ hộ nghèo</title>"));
    }
}
