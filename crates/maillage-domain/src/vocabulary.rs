//! Controlled vocabularies of an enterprise profile.
//!
//! This module owns the closed lists that an `Organization` actor's structured profile draws from: legal
//! form, co-operative type, sector, qualifiers, geographic scope, status, Québec administrative region and
//! language. Each [`Term`] has a stable machine `code` (lower-case ASCII snake_case; it goes on the wire and
//! into databases, so it never changes once published), a French and an English label, and, where a source
//! defines one, the IRI of the matching SKOS concept.
//!
//! Sources of the terms and IRIs:
//! - ESSGlobal / MAP-SSE vocabularies (RIPESS), namespace `http://purl.org/essglobal/standard/`: the
//!   SKOS files in `essglobal-linked-open-data/map-sse` (`vocabs/standard/*.skos`) and their maintained,
//!   multilingual successors in `DigitalCommons/map-sse` (`vocabs/standard/phrasetabs/*.tsv`): schemes
//!   `organisational-structure`, `base-membership-type`, `activities-ica`, `activities-modified` and
//!   `qualifiers`. The IRIs are reproduced exactly as those files define them (scheme `http`).
//! - Murmurations field library (`MurmurationsNetwork/MurmurationsLibrary`, `fields/geographic_scope.json`
//!   and `fields/status.json`) for scopes and statuses; Murmurations defines plain enum values, no IRIs.
//! - Québec's *Loi sur l'économie sociale* (RLRQ c. E-1.1.1) for the legal forms (co-operative, mutual,
//!   non-profit with market activity) and the *Loi sur les coopératives* (RLRQ c. C-67.2) for the five
//!   co-operative types.
//! - The 17 administrative regions of Québec, official names (Commission de toponymie du Québec).
//!
//! Terms without an IRI have `iri: None`: no source we checked defines a concept for them.

/// One term of a controlled list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    /// Stable machine code: lower-case ASCII snake_case, never renamed.
    pub code: &'static str,
    /// French label.
    pub fr: &'static str,
    /// English label.
    pub en: &'static str,
    /// IRI of the matching SKOS concept (ESSGlobal or schema.org), when a source defines one.
    pub iri: Option<&'static str>,
}

impl Term {
    /// The label in `lang`: French for `"fr"` (and French tags such as `"fr-CA"`), English for anything else.
    #[must_use]
    pub fn label(&self, lang: &str) -> &'static str {
        if is_french(lang) { self.fr } else { self.en }
    }
}

/// A named controlled list.
#[derive(Debug, Clone, Copy)]
pub struct Vocabulary {
    /// Name of the list, e.g. `"sector"`; used in error messages as the field name.
    pub name: &'static str,
    /// The terms, in display order.
    pub terms: &'static [Term],
}

impl Vocabulary {
    /// The term whose code is `code`, ignoring ASCII case and surrounding whitespace, and accepting `-` for `_`.
    #[must_use]
    pub fn get(&self, code: &str) -> Option<&'static Term> {
        let code = code.trim();
        self.terms.iter().find(|t| code_matches(t.code, code))
    }

    /// The term whose IRI is `iri`. The `http`/`https` scheme is not significant: `purl.org` serves both and
    /// published data uses both, while the ESSGlobal sources define the IRIs with `http`.
    #[must_use]
    pub fn by_iri(&self, iri: &str) -> Option<&'static Term> {
        let wanted = strip_scheme(iri.trim())?;
        self.terms.iter().find(|t| t.iri.and_then(strip_scheme) == Some(wanted))
    }

    /// All codes, in display order.
    #[must_use]
    pub fn codes(&self) -> Vec<&'static str> {
        self.terms.iter().map(|t| t.code).collect()
    }

    /// The term `input` names as people write it: its code (as [`Vocabulary::get`]) or its French or
    /// English label, in any case, with or without accents, with spaces, hyphens, apostrophes or
    /// underscores alike (`Montréal`, `montreal`, `ABITIBI TEMISCAMINGUE`, `Co-opérative de travail`).
    #[must_use]
    pub fn find(&self, input: &str) -> Option<&'static Term> {
        self.get(input).or_else(|| {
            let wanted = fold(input);
            (!wanted.is_empty()).then(|| self.terms.iter().find(|t| fold(t.fr) == wanted || fold(t.en) == wanted))?
        })
    }

    /// Like [`Vocabulary::find`], but the error names the vocabulary and lists the valid codes, e.g.
    /// `unknown sector "foo"; valid: agriculture, fishing, ...`.
    ///
    /// # Errors
    ///
    /// When `input` is neither a code nor a label of this vocabulary.
    pub fn parse(&self, input: &str) -> Result<&'static Term, String> {
        self.find(input).ok_or_else(|| {
            format!(
                "unknown {} \"{}\"; valid: {} (or their French or English names)",
                self.name,
                input,
                self.codes().join(", ")
            )
        })
    }
}

