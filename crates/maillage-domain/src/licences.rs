//! Licences of shared practices, as people name them: an SPDX identifier
//! (`CC-BY-SA-4.0`), a common name (`CC BY-SA 4.0`, `Creative Commons
//! Attribution-ShareAlike 4.0`), or the licence's address. What is stored
//! and federated is always the address (ActivityStreams' `license`).

use crate::vocabulary::fold;

/// A licence we know by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Licence {
    /// The SPDX identifier.
    pub spdx: &'static str,
    /// Its canonical address.
    pub url: &'static str,
    /// Other names people use (the SPDX identifier is one too).
    pub names: &'static [&'static str],
}

/// The licences a practice is usually shared under: Creative Commons 4.0,
/// the public-domain dedication, and the open database licence.
pub const KNOWN: &[Licence] = &[
    Licence {
        spdx: "CC-BY-4.0",
        url: "https://creativecommons.org/licenses/by/4.0/",
        names: &["Creative Commons Attribution 4.0", "Creative Commons Attribution 4.0 International", "CC BY"],
    },
    Licence {
        spdx: "CC-BY-SA-4.0",
        url: "https://creativecommons.org/licenses/by-sa/4.0/",
        names: &[
            "Creative Commons Attribution-ShareAlike 4.0",
            "Creative Commons Attribution-ShareAlike 4.0 International",
            "Creative Commons Attribution - Partage dans les mêmes conditions 4.0",
            "CC BY-SA",
        ],
    },
    Licence {
        spdx: "CC-BY-NC-4.0",
        url: "https://creativecommons.org/licenses/by-nc/4.0/",
        names: &[
            "Creative Commons Attribution-NonCommercial 4.0",
            "Creative Commons Attribution - Pas d'Utilisation Commerciale 4.0",
            "CC BY-NC",
        ],
    },
    Licence {
        spdx: "CC-BY-NC-SA-4.0",
        url: "https://creativecommons.org/licenses/by-nc-sa/4.0/",
        names: &[
            "Creative Commons Attribution-NonCommercial-ShareAlike 4.0",
            "Creative Commons Attribution - Pas d'Utilisation Commerciale - Partage dans les mêmes conditions 4.0",
            "CC BY-NC-SA",
        ],
    },
    Licence {
        spdx: "CC-BY-ND-4.0",
        url: "https://creativecommons.org/licenses/by-nd/4.0/",
        names: &[
            "Creative Commons Attribution-NoDerivatives 4.0",
            "Creative Commons Attribution - Pas de Modification 4.0",
            "CC BY-ND",
        ],
    },
    Licence {
        spdx: "CC-BY-NC-ND-4.0",
        url: "https://creativecommons.org/licenses/by-nc-nd/4.0/",
        names: &[
            "Creative Commons Attribution-NonCommercial-NoDerivatives 4.0",
            "Creative Commons Attribution - Pas d'Utilisation Commerciale - Pas de Modification 4.0",
            "CC BY-NC-ND",
        ],
    },
    Licence {
        spdx: "CC0-1.0",
        url: "https://creativecommons.org/publicdomain/zero/1.0/",
        names: &["CC0", "Creative Commons Zero", "CC0 1.0 Universal", "Domaine public", "Public domain"],
    },
    Licence {
        spdx: "ODbL-1.0",
        url: "https://opendatacommons.org/licenses/odbl/1-0/",
        names: &["ODbL", "Open Database License", "Open Database License 1.0"],
    },
];

/// The licence `input` names, by its SPDX identifier or a common name, in
/// any case, with or without accents and punctuation.
pub fn by_name(input: &str) -> Option<&'static Licence> {
    let wanted = fold(input);
    (!wanted.is_empty()).then(|| {
        KNOWN.iter().find(|licence| {
            std::iter::once(licence.spdx).chain(licence.names.iter().copied()).any(|name| fold(name) == wanted)
        })
    })?
}

/// The address to store for a licence given as a name or an address:
/// a known name becomes its canonical address; an address is kept.
///
/// # Errors
///
/// Neither a known name nor an http(s) address: the message lists the
/// identifiers we know.
pub fn licence_url(input: &str) -> Result<String, String> {
    let input = input.trim();
    if let Some(licence) = by_name(input) {
        return Ok(licence.url.to_string());
    }
    if let Ok(Some(address)) = crate::enterprise::web_url("licence", input) {
        return Ok(address);
    }
    let known: Vec<&str> = KNOWN.iter().map(|l| l.spdx).collect();
    Err(format!("unknown licence {input:?}: give the licence's address (https://...) or one of {}", known.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn licences_are_found_by_identifier_name_or_address() {
        let by_sa = "https://creativecommons.org/licenses/by-sa/4.0/";
        for input in [
            "CC-BY-SA-4.0",
            "cc-by-sa-4.0",
            "CC BY-SA 4.0",
            "Creative Commons Attribution-ShareAlike 4.0 International",
            "Creative Commons Attribution - Partage dans les mêmes conditions 4.0",
            by_sa,
        ] {
            assert_eq!(licence_url(input).as_deref(), Ok(by_sa), "{input}");
        }
        assert_eq!(licence_url("cc0").unwrap(), "https://creativecommons.org/publicdomain/zero/1.0/");
        assert_eq!(licence_url("https://example.org/licence").unwrap(), "https://example.org/licence");
    }

    #[test]
    fn anything_else_is_refused_with_the_known_identifiers() {
        for input in ["GPL-9", "", "creativecommons.org/licenses/by/4.0", "https://", "https:// x"] {
            let refused = licence_url(input).unwrap_err();
            assert!(refused.contains("CC-BY-SA-4.0") && refused.contains("https://"), "{input}: {refused}");
        }
    }

    #[test]
    fn no_name_stands_for_two_licences() {
        for licence in KNOWN {
            for name in std::iter::once(licence.spdx).chain(licence.names.iter().copied()) {
                assert_eq!(by_name(name).map(|l| l.spdx), Some(licence.spdx), "{name}");
            }
        }
    }
}
