//! Which profile field each column of an imported file fills: the
//! canonical names (the API's profile fields, which the CSV export
//! writes), common French and English spreadsheet headers (case, accents
//! and punctuation ignored), and a mapping file for unusual headers.

use std::collections::HashMap;

use maillage_domain::vocabulary::fold;

/// A header as compared: folded (case, accents), punctuation and spaces
/// dropped (`N.E.Q.` is `neq`, `Nom (FR)` is `nomfr`).
fn key(header: &str) -> String {
    fold(header).replace(' ', "")
}

/// A column an import understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Handle,
    Name,
    NameFr,
    NameEn,
    Summary,
    SummaryFr,
    SummaryEn,
    PrimaryLanguage,
    Neq,
    LegalForm,
    CoopType,
    Sectors,
    Qualifiers,
    Region,
    Address,
    Latitude,
    Longitude,
    Scope,
    Website,
    Contact,
    Founded,
    Status,
    Languages,
    LogoUrl,
    BannerUrl,
    /// The ActivityPub id of an exported entry: not imported.
    Id,
    /// Empty for the exporting hub's own enterprises, else the hub the
    /// entry came from: such rows are not imported.
    NetworkOrigin,
}

impl Field {
    /// Every field, in the order of the canonical header.
    pub const ALL: [Field; 27] = [
        Field::Id,
        Field::Handle,
        Field::Name,
        Field::NameFr,
        Field::NameEn,
        Field::Summary,
        Field::SummaryFr,
        Field::SummaryEn,
        Field::PrimaryLanguage,
        Field::Neq,
        Field::LegalForm,
        Field::CoopType,
        Field::Sectors,
        Field::Qualifiers,
        Field::Region,
        Field::Address,
        Field::Latitude,
        Field::Longitude,
        Field::Scope,
        Field::Website,
        Field::Contact,
        Field::Founded,
        Field::Status,
        Field::Languages,
        Field::LogoUrl,
        Field::BannerUrl,
        Field::NetworkOrigin,
    ];

    /// The canonical column name: the API's name of the profile field.
    pub fn name(self) -> &'static str {
        match self {
            Field::Handle => "handle",
            Field::Name => "name",
            Field::NameFr => "name_fr",
            Field::NameEn => "name_en",
            Field::Summary => "summary",
            Field::SummaryFr => "summary_fr",
            Field::SummaryEn => "summary_en",
            Field::PrimaryLanguage => "primary_language",
            Field::Neq => "neq",
            Field::LegalForm => "legal_form",
            Field::CoopType => "coop_type",
            Field::Sectors => "sectors",
            Field::Qualifiers => "qualifiers",
            Field::Region => "region",
            Field::Address => "address",
            Field::Latitude => "latitude",
            Field::Longitude => "longitude",
            Field::Scope => "scope",
            Field::Website => "website",
            Field::Contact => "contact",
            Field::Founded => "founded",
            Field::Status => "status",
            Field::Languages => "languages",
            Field::LogoUrl => "logo_url",
            Field::BannerUrl => "banner_url",
            Field::Id => "id",
            Field::NetworkOrigin => "network_origin",
        }
    }

    /// Headers people write for it, besides its canonical name. An e-mail
    /// column is not taken as the public `contact`: a spreadsheet's
    /// "Courriel" is often a private address.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::Handle => &["identifiant", "nom d'utilisateur", "username", "compte", "account"],
            Field::Name => &[
                "nom",
                "nom de l'entreprise",
                "nom de l'organisation",
                "raison sociale",
                "entreprise",
                "organisation",
                "organization",
                "enterprise",
                "enterprise name",
                "company",
                "company name",
                "organization name",
            ],
            Field::NameFr => &["nom fr", "nom (fr)", "nom français", "nom en français", "french name", "name (fr)"],
            Field::NameEn => &["nom en", "nom (en)", "nom anglais", "nom en anglais", "english name", "name (en)"],
            Field::Summary => &["description", "présentation", "résumé", "mission", "about"],
            Field::SummaryFr => &["description fr", "description (fr)", "description française", "présentation fr"],
            Field::SummaryEn => &["description en", "description (en)", "description anglaise", "english description"],
            Field::PrimaryLanguage => &["langue principale", "primary language", "main language"],
            Field::Neq => &[
                "numéro d'entreprise du québec",
                "numéro d'entreprise",
                "no d'entreprise",
                "quebec enterprise number",
                "enterprise number",
            ],
            Field::LegalForm => &["forme juridique", "legal form", "statut juridique", "type d'organisation"],
            Field::CoopType => &["type de coopérative", "type de coop", "coop type", "co-op type", "cooperative type"],
            Field::Sectors => &[
                "secteur",
                "secteurs",
                "secteur(s)",
                "secteur d'activité",
                "secteurs d'activité",
                "sector",
                "sector(s)",
            ],
            Field::Qualifiers => &["qualificatif", "qualificatifs", "qualifier"],
            Field::Region => &["région", "région administrative", "régions", "région(s)"],
            Field::Address => &["adresse", "adresse postale", "postal address", "street address"],
            Field::Latitude => &["lat"],
            Field::Longitude => &["lon", "lng", "long"],
            Field::Scope => &["portée", "rayonnement", "échelle"],
            Field::Website => &["site web", "site internet", "site", "web", "url", "site web (url)", "web site"],
            Field::Contact => &["contact public", "public contact"],
            Field::Founded => &[
                "année de fondation",
                "fondation",
                "fondée en",
                "date de fondation",
                "année de création",
                "date de création",
                "year founded",
                "founding year",
                "founding date",
            ],
            Field::Status => &["statut", "état", "statut de l'entreprise"],
            Field::Languages => &["langues", "langue", "langues de travail", "language", "working languages"],
            Field::LogoUrl => &["logo", "logo url"],
            Field::BannerUrl => &["bannière", "banner", "banner url"],
            Field::Id => &["activitypub id"],
            Field::NetworkOrigin => &["origine", "origin"],
        }
    }

    /// Several values in one cell (`;`, `,` or a line break between them).
    pub fn is_list(self) -> bool {
        matches!(self, Field::Sectors | Field::Qualifiers | Field::Languages)
    }

    /// The field a canonical name names.
    pub fn by_name(name: &str) -> Option<Field> {
        let wanted = key(name);
        Field::ALL.into_iter().find(|f| key(f.name()) == wanted)
    }
}