/// A name as compared with what people type: lower case, accents off, and
/// any run of other characters than letters and digits as one space.
pub fn fold(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    let mut folded = String::with_capacity(text.len());
    let mut gap = false;
    for c in text.nfd().filter(|c| !is_combining_mark(*c)).flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            if gap && !folded.is_empty() {
                folded.push(' ');
            }
            gap = false;
            match c {
                'œ' => folded.push_str("oe"),
                'æ' => folded.push_str("ae"),
                other => folded.push(other),
            }
        } else {
            gap = true;
        }
    }
    folded
}

fn is_french(lang: &str) -> bool {
    let lang = lang.trim();
    let prefix = lang.get(..2).unwrap_or("");
    prefix.eq_ignore_ascii_case("fr") && matches!(lang.as_bytes().get(2), None | Some(b'-' | b'_'))
}

fn code_matches(code: &str, input: &str) -> bool {
    code.len() == input.len()
        && code.bytes().zip(input.bytes()).all(|(c, i)| {
            let i = if i == b'-' { b'_' } else { i.to_ascii_lowercase() };
            c == i
        })
}

fn strip_scheme(iri: &str) -> Option<&str> {
    iri.strip_prefix("https://").or_else(|| iri.strip_prefix("http://"))
}

const fn term(code: &'static str, fr: &'static str, en: &'static str, iri: Option<&'static str>) -> Term {
    Term { code, fr, en, iri }
}

// ESSGlobal concept-scheme namespaces, as defined in the sources (`base_uri` / `xml:base`).
macro_rules! os {
    ($id:literal) => {
        Some(concat!("http://purl.org/essglobal/standard/organisational-structure/", $id))
    };
}
macro_rules! bmt {
    ($id:literal) => {
        Some(concat!("http://purl.org/essglobal/standard/base-membership-type/", $id))
    };
}
macro_rules! ica {
    ($id:literal) => {
        Some(concat!("http://purl.org/essglobal/standard/activities-ica/", $id))
    };
}
macro_rules! am {
    ($id:literal) => {
        Some(concat!("http://purl.org/essglobal/standard/activities-modified/", $id))
    };
}
macro_rules! q {
    ($id:literal) => {
        Some(concat!("http://purl.org/essglobal/standard/qualifiers/", $id))
    };
}

/// Legal forms recognised by Québec's *Loi sur l'économie sociale*: co-operative, mutual, or non-profit
/// organisation (OBNL) carrying on a market activity; `other` for anything else.
///
/// IRIs are from ESSGlobal `organisational-structure` (OS115 Cooperative, OS170 Mutual, OS20 Not-for-profit
/// organisation), the only ESSGlobal scheme that has a term for mutuals. The older ESSGlobal `legal-form`
/// scheme has equivalents for two of them: `legal-form/L2` (Cooperative) and `legal-form/L4` (Non-Profit
/// Organisation).
pub const LEGAL_FORMS: Vocabulary = Vocabulary {
    name: "legal_form",
    terms: &[
        term("cooperative", "Coopérative", "Co-operative", os!("OS115")),
        term("mutual", "Mutuelle", "Mutual", os!("OS170")),
        term("nonprofit", "Organisme à but non lucratif (OBNL)", "Non-profit organization (NPO)", os!("OS20")),
        term("other", "Autre", "Other", None),
    ],
};

/// The five types of co-operative of Québec's *Loi sur les coopératives*.
///
/// IRIs are from ESSGlobal `base-membership-type`; the worker-shareholder co-operative (whose members own
/// shares of the company that employs them, through the co-operative) has no ESSGlobal equivalent.
pub const COOP_TYPES: Vocabulary = Vocabulary {
    name: "coop_type",
    terms: &[
        term("workers", "Coopérative de travail", "Worker co-operative", bmt!("BMT30")),
        // Consumers or users ("consommateurs / utilisateurs"); housing co-operatives usually belong here.
        term("consumers", "Coopérative de consommateurs", "Consumer co-operative", bmt!("BMT10")),
        term("producers", "Coopérative de producteurs", "Producer co-operative", bmt!("BMT20")),
        // Multi-stakeholder: user, worker and supporting members.
        term("solidarity", "Coopérative de solidarité", "Solidarity co-operative (multi-stakeholder)", bmt!("BMT40")),
        term("worker_shareholder", "Coopérative de travailleurs actionnaire", "Worker-shareholder co-operative", None),
    ],
};

