//! Charts as SVG, drawn on the server by charts-rs, each in a `<figure>`
//! with its numbers in a table under it (the chart is a picture of the
//! table, never the only place a number is).
//!
//! Hover values: charts-rs marks each bar or point with a `<title>` and a
//! hidden label that CSS reveals; its `<style>` for that is taken out of
//! the SVG (the Content-Security-Policy forbids inline styles) and lives
//! in `app.css` instead.

use charts_rs::{BarChart, HorizontalBarChart, LineChart, Series};
use maud::{Markup, PreEscaped, html};

/// One named row of values, one per label.
pub struct Line {
    pub name: String,
    pub values: Vec<f64>,
}

impl Line {
    pub fn new(name: &str, values: Vec<f64>) -> Self {
        Self {
            name: name.into(),
            values,
        }
    }
}

fn series(lines: &[Line]) -> Vec<Series> {
    lines
        .iter()
        .map(|l| {
            (
                l.name.as_str(),
                l.values.iter().map(|v| *v as f32).collect::<Vec<f32>>(),
            )
                .into()
        })
        .collect()
}

/// The SVG without charts-rs's inline `<style>` element.
fn without_style(svg: String) -> String {
    match (svg.find("<style>"), svg.find("</style>")) {
        (Some(start), Some(end)) if end > start => {
            format!("{}{}", &svg[..start], &svg[end + "</style>".len()..])
        }
        _ => svg,
    }
}

/// A chart and its table, or a note when there is nothing to draw.
fn figure(
    title: &str,
    svg: charts_rs::Result<String>,
    labels: &[String],
    lines: &[Line],
) -> Markup {
    let empty = labels.is_empty() || lines.iter().all(|l| l.values.is_empty());
    html! {
        figure.chart {
            figcaption { (title) }
            @if empty {
                p.empty { "Nothing to draw for these filters." }
            } @else {
                @match svg {
                    Ok(svg) => div.svg role="img" aria-label=(title) { (PreEscaped(without_style(svg))) },
                    Err(e) => p.error { "The chart could not be drawn: " (e.to_string()) },
                }
                div.scroll {
                    table.data.figures {
                        thead { tr {
                            th scope="col" { "" }
                            @for l in lines { th scope="col" { (l.name) } }
                        } }
                        tbody {
                            @for (i, label) in labels.iter().enumerate() {
                                tr {
                                    th scope="row" { (label) }
                                    @for l in lines {
                                        td.num { (l.values.get(i).map(|v| number(*v)).unwrap_or_default()) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Whole numbers without decimals, others with up to 4.
pub fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let text = format!("{v:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

const WIDTH: f32 = 640.0;
const HEIGHT: f32 = 300.0;

/// Vertical bars, one group per label.
pub fn bars(title: &str, labels: Vec<String>, lines: Vec<Line>) -> Markup {
    let mut chart = BarChart::new(series(&lines), labels.clone());
    chart.base.width = WIDTH;
    chart.base.height = HEIGHT;
    chart.base.tooltip.show = true;
    chart.base.legend.show = Some(lines.len() > 1);
    figure(title, chart.svg(), &labels, &lines)
}

/// Horizontal bars, one per label: a funnel or a ranking.
pub fn hbars(title: &str, labels: Vec<String>, lines: Vec<Line>) -> Markup {
    let mut chart = HorizontalBarChart::new(series(&lines), labels.clone());
    chart.base.width = WIDTH;
    chart.base.height = (60.0 + 36.0 * labels.len() as f32).min(HEIGHT * 2.0);
    chart.base.tooltip.show = true;
    chart.base.legend.show = Some(lines.len() > 1);
    figure(title, chart.svg(), &labels, &lines)
}

/// Lines over the labels (months, days).
pub fn lines(title: &str, labels: Vec<String>, lines: Vec<Line>) -> Markup {
    let mut chart = LineChart::new(series(&lines), labels.clone());
    chart.base.width = WIDTH;
    chart.base.height = HEIGHT;
    chart.base.tooltip.show = true;
    chart.base.legend.show = Some(lines.len() > 1);
    figure(title, chart.svg(), &labels, &lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_comes_with_its_numbers_and_no_inline_style() {
        let html = bars(
            "Users by category",
            vec!["engaging".into(), "dormant <x>".into()],
            vec![Line::new("users", vec![12.0, 3.5])],
        )
        .into_string();
        assert!(html.contains("<svg"), "{html}");
        assert!(!html.contains("<style"), "{html}");
        assert!(html.contains("<title>"), "hover values: {html}");
        assert!(html.contains("<td class=\"num\">12</td>"), "{html}");
        assert!(html.contains("<td class=\"num\">3.5</td>"), "{html}");
        assert!(html.contains("dormant &lt;x&gt;"), "{html}");
        let empty = lines("Active rate", vec![], vec![]).into_string();
        assert!(empty.contains("Nothing to draw"), "{empty}");
    }
}
