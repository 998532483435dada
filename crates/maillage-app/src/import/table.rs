//! Reading an uploaded file as a table of text cells: CSV (UTF-8 with or
//! without BOM, UTF-16 with BOM, else Windows-1252; comma, semicolon or
//! tab, detected from the header line) and spreadsheets (XLSX, ODS, XLS:
//! the first sheet). Each row keeps the line number people see in their
//! editor or spreadsheet.

use std::io::Cursor;

use calamine::{Data, Reader, open_workbook_auto_from_rs};

/// What cannot be read at all (a line that cannot be used is refused on
/// its own later).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error(
        "cannot tell the format of {0}: give a .csv file (UTF-8 or Windows-1252, comma or semicolon) or a spreadsheet (.xlsx, .ods)"
    )]
    UnknownFormat(String),
    #[error("cannot read {name}: {reason}")]
    Unreadable { name: String, reason: String },
    #[error("{0} is empty: its first line must name the columns")]
    Empty(String),
}

/// The formats an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    /// XLSX, ODS or XLS: calamine tells them apart.
    Spreadsheet,
}

impl Format {
    /// By the file's extension, else by its first bytes.
    pub fn of(name: &str, bytes: &[u8]) -> Result<Format, TableError> {
        let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        match extension.as_str() {
            "csv" | "txt" | "tsv" => return Ok(Format::Csv),
            "xlsx" | "xlsm" | "ods" | "xls" => return Ok(Format::Spreadsheet),
            _ => {}
        }
        // Zip (XLSX, ODS) or OLE (XLS) containers; else text.
        if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
            Ok(Format::Spreadsheet)
        } else if !bytes.is_empty() && !bytes.iter().take(4096).any(|b| *b == 0) {
            Ok(Format::Csv)
        } else {
            Err(TableError::UnknownFormat(name.to_string()))
        }
    }
}

/// The header and the rows of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    /// (line number, cells), blank rows left out.
    pub rows: Vec<(usize, Vec<String>)>,
}

/// Reads `bytes` (the file `name`) as a table.
pub fn read(name: &str, bytes: &[u8]) -> Result<Table, TableError> {
    let table = match Format::of(name, bytes)? {
        Format::Csv => read_csv(name, bytes)?,
        Format::Spreadsheet => read_spreadsheet(name, bytes)?,
    };
    if table.headers.iter().all(|h| h.trim().is_empty()) {
        return Err(TableError::Empty(name.to_string()));
    }
    Ok(table)
}

/// The text of a CSV file: UTF-8 (BOM or not) when it is valid UTF-8,
/// UTF-16 when a BOM says so, else Windows-1252 (as Excel saves "CSV" on
/// Windows in French).
pub fn decode_text(bytes: &[u8]) -> String {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        return encoding.decode_without_bom_handling(&bytes[bom..]).0.into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned(),
    }
}

/// The delimiter of the header line: the most frequent of `;`, `,` and tab
/// outside quotes (a French spreadsheet writes `;`, an English one `,`).
fn delimiter(text: &str) -> u8 {
    let mut counts = [(b';', 0usize), (b',', 0), (b'\t', 0)];
    let mut quoted = false;
    for c in text.bytes() {
        match c {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            _ if !quoted => {
                if let Some(entry) = counts.iter_mut().find(|(d, _)| *d == c) {
                    entry.1 += 1;
                }
            }
            _ => {}
        }
    }
    // Ties go to the first listed: a one-column file reads the same either way.
    counts.iter().fold((b',', 0), |best, &(d, n)| if n > best.1 { (d, n) } else { best }).0
}

