//! Domain lists in Mastodon's CSV format, for `maillage admin domain
//! import|export`: `#domain,#severity,#reject_media,#reject_reports,
//! #public_comment,#obfuscate`, as Mastodon 4.1+ exports them (a bare list
//! of domains, one per line, is read too).
//!
//! Maillage blocks or allows whole servers; it has no "limited" mode. So
//! `suspend` rows are imported as blocks, and `silence` and `noop` rows are
//! reported and skipped rather than made stricter than intended.

use std::io::{Read, Write};

/// One row read from a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedDomain {
    pub domain: String,
    pub public_comment: Option<String>,
}

/// What an import found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ParsedList {
    pub blocks: Vec<ListedDomain>,
    /// Rows not imported, with the reason.
    pub skipped: Vec<(String, String)>,
}

pub use maillage_domain::server_name::normalize_domain;

pub fn parse(reader: impl Read) -> Result<ParsedList, String> {
    let mut csv = csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(reader);
    let mut columns: Option<Vec<String>> = None;
    let mut out = ParsedList::default();
    for (line, record) in csv.records().enumerate() {
        let record = record.map_err(|e| format!("line {}: {e}", line + 1))?;
        let first = record.get(0).unwrap_or_default();
        if line == 0 && first.starts_with('#') {
            columns = Some(record.iter().map(|c| c.trim_start_matches('#').to_ascii_lowercase()).collect());
            continue;
        }
        if first.is_empty() || (first.starts_with('#') && columns.is_some()) {
            continue;
        }
        let field = |name: &str| -> Option<&str> {
            let index = columns.as_ref()?.iter().position(|c| c == name)?;
            record.get(index).filter(|v| !v.is_empty())
        };
        let raw_domain = field("domain").unwrap_or(first);
        let domain = match normalize_domain(raw_domain) {
            Ok(domain) => domain,
            Err(reason) => {
                out.skipped.push((raw_domain.to_string(), reason));
                continue;
            }
        };
        match field("severity").unwrap_or("suspend") {
            "suspend" => {
                out.blocks.push(ListedDomain { domain, public_comment: field("public_comment").map(str::to_string) })
            }
            other => {
                out.skipped.push((domain, format!("severity {other:?}: Maillage blocks whole servers only (suspend)")))
            }
        }
    }
    Ok(out)
}

/// Writes blocks in Mastodon's format (importable by Mastodon).
pub fn write(blocks: &[ListedDomain], writer: impl Write) -> Result<(), csv::Error> {
    let mut csv = csv::Writer::from_writer(writer);
    csv.write_record(["#domain", "#severity", "#reject_media", "#reject_reports", "#public_comment", "#obfuscate"])?;
    for block in blocks {
        let comment = block.public_comment.as_deref().unwrap_or_default();
        csv.write_record([block.domain.as_str(), "suspend", "false", "false", comment, "false"])?;
    }
    csv.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mastodon_exports_and_bare_lists() {
        let exported = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n\
                        spam.example,suspend,false,false,\"Spam, lots\",false\n\
                        loud.example,silence,false,false,,false\n\
                        ex*mple.org,suspend,false,false,,true\n";
        let parsed = parse(exported.as_bytes()).unwrap();
        assert_eq!(
            parsed.blocks,
            vec![ListedDomain { domain: "spam.example".into(), public_comment: Some("Spam, lots".into()) }]
        );
        assert_eq!(parsed.skipped.len(), 2);
        assert!(parsed.skipped[0].1.contains("silence"));
        assert!(parsed.skipped[1].1.contains("not a domain"));
        let bare = parse("a.example\n\nHTTPS://B.Example/\n".as_bytes()).unwrap();
        let domains: Vec<_> = bare.blocks.iter().map(|b| b.domain.as_str()).collect();
        assert_eq!(domains, ["a.example", "b.example"]);
    }

    #[test]
    fn exports_read_back_the_same() {
        let blocks = vec![
            ListedDomain { domain: "spam.example".into(), public_comment: Some("Spam, \"really\"".into()) },
            ListedDomain { domain: "localhost:9000".into(), public_comment: None },
        ];
        let mut out = Vec::new();
        write(&blocks, &mut out).unwrap();
        assert_eq!(parse(out.as_slice()).unwrap().blocks, blocks);
    }
}
