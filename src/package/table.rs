//! The office's CSV files as tables: a header naming the columns, then rows that know their
//! line. Shared by `candidates.csv` and `invigilators.csv` so both report a missing column
//! and an unreadable row in the same words.

use std::collections::HashMap;

use super::Problem;

/// One data row and the line it is on.
#[derive(Debug, Clone)]
pub struct Row {
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    /// Number of fields the row has.
    pub width: usize,
    record: csv::StringRecord,
}

/// A CSV file whose required columns are all present.
#[derive(Debug, Clone)]
pub struct Table {
    columns: HashMap<String, usize>,
    /// Fields in the header.
    pub width: usize,
    /// Rows in file order; an unreadable row is a problem in its place.
    pub rows: Vec<Result<Row, Problem>>,
}

impl Table {
    /// The value of column `name` in `row` (trimmed; empty when absent).
    pub fn get<'a>(&self, row: &'a Row, name: &str) -> &'a str {
        self.columns
            .get(name)
            .and_then(|&i| row.record.get(i))
            .unwrap_or("")
    }
}

/// Read `text`, requiring every column in `required`.
pub fn read(text: &str, required: &[String]) -> Result<Table, Vec<Problem>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| vec![Problem::new(Some(1), format!("header unreadable: {e}"))])?
        .clone();
    let missing: Vec<&str> = required
        .iter()
        .map(String::as_str)
        .filter(|w| !headers.iter().any(|h| h == *w))
        .collect();
    if !missing.is_empty() {
        return Err(vec![Problem::new(
            Some(1),
            format!("missing column(s): {}", missing.join(", ")),
        )]);
    }
    let rows = reader
        .records()
        .map(|r| match r {
            Ok(record) => Ok(Row {
                line: record.position().map_or(0, |p| p.line()),
                width: record.len(),
                record,
            }),
            Err(e) => Err(Problem::new(
                e.position().map(|p| p.line()),
                format!("unreadable row: {e}"),
            )),
        })
        .collect();
    Ok(Table {
        columns: headers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.to_string(), i))
            .collect(),
        width: headers.len(),
        rows,
    })
}
