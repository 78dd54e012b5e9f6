//! A plain table: one row per measure, one column per library, cercle first, then the
//! ratio of cercle to each peer.

/// Figures of one workload.
pub struct Table {
    title: String,
    peers: Vec<String>,
    rows: Vec<(String, Kind, Vec<Option<f64>>)>,
}

/// The unit of a row.
#[derive(Clone, Copy)]
pub enum Kind {
    /// Seconds.
    Secs,
    /// Bytes.
    Bytes,
    /// A plain count.
    Count,
}

fn show(kind: Kind, v: Option<f64>) -> String {
    match (kind, v) {
        (_, None) => "—".into(),
        (Kind::Secs, Some(s)) if s < 1.0 => format!("{:.1} ms", s * 1000.0),
        (Kind::Secs, Some(s)) => format!("{s:.2} s"),
        (Kind::Bytes, Some(b)) if b >= 1e6 => format!("{:.2} MB", b / 1e6),
        (Kind::Bytes, Some(b)) => format!("{:.1} kB", b / 1e3),
        (Kind::Count, Some(c)) => format!("{c:.0}"),
    }
}

impl Table {
    /// A table for `title`; the first library is cercle, the others its peers.
    pub fn new(title: &str, libraries: &[&str]) -> Self {
        Table {
            title: title.to_string(),
            peers: libraries.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row: one value per library (`None` where it does not apply).
    pub fn row(&mut self, name: &str, kind: Kind, values: Vec<Option<f64>>) {
        self.rows.push((name.to_string(), kind, values));
    }

    /// Prints the table.
    pub fn print(&self) {
        println!("## {}", self.title);
        let mut header = format!("| {:<28} |", "measure");
        for p in &self.peers {
            header.push_str(&format!(" {p:>12} |"));
        }
        for p in self.peers.iter().skip(1) {
            header.push_str(&format!(" {:>14} |", format!("cercle/{p}")));
        }
        println!("{header}");
        println!("|{}", "---|".repeat(2 * self.peers.len()));
        for (name, kind, values) in &self.rows {
            let mut line = format!("| {name:<28} |");
            for v in values {
                line.push_str(&format!(" {:>12} |", show(*kind, *v)));
            }
            let own = values.first().copied().flatten();
            for v in values.iter().skip(1) {
                let ratio = match (own, v) {
                    (Some(a), Some(b)) if *b > 0.0 => format!("{:.2}", a / b),
                    _ => "—".into(),
                };
                line.push_str(&format!(" {ratio:>14} |"));
            }
            println!("{line}");
        }
        println!();
    }
}
