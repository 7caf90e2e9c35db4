//! Aligned tables for people: records that are rows ([`super::Record::row`]) are gathered by the
//! reporter and written as one table when the run of rows ends, so the columns fit every row.

use super::Style;
use std::io::{self, Write};

/// One row of an aligned table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The column names; consecutive rows with the same header form one table.
    pub header: &'static [&'static str],
    /// The cells, already sanitised for the terminal (as many as the header has columns).
    pub cells: Vec<String>,
    /// Show the row emphasised (a VoIP app in the list of apps).
    pub highlight: bool,
    /// A line under the row (a device whose values could not be read: why).
    pub error: Option<String>,
}

/// Write the rows as one table under a bold header.
pub(crate) fn write(w: &mut dyn Write, style: &Style, rows: &[Row]) -> io::Result<()> {
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let header: Vec<String> = first.header.iter().map(|h| h.to_string()).collect();
    let widths = column_widths(std::iter::once(&header).chain(rows.iter().map(|r| &r.cells)));
    writeln!(w, "{}", style.bold(&pad_row(&header, &widths)))?;
    for r in rows {
        let line = pad_row(&r.cells, &widths);
        if r.highlight {
            writeln!(w, "{}", style.ok(&line))?;
        } else {
            writeln!(w, "{line}")?;
        }
        if let Some(e) = &r.error {
            writeln!(w, "  {} {}", style.error("error:"), e)?;
        }
    }
    Ok(())
}

fn column_widths<'a>(rows: impl Iterator<Item = &'a Vec<String>>) -> Vec<usize> {
    let mut widths: Vec<usize> = Vec::new();
    for r in rows {
        if widths.len() < r.len() {
            widths.resize(r.len(), 0);
        }
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    widths
}

fn pad_row(row: &[String], widths: &[usize]) -> String {
    let mut out = String::new();
    for (i, (c, w)) in row.iter().zip(widths).enumerate() {
        if i + 1 == row.len() {
            out.push_str(c);
        } else {
            out.push_str(&format!("{c:<w$}  "));
        }
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_fit_every_row() {
        let row = |a: &str, b: &str| Row {
            header: &["A", "BEE"],
            cells: vec![a.into(), b.into()],
            highlight: false,
            error: None,
        };
        let mut out = Vec::new();
        let rows = [row("long-cell", "x"), row("s", "y")];
        write(&mut out, &Style::plain(), &rows).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            String::from_utf8_lossy(&out),
            "A          BEE\nlong-cell  x\ns          y\n"
        );
    }
}