/// The canonical header, as the CSV export writes it.
pub fn canonical_header() -> Vec<&'static str> {
    Field::ALL.iter().map(|f| f.name()).collect()
}

/// "Their header → our field" pairs of a mapping file; a field `ignore`
/// leaves the column out without a warning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    columns: HashMap<String, Option<Field>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error("the mapping file is not TOML: {0}")]
    Syntax(String),
    #[error("the mapping file maps {header:?} to {field:?}, which is not a field; valid: {valid} (or ignore)")]
    UnknownField { header: String, field: String, valid: String },
    #[error("the mapping file maps {0:?} to something other than a field name (a string)")]
    NotText(String),
}

impl Mapping {
    /// Reads a mapping file: TOML pairs `"Their header" = "field"`, at the
    /// top level or under `[columns]`.
    pub fn parse(text: &str) -> Result<Mapping, MappingError> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| MappingError::Syntax(e.to_string()))?;
        let pairs = match table.get("columns") {
            Some(toml::Value::Table(columns)) => columns.clone(),
            _ => table,
        };
        let mut columns = HashMap::new();
        for (header, value) in pairs {
            let toml::Value::String(field_name) = value else { return Err(MappingError::NotText(header)) };
            let field = if key(&field_name) == "ignore" {
                None
            } else {
                Some(Field::by_name(&field_name).ok_or_else(|| MappingError::UnknownField {
                    header: header.clone(),
                    field: field_name.clone(),
                    valid: canonical_header().join(", "),
                })?)
            };
            columns.insert(key(&header), field);
        }
        Ok(Mapping { columns })
    }
}

/// What the columns of a file are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    /// The field of each column (by position), if any.
    pub fields: Vec<Option<Field>>,
    /// Headers no field takes, reported once.
    pub ignored: Vec<String>,
    /// Headers that name a field an earlier column already fills.
    pub duplicated: Vec<String>,
}

impl Columns {
    pub fn of(headers: &[String], mapping: &Mapping) -> Columns {
        let mut fields: Vec<Option<Field>> = Vec::new();
        let (mut ignored, mut duplicated) = (Vec::new(), Vec::new());
        for header in headers {
            let folded = key(header);
            let field = match mapping.columns.get(&folded) {
                Some(field) => *field,
                None => {
                    let field = Field::ALL
                        .into_iter()
                        .find(|f| key(f.name()) == folded || f.aliases().iter().any(|a| key(a) == folded));
                    if field.is_none() && !folded.is_empty() {
                        ignored.push(header.trim().to_string());
                    }
                    field
                }
            };
            if field.is_some() && fields.contains(&field) {
                duplicated.push(header.trim().to_string());
                fields.push(None);
            } else {
                fields.push(field);
            }
        }
        Columns { fields, ignored, duplicated }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn canonical_names_and_spreadsheet_headers() {
        let columns = Columns::of(
            &headers(&["NOM DE L'ENTREPRISE", "Région", "Secteur(s)", "site web", "N.E.Q.", "Couleur", "name_en"]),
            &Mapping::default(),
        );
        assert_eq!(
            columns.fields,
            vec![
                Some(Field::Name),
                Some(Field::Region),
                Some(Field::Sectors),
                Some(Field::Website),
                Some(Field::Neq),
                None,
                Some(Field::NameEn)
            ]
        );
        assert_eq!(columns.ignored, vec!["Couleur".to_string()]);
        for field in Field::ALL {
            assert_eq!(Field::by_name(field.name()), Some(field));
        }
    }

    #[test]
    fn a_mapping_file_names_unusual_headers() {
        let mapping = Mapping::parse("[columns]\n\"Dénomination\" = \"name\"\n\"Couleur\" = \"ignore\"\n").unwrap();
        let columns = Columns::of(&headers(&["dénomination", "couleur", "Nom"]), &mapping);
        assert_eq!(columns.fields, vec![Some(Field::Name), None, None]);
        assert!(columns.ignored.is_empty());
        assert_eq!(columns.duplicated, vec!["Nom".to_string()]);
        let error = Mapping::parse("X = \"colour\"").unwrap_err();
        assert!(error.to_string().contains("valid: id, handle, name"), "{error}");
    }
}
