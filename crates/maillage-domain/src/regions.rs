//! Where Québec's administrative regions are: a bounding box per code of
//! [`REGIONS`](crate::vocabulary::REGIONS), so that a map filtered on a
//! region shows that region even where few of its enterprises have a
//! position. The boxes are approximate (rounded outwards to about a tenth of
//! a degree): they frame a map, they do not decide which region a point is in.

/// A box in degrees (WGS 84).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub south: f64,
    pub west: f64,
    pub north: f64,
    pub east: f64,
}

impl Bounds {
    const fn new(south: f64, west: f64, north: f64, east: f64) -> Bounds {
        Bounds { south, west, north, east }
    }

    pub fn contains(&self, latitude: f64, longitude: f64) -> bool {
        (self.south..=self.north).contains(&latitude) && (self.west..=self.east).contains(&longitude)
    }
}

/// (code, box): the codes are those of `REGIONS`, in its order.
const BOUNDS: &[(&str, Bounds)] = &[
    ("bas_saint_laurent", Bounds::new(47.3, -70.1, 49.2, -66.8)),
    ("saguenay_lac_saint_jean", Bounds::new(47.3, -75.4, 52.0, -69.5)),
    ("capitale_nationale", Bounds::new(46.6, -72.9, 48.3, -69.8)),
    ("mauricie", Bounds::new(46.1, -75.6, 48.7, -72.0)),
    ("estrie", Bounds::new(45.0, -72.6, 46.0, -70.4)),
    ("montreal", Bounds::new(45.4, -74.0, 45.8, -73.4)),
    ("outaouais", Bounds::new(45.4, -79.2, 47.9, -74.3)),
    ("abitibi_temiscamingue", Bounds::new(46.3, -79.6, 49.1, -75.5)),
    ("cote_nord", Bounds::new(48.0, -71.0, 55.0, -57.1)),
    ("nord_du_quebec", Bounds::new(49.0, -79.8, 62.6, -63.5)),
    ("gaspesie_iles_de_la_madeleine", Bounds::new(47.2, -67.3, 49.3, -61.1)),
    ("chaudiere_appalaches", Bounds::new(45.6, -72.1, 47.2, -69.6)),
    ("laval", Bounds::new(45.5, -73.9, 45.7, -73.5)),
    ("lanaudiere", Bounds::new(45.7, -74.7, 47.8, -73.0)),
    ("laurentides", Bounds::new(45.4, -75.6, 47.9, -73.6)),
    ("monteregie", Bounds::new(45.0, -74.5, 46.2, -72.0)),
    ("centre_du_quebec", Bounds::new(45.6, -72.9, 46.5, -71.5)),
];

/// The box of a region, by its code.
pub fn bounds(code: &str) -> Option<Bounds> {
    BOUNDS.iter().find(|(c, _)| *c == code).map(|(_, b)| *b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::REGIONS;

    #[test]
    fn every_region_has_a_box_and_every_box_a_region() {
        let codes: Vec<&str> = REGIONS.terms.iter().map(|t| t.code).collect();
        let boxed: Vec<&str> = BOUNDS.iter().map(|(c, _)| *c).collect();
        assert_eq!(codes, boxed);
        for (code, b) in BOUNDS {
            assert!(b.south < b.north && b.west < b.east, "{code}");
            // Within Québec's own box.
            assert!(b.south >= 44.9 && b.north <= 62.7 && b.west >= -79.9 && b.east <= -57.0, "{code}");
        }
    }

    #[test]
    fn known_towns_are_in_their_region() {
        let towns = [
            ("estrie", 45.40, -71.89),                        // Sherbrooke
            ("montreal", 45.50, -73.57),                      // Montréal
            ("capitale_nationale", 46.81, -71.21),            // Québec
            ("saguenay_lac_saint_jean", 48.43, -71.07),       // Saguenay
            ("bas_saint_laurent", 48.45, -68.52),             // Rimouski
            ("gaspesie_iles_de_la_madeleine", 48.83, -64.48), // Gaspé
            ("outaouais", 45.48, -75.70),                     // Gatineau
            ("abitibi_temiscamingue", 48.24, -79.02),         // Rouyn-Noranda
            ("cote_nord", 50.22, -66.38),                     // Sept-Îles
            ("nord_du_quebec", 49.91, -74.37),                // Chibougamau
            ("mauricie", 46.35, -72.55),                      // Trois-Rivières
            ("centre_du_quebec", 45.88, -72.48),              // Drummondville
            ("chaudiere_appalaches", 46.80, -71.18),          // Lévis
            ("laval", 45.57, -73.69),                         // Laval
            ("lanaudiere", 46.02, -73.44),                    // Joliette
            ("laurentides", 45.78, -74.00),                   // Saint-Jérôme
            ("monteregie", 45.53, -73.52),                    // Longueuil
        ];
        for (code, lat, lon) in towns {
            assert!(bounds(code).unwrap().contains(lat, lon), "{code} ({lat}, {lon})");
        }
        assert!(!bounds("estrie").unwrap().contains(45.50, -73.57), "Montréal is not in Estrie");
        assert_eq!(bounds("atlantis"), None);
    }
}
