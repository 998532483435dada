//! Hashtag names. A tag is shown in lower case as written (`vélo`) and
//! matched by its key, which also ignores the accents of Latin letters and
//! character widths, as Mastodon does: `#Vélo`, `#velo` and `#ＶＥＬＯ` are one
//! tag, on our timelines as on Mastodon's.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The longest tag name, in characters.
pub const TAG_MAX: usize = 100;

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// A tag name as shown: without its `#`, compatibility-normalised (NFKC) and
/// in lower case. `None` when `name` is not a tag name: 1 to [`TAG_MAX`]
/// letters, digits or `_`.
pub fn display_name(name: &str) -> Option<String> {
    let name = name.trim();
    let name = name.strip_prefix('#').unwrap_or(name);
    let shown = name.nfkc().collect::<String>().to_lowercase();
    let valid = !shown.is_empty() && shown.chars().count() <= TAG_MAX && shown.chars().all(is_tag_char);
    valid.then_some(shown)
}

/// What tags are matched by: the display name with the accents of Latin
/// letters taken off (`été` → `ete`, `œuvre` → `oeuvre`). Marks on other
/// scripts stay: there they are part of the letter, not an accent.
pub fn key(name: &str) -> Option<String> {
    let shown = display_name(name)?;
    let mut folded = String::with_capacity(shown.len());
    let mut after_latin_letter = false;
    for c in shown.nfd() {
        if is_combining_mark(c) {
            if !after_latin_letter {
                folded.push(c);
            }
            continue;
        }
        after_latin_letter = c.is_ascii_alphabetic();
        match c {
            'æ' => folded.push_str("ae"),
            'œ' => folded.push_str("oe"),
            'ß' => folded.push_str("ss"),
            'ø' => folded.push('o'),
            'ł' => folded.push('l'),
            'đ' => folded.push('d'),
            other => folded.push(other),
        }
    }
    Some(folded.nfc().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_shown_in_lower_case_without_their_hash() {
        assert_eq!(display_name("#Vélo").as_deref(), Some("vélo"));
        assert_eq!(display_name("  Économie_Sociale ").as_deref(), Some("économie_sociale"));
        assert_eq!(display_name("ＶＥＬＯ").as_deref(), Some("velo"));
        assert_eq!(display_name("2026").as_deref(), Some("2026"));
        assert_eq!(display_name("日本語").as_deref(), Some("日本語"));
    }

    #[test]
    fn what_is_not_a_tag_name_is_refused() {
        for bad in ["", "#", "##velo", "deux mots", "vélo!", "a-b", "a.b", "<script>", "%23", "a\u{0}b"] {
            assert_eq!(display_name(bad), None, "{bad:?}");
        }
        assert!(display_name(&"a".repeat(TAG_MAX)).is_some());
        assert_eq!(display_name(&"a".repeat(TAG_MAX + 1)), None);
    }

    #[test]
    fn keys_ignore_case_accents_and_widths() {
        for same in ["velo", "#Vélo", "VÉLO", "ｖｅｌｏ", "ve\u{0301}lo"] {
            assert_eq!(key(same).as_deref(), Some("velo"), "{same:?}");
        }
        assert_eq!(key("Œuvre").as_deref(), Some("oeuvre"));
        assert_eq!(key("Straße").as_deref(), Some("strasse"));
        assert_eq!(key("économie_sociale").as_deref(), Some("economie_sociale"));
        // Marks that belong to other scripts are kept.
        assert_eq!(key("हिंदी").as_deref(), Some("हिंदी"));
        assert_ne!(key("हिंदी"), key("हद"));
        assert_eq!(key("no way"), None);
    }
}