/// Economic sectors of Québec's social economy.
///
/// IRIs are from ESSGlobal `activities-ica` (ICA…) where that scheme has a matching term, otherwise from
/// ESSGlobal `activities-modified` (AM…); both are used with `essglobal:economicSector` /
/// `essglobal:primarySector`. Each ESSGlobal term is used at most once, so that [`Vocabulary::by_iri`] is
/// unambiguous; sectors without a matching term have no IRI.
pub const SECTORS: Vocabulary = Vocabulary {
    name: "sector",
    terms: &[
        term("agriculture", "Agriculture", "Agriculture", ica!("ICA10")),
        term("fishing", "Pêche et aquaculture", "Fishing and aquaculture", ica!("ICA50")),
        term("forestry", "Foresterie", "Forestry", ica!("ICA30")),
        term("food", "Alimentation", "Food", am!("AM60")),
        term("housing", "Habitation", "Housing", ica!("ICA210")),
        term("early_childhood", "Petite enfance et services de garde", "Early childhood and childcare", None),
        term("home_care", "Aide à domicile", "Home care services", am!("AM80")),
        term("health", "Santé", "Health", ica!("ICA170")),
        term("social_services", "Services sociaux", "Social services", ica!("ICA200")),
        term("community_action", "Action communautaire", "Community action", ica!("ICA180")),
        term("employment_integration", "Insertion socioprofessionnelle", "Employment integration", None),
        term("education", "Éducation et formation", "Education and training", ica!("ICA160")),
        term("arts_culture", "Arts et culture", "Arts and culture", am!("AM10")),
        term("media", "Médias et communications", "Media and communications", None),
        term("recreation_tourism", "Loisirs et tourisme", "Recreation and tourism", ica!("ICA130")),
        term("environment", "Environnement", "Environment", am!("AM110")),
        term("recycling", "Récupération et recyclage", "Reuse and recycling", am!("AM120")),
        term("energy", "Énergie", "Energy", am!("AM50")),
        term("financial_services", "Services financiers", "Financial services", ica!("ICA140")),
        term("insurance", "Assurances", "Insurance", ica!("ICA150")),
        term("funeral_services", "Services funéraires", "Funeral services", None),
        term("retail", "Commerce de détail", "Retail", ica!("ICA240")),
        term("manufacturing", "Fabrication", "Manufacturing", ica!("ICA90")),
        term("construction", "Construction", "Construction", ica!("ICA70")),
        term("transport", "Transport", "Transportation", ica!("ICA220")),
        term(
            "ict",
            "Technologies de l'information et des communications",
            "Information and communication technology",
            None,
        ),
        term("professional_services", "Services professionnels", "Professional services", ica!("ICA110")),
        term("other", "Autre", "Other", None),
    ],
};