fn read_csv(name: &str, bytes: &[u8]) -> Result<Table, TableError> {
    let text = decode_text(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(&text))
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let unreadable = |e: csv::Error| TableError::Unreadable { name: name.to_string(), reason: e.to_string() };
    let mut record = csv::StringRecord::new();
    if !reader.read_record(&mut record).map_err(unreadable)? {
        return Err(TableError::Empty(name.to_string()));
    }
    let headers = record.iter().map(str::to_string).collect();
    let mut rows = Vec::new();
    // Lines as an editor numbers them, a line break inside a quoted cell
    // included (csv's own count leaves those out).
    let (mut line, mut counted_to) = (1, 0);
    loop {
        let before = usize::try_from(reader.position().byte()).unwrap_or(usize::MAX).min(text.len());
        if !reader.read_record(&mut record).map_err(unreadable)? {
            break;
        }
        // The reader skips blank lines before a record.
        let start = before + text[before..].bytes().take_while(|b| matches!(b, b'\r' | b'\n')).count();
        line += text.as_bytes()[counted_to..start].iter().filter(|b| **b == b'\n').count();
        counted_to = start;
        let cells: Vec<String> = record.iter().map(str::to_string).collect();
        if cells.iter().any(|c| !c.trim().is_empty()) {
            rows.push((line, cells));
        }
    }
    Ok(Table { headers, rows })
}

fn read_spreadsheet(name: &str, bytes: &[u8]) -> Result<Table, TableError> {
    let unreadable = |reason: String| TableError::Unreadable { name: name.to_string(), reason };
    let mut workbook =
        open_workbook_auto_from_rs(Cursor::new(bytes.to_vec())).map_err(|e| unreadable(e.to_string()))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| TableError::Empty(name.to_string()))?
        .map_err(|e| unreadable(e.to_string()))?;
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let first_column = range.start().map_or(0, |(_, column)| column as usize);
    let mut rows = range.rows().enumerate().map(|(i, cells)| {
        // Columns left of the used range are empty: keep the positions.
        let cells: Vec<String> =
            std::iter::repeat_n(String::new(), first_column).chain(cells.iter().map(cell_text)).collect();
        (first_row + i + 1, cells)
    });
    let headers = loop {
        match rows.next() {
            Some((_, cells)) if cells.iter().all(|c| c.trim().is_empty()) => continue,
            Some((_, cells)) => break cells,
            None => return Err(TableError::Empty(name.to_string())),
        }
    };
    let rows = rows.filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty())).collect();
    Ok(Table { headers, rows })
}

/// A cell as text: whole numbers without `.0` (a NEQ or a year typed as a
/// number), dates as `YYYY-MM-DD`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::DateTime(d) => d.as_datetime().map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_else(|| d.to_string()),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_in_any_encoding_and_delimiter() {
        let utf8 = "Nom;Région\nCoop Vélo;Estrie\n\n;\nÉpicerie, solidaire;\"Montréal\"\n";
        let expected = Table {
            headers: vec!["Nom".into(), "Région".into()],
            rows: vec![
                (2, vec!["Coop Vélo".into(), "Estrie".into()]),
                (5, vec!["Épicerie, solidaire".into(), "Montréal".into()]),
            ],
        };
        assert_eq!(read("a.csv", utf8.as_bytes()).unwrap(), expected);
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), utf8.as_bytes()].concat();
        assert_eq!(read("a.csv", &with_bom).unwrap(), expected);
        let (latin, _, _) = encoding_rs::WINDOWS_1252.encode(utf8);
        assert_eq!(read("a.csv", &latin).unwrap(), expected);
        let multi = "name;sectors\r\nA;\"food\r\nhousing\"\r\nB;food\r\n";
        let lines: Vec<usize> = read("m.csv", multi.as_bytes()).unwrap().rows.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![2, 4], "lines as an editor counts them");
        let comma = "name,region\n\"Coop; Vélo\",estrie\n";
        assert_eq!(read("b", comma.as_bytes()).unwrap().rows, vec![(2, vec!["Coop; Vélo".into(), "estrie".into()])]);
    }

    #[test]
    fn what_cannot_be_read() {
        assert_eq!(read("x.bin", b"\0\x01\x02"), Err(TableError::UnknownFormat("x.bin".into())));
        assert_eq!(read("x.csv", b""), Err(TableError::Empty("x.csv".into())));
        assert!(matches!(read("x.xlsx", b"PK\x03\x04 not a zip"), Err(TableError::Unreadable { .. })));
    }
}