/// How and with whom an enterprise works: the ESSGlobal `qualifiers` scheme, its nine top concepts
/// (`q01`…`q09`, each followed here by its narrower concepts).
pub const QUALIFIERS: Vocabulary = Vocabulary {
    name: "qualifier",
    terms: &[
        term("ecologically_sustainable", "Écologiquement durable", "Ecologically sustainable", q!("q01")),
        term("agroecological", "Agroécologique", "Agroecological", q!("Agroecological")),
        term("agroextractivism", "Agroextractivisme", "Agroextractivism", q!("Agroextrativism")),
        term("animal_welfare", "Bien-être animal", "Animal welfare", q!("Animalwelfare")),
        term(
            "recycled_materials",
            "Matières recyclées ou récupérées",
            "Made from recycled or recovered materials",
            q!("Madefromrecycledorrecoveredmaterial"),
        ),
        term(
            "natural_cosmetics",
            "Cosmétiques naturels et plantes médicinales",
            "Natural cosmetics and herbal medicines",
            q!("Naturalcosmeticsandherbalmedicines"),
        ),
        term("organic", "Biologique", "Organic", q!("Organic")),
        term(
            "decent_work",
            "Conditions de travail démocratiques et décentes",
            "Democratic and decent working conditions",
            q!("q02"),
        ),
        term("self_management", "Autogestion", "Self-management", q!("Selfmanagement")),
        term("socially_fair", "Socialement équitable", "Socially fair", q!("q03")),
        term(
            "social_insertion",
            "Insertion sociale et professionnelle",
            "Social and work integration",
            q!("Socialinsertioninitiatives"),
        ),
        term(
            "economic_democracy",
            "Démocratie et souveraineté économiques",
            "Economic democracy and sovereignty",
            q!("q04"),
        ),
        term("fair_trade", "Commerce équitable", "Fair trade", q!("Fairtrade")),
        term("local", "Local ou issu de la communauté", "Local or community-based", q!("LocalorFromCommunity")),
        term("gender_equity", "Équité entre les genres", "Gender equity", q!("q05")),
        term(
            "traditional_communities",
            "Peuples autochtones ou communautés traditionnelles",
            "Indigenous peoples or traditional communities",
            q!("q06"),
        ),
        term(
            "indigenous",
            "Issu des peuples autochtones",
            "From Indigenous peoples",
            q!("FromOriginalorIndigenousPeople"),
        ),
        term(
            "family_farming",
            "Agriculture paysanne ou familiale",
            "Peasant or family farming",
            q!("PeasantorFamilyAgriculture"),
        ),
        term("commons", "Communs et savoirs libres", "Commons and free knowledge", q!("q07")),
        term("free_culture", "Culture libre", "Free culture", q!("FreeCulture")),
        term(
            "free_software",
            "Savoirs et logiciels libres",
            "Free knowledge and software",
            q!("FreeKnowledgeorSoftware"),
        ),
        term("handicraft", "Artisanat", "Handicraft", q!("q08")),
        term("coop_promoter", "Promotion et soutien des coopératives", "Co-operative promotion and support", q!("q09")),
    ],
};

/// Geographic scope of an enterprise's activity: the Murmurations `geographic_scope` values. Seen from a
/// Québec hub, `regional` is an administrative region and `national` is Québec as a whole.
pub const SCOPES: Vocabulary = Vocabulary {
    name: "scope",
    terms: &[
        term("local", "Local", "Local", None),
        term("regional", "Régional", "Regional", None),
        term("national", "National", "National", None),
        term("international", "International", "International", None),
    ],
};

/// Lifecycle status of an enterprise. `active`, `in_planning` and `on_hold` are Murmurations `status` values;
/// `closed` covers Murmurations `completed` and `cancelled`, which fit projects better than enterprises.
pub const STATUSES: Vocabulary = Vocabulary {
    name: "status",
    terms: &[
        term("active", "En activité", "Active", None),
        term("in_planning", "En démarrage", "In planning", None),
        term("on_hold", "Activités suspendues", "On hold", None),
        term("closed", "Fermée", "Closed", None),
    ],
};

/// The 17 administrative regions of Québec, in the order of their official numbers (01 to 17), with their
/// official names. English usage keeps the official toponyms; only Montréal has a customary English form.
pub const REGIONS: Vocabulary = Vocabulary {
    name: "region",
    terms: &[
        /* 01 */ term("bas_saint_laurent", "Bas-Saint-Laurent", "Bas-Saint-Laurent", None),
        /* 02 */ term("saguenay_lac_saint_jean", "Saguenay–Lac-Saint-Jean", "Saguenay–Lac-Saint-Jean", None),
        /* 03 */ term("capitale_nationale", "Capitale-Nationale", "Capitale-Nationale", None),
        /* 04 */ term("mauricie", "Mauricie", "Mauricie", None),
        /* 05 */ term("estrie", "Estrie", "Estrie", None),
        /* 06 */ term("montreal", "Montréal", "Montreal", None),
        /* 07 */ term("outaouais", "Outaouais", "Outaouais", None),
        /* 08 */ term("abitibi_temiscamingue", "Abitibi-Témiscamingue", "Abitibi-Témiscamingue", None),
        /* 09 */ term("cote_nord", "Côte-Nord", "Côte-Nord", None),
        /* 10 */ term("nord_du_quebec", "Nord-du-Québec", "Nord-du-Québec", None),
        /* 11 */
        term("gaspesie_iles_de_la_madeleine", "Gaspésie–Îles-de-la-Madeleine", "Gaspésie–Îles-de-la-Madeleine", None),
        /* 12 */ term("chaudiere_appalaches", "Chaudière-Appalaches", "Chaudière-Appalaches", None),
        /* 13 */ term("laval", "Laval", "Laval", None),
        /* 14 */ term("lanaudiere", "Lanaudière", "Lanaudière", None),
        /* 15 */ term("laurentides", "Laurentides", "Laurentides", None),
        /* 16 */ term("monteregie", "Montérégie", "Montérégie", None),
        /* 17 */ term("centre_du_quebec", "Centre-du-Québec", "Centre-du-Québec", None),
    ],
};

/// Languages an enterprise works in; the codes are ISO 639-1 tags, as used for `contentMap` keys.
pub const LANGUAGES: Vocabulary = Vocabulary {
    name: "language",
    terms: &[term("fr", "Français", "French", None), term("en", "Anglais", "English", None)],
};

/// Every vocabulary of this module.
pub const VOCABULARIES: &[Vocabulary] =
    &[LEGAL_FORMS, COOP_TYPES, SECTORS, QUALIFIERS, SCOPES, STATUSES, REGIONS, LANGUAGES];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn is_code(s: &str) -> bool {
        let mut bytes = s.bytes();
        matches!(bytes.next(), Some(b'a'..=b'z')) && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_'))
    }

    #[test]
    fn codes_are_snake_case_and_unique_within_each_vocabulary() {
        for v in VOCABULARIES {
            assert!(!v.terms.is_empty(), "{} is empty", v.name);
            let mut seen = HashSet::new();
            for t in v.terms {
                assert!(is_code(t.code), "{}: bad code {:?}", v.name, t.code);
                assert!(seen.insert(t.code), "{}: duplicate code {:?}", v.name, t.code);
            }
        }
    }

    #[test]
    fn values_are_found_by_code_or_by_name_as_people_write_them() {
        for (vocabulary, input, code) in [
            (&REGIONS, "Montréal", "montreal"),
            (&REGIONS, "MONTREAL", "montreal"),
            (&REGIONS, "montreal", "montreal"),
            (&REGIONS, "abitibi temiscamingue", "abitibi_temiscamingue"),
            (&REGIONS, "Abitibi-Témiscamingue", "abitibi_temiscamingue"),
            (&REGIONS, "Saguenay-Lac-Saint-Jean", "saguenay_lac_saint_jean"),
            (&REGIONS, " capitale-nationale ", "capitale_nationale"),
            (&COOP_TYPES, "coopérative de travail", "workers"),
            (&COOP_TYPES, "Worker co-operative", "workers"),
            (&COOP_TYPES, "WORKER_SHAREHOLDER", "worker_shareholder"),
        ] {
            assert_eq!(vocabulary.parse(input).map(|t| t.code), Ok(code), "{input}");
        }
        let unknown = REGIONS.parse("Atlantide").unwrap_err();
        assert!(unknown.contains("unknown region \"Atlantide\"") && unknown.contains("montreal"), "{unknown}");
        assert!(REGIONS.parse("").is_err() && REGIONS.parse(" - ").is_err());
        // Stored values stay codes: `get` takes no names.
        assert_eq!(REGIONS.get("Montréal"), None);
    }

    #[test]
    fn no_name_stands_for_two_terms() {
        for v in VOCABULARIES {
            for t in v.terms {
                for name in [t.code, t.fr, t.en] {
                    assert_eq!(v.find(name).map(|found| found.code), Some(t.code), "{}: {name:?}", v.name);
                }
            }
        }
    }

    #[test]
    fn vocabulary_names_are_snake_case_and_unique() {
        let mut seen = HashSet::new();
        for v in VOCABULARIES {
            assert!(is_code(v.name), "bad vocabulary name {:?}", v.name);
            assert!(seen.insert(v.name), "duplicate vocabulary name {:?}", v.name);
        }
    }

    #[test]
    fn labels_are_present_and_trimmed() {
        for v in VOCABULARIES {
            for t in v.terms {
                for label in [t.fr, t.en] {
                    assert!(!label.is_empty(), "{}/{}: empty label", v.name, t.code);
                    assert_eq!(label, label.trim(), "{}/{}: untrimmed label", v.name, t.code);
                }
            }
        }
    }

    #[test]
    fn iris_are_absolute_http_urls_and_unique_across_vocabularies() {
        let mut seen = HashSet::new();
        for v in VOCABULARIES {
            for t in v.terms {
                let Some(iri) = t.iri else { continue };
                let rest = strip_scheme(iri).unwrap_or_else(|| panic!("{}/{}: not http(s): {iri}", v.name, t.code));
                let host = rest.split('/').next().unwrap_or("");
                assert!(host.contains('.'), "{}/{}: no host in {iri}", v.name, t.code);
                assert!(rest.len() > host.len() + 1, "{}/{}: no path in {iri}", v.name, t.code);
                assert!(!iri.chars().any(|c| c.is_whitespace() || c.is_control()), "{}/{}: {iri:?}", v.name, t.code);
                assert!(seen.insert(rest), "{}/{}: IRI used twice: {iri}", v.name, t.code);
            }
        }
    }

    #[test]
    fn iris_belong_to_the_expected_essglobal_schemes() {
        let essglobal = "http://purl.org/essglobal/standard/";
        let expect = |v: &Vocabulary, schemes: &[&str]| {
            for t in v.terms {
                if let Some(iri) = t.iri {
                    assert!(
                        schemes.iter().any(|s| iri.strip_prefix(essglobal).and_then(|r| r.strip_prefix(s)).is_some()),
                        "{}/{}: unexpected scheme {iri}",
                        v.name,
                        t.code
                    );
                }
            }
        };
        expect(&LEGAL_FORMS, &["organisational-structure/"]);
        expect(&COOP_TYPES, &["base-membership-type/"]);
        expect(&SECTORS, &["activities-ica/ICA", "activities-modified/AM"]);
        expect(&QUALIFIERS, &["qualifiers/"]);
        for v in [SCOPES, STATUSES, REGIONS, LANGUAGES] {
            assert!(v.terms.iter().all(|t| t.iri.is_none()), "{} has an unsourced IRI", v.name);
        }
    }

    #[test]
    fn pinned_iris() {
        let iri = |v: &Vocabulary, code: &str| v.get(code).unwrap().iri.unwrap();
        assert_eq!(
            iri(&LEGAL_FORMS, "cooperative"),
            "http://purl.org/essglobal/standard/organisational-structure/OS115"
        );
        assert_eq!(iri(&LEGAL_FORMS, "mutual"), "http://purl.org/essglobal/standard/organisational-structure/OS170");
        assert_eq!(iri(&COOP_TYPES, "solidarity"), "http://purl.org/essglobal/standard/base-membership-type/BMT40");
        assert_eq!(iri(&SECTORS, "housing"), "http://purl.org/essglobal/standard/activities-ica/ICA210");
        assert_eq!(iri(&SECTORS, "food"), "http://purl.org/essglobal/standard/activities-modified/AM60");
        assert_eq!(iri(&QUALIFIERS, "fair_trade"), "http://purl.org/essglobal/standard/qualifiers/Fairtrade");
        assert_eq!(iri(&QUALIFIERS, "gender_equity"), "http://purl.org/essglobal/standard/qualifiers/q05");
    }

    #[test]
    fn expected_code_sets() {
        assert_eq!(LEGAL_FORMS.codes(), ["cooperative", "mutual", "nonprofit", "other"]);
        assert_eq!(COOP_TYPES.codes(), ["workers", "consumers", "producers", "solidarity", "worker_shareholder"]);
        assert_eq!(SCOPES.codes(), ["local", "regional", "national", "international"]);
        assert_eq!(STATUSES.codes(), ["active", "in_planning", "on_hold", "closed"]);
        assert_eq!(LANGUAGES.codes(), ["fr", "en"]);
        assert!((20..=30).contains(&SECTORS.terms.len()), "{} sectors", SECTORS.terms.len());
        for code in ["fair_trade", "organic", "agroecological", "local", "recycled_materials", "social_insertion"] {
            assert!(QUALIFIERS.get(code).is_some(), "missing qualifier {code}");
        }
        assert!(QUALIFIERS.get("self_management").is_some());
    }

    #[test]
    fn regions_are_the_seventeen_administrative_regions() {
        assert_eq!(REGIONS.terms.len(), 17);
        for code in ["estrie", "monteregie", "montreal", "capitale_nationale", "gaspesie_iles_de_la_madeleine"] {
            assert!(REGIONS.get(code).is_some(), "missing region {code}");
        }
        assert_eq!(REGIONS.get("capitale_nationale").unwrap().fr, "Capitale-Nationale");
        assert_eq!(REGIONS.get("saguenay_lac_saint_jean").unwrap().fr, "Saguenay–Lac-Saint-Jean");
        assert_eq!(REGIONS.get("montreal").unwrap().label("en"), "Montreal");
    }

    #[test]
    fn get_ignores_case_and_accepts_dashes() {
        let t = SECTORS.get("financial_services").unwrap();
        assert_eq!(SECTORS.get("Financial-Services"), Some(t));
        assert_eq!(SECTORS.get("FINANCIAL_SERVICES"), Some(t));
        assert_eq!(SECTORS.get("  financial-services\n"), Some(t));
        assert_eq!(REGIONS.get("Capitale-Nationale").unwrap().code, "capitale_nationale");
        assert_eq!(REGIONS.get("Bas-Saint-Laurent").unwrap().code, "bas_saint_laurent");
        assert_eq!(COOP_TYPES.get("Worker-Shareholder").unwrap().code, "worker_shareholder");
        assert_eq!(SECTORS.get("financial services"), None);
        assert_eq!(SECTORS.get("financial"), None);
        assert_eq!(SECTORS.get(""), None);
        // Non-ASCII input must not match or panic.
        assert_eq!(REGIONS.get("montréal"), None);
        assert_eq!(REGIONS.get("Montréal"), None);
    }

    #[test]
    fn parse_accepts_the_same_inputs_as_get() {
        assert_eq!(STATUSES.parse("In-Planning").unwrap().code, "in_planning");
        assert_eq!(LANGUAGES.parse("FR").unwrap().code, "fr");
        assert_eq!(LEGAL_FORMS.parse("NonProfit").unwrap().code, "nonprofit");
    }

    #[test]
    fn parse_error_names_the_vocabulary_and_lists_codes() {
        let err = SECTORS.parse("foo").unwrap_err();
        assert!(err.starts_with("unknown sector \"foo\"; valid: agriculture, "), "{err}");
        for code in SECTORS.codes() {
            assert!(err.contains(code), "{err} lacks {code}");
        }
        let err = LEGAL_FORMS.parse("corp").unwrap_err();
        assert_eq!(
            err,
            "unknown legal_form \"corp\"; valid: cooperative, mutual, nonprofit, other (or their French or English names)"
        );
    }

    #[test]
    fn by_iri_finds_terms_with_either_scheme() {
        let iri = "http://purl.org/essglobal/standard/qualifiers/Organic";
        assert_eq!(QUALIFIERS.by_iri(iri).unwrap().code, "organic");
        assert_eq!(
            QUALIFIERS.by_iri("https://purl.org/essglobal/standard/qualifiers/Organic").unwrap().code,
            "organic"
        );
        assert_eq!(
            COOP_TYPES.by_iri("http://purl.org/essglobal/standard/base-membership-type/BMT30").unwrap().code,
            "workers"
        );
        assert_eq!(QUALIFIERS.by_iri("http://purl.org/essglobal/standard/qualifiers/organic"), None);
        assert_eq!(QUALIFIERS.by_iri("purl.org/essglobal/standard/qualifiers/Organic"), None);
        assert_eq!(SECTORS.by_iri(iri), None);
        assert_eq!(REGIONS.by_iri("http://example.org/"), None);
        for v in VOCABULARIES {
            for t in v.terms {
                if let Some(iri) = t.iri {
                    assert_eq!(v.by_iri(iri), Some(t));
                }
            }
        }
    }

    #[test]
    fn labels_by_language() {
        let t = LEGAL_FORMS.get("cooperative").unwrap();
        assert_eq!(t.label("fr"), "Coopérative");
        assert_eq!(t.label("en"), "Co-operative");
        assert_eq!(t.label("FR"), "Coopérative");
        assert_eq!(t.label("fr-CA"), "Coopérative");
        assert_eq!(t.label("fr_CA"), "Coopérative");
        assert_eq!(t.label("fra"), "Co-operative");
        assert_eq!(t.label("de"), "Co-operative");
        assert_eq!(t.label(""), "Co-operative");
        assert_eq!(t.label("é"), "Co-operative");
        assert_eq!(LANGUAGES.get("fr").unwrap().label("fr"), "Français");
        assert_eq!(LANGUAGES.get("en").unwrap().label("en"), "English");
    }
}
