//! The statutory packages: which saved reports go to which recipient,
//! under which policy, in which languages.

use peitto_i18n::Lang;

/// A statutory package.
#[derive(Debug)]
pub struct Package {
    /// Name used on the command line and for the output folder.
    pub name: &'static str,
    /// Catalogue key of the recipient's name.
    pub recipient: &'static str,
    /// Policy every table of the package is released under.
    pub policy: &'static str,
    /// Report ids, in the order the cover lists them.
    pub reports: &'static [&'static str],
    /// Languages the tables are written in.
    pub languages: &'static [Lang],
}

impl Package {
    /// The package called `name`.
    #[must_use]
    pub fn named(name: &str) -> Option<&'static Package> {
        PACKAGES.iter().find(|p| p.name == name)
    }
}

/// The packages peitto knows.
pub const PACKAGES: &[Package] = &[
    Package {
        name: "thl-lastensuojelu",
        recipient: "package.thl",
        policy: "thl",
        reports: &[
            "placed_children",
            "children_in_care",
            "urgent_and_new_care_orders",
            "placement_day_bands",
            "placement_days_by_form",
            "notification_time_limits",
            "notifications_and_children",
            "open_care_clients",
            "after_care_clients",
            "care_costs",
        ],
        languages: &[Lang::Fi, Lang::Sv],
    },
    Package {
        name: "ely-kotoutuminen",
        recipient: "package.ely",
        policy: "ely",
        reports: &[
            "integration_services_within_months",
            "integration_outcomes",
            "compensation_reconciliation",
            "actual_cost_claims",
        ],
        languages: &[Lang::Fi, Lang::Sv],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_are_found_by_name_and_name_their_recipient() {
        let thl = Package::named("thl-lastensuojelu").unwrap();
        assert_eq!(thl.policy, "thl");
        assert!(peitto_i18n::has(thl.recipient));
        assert!(peitto_i18n::has(
            Package::named("ely-kotoutuminen").unwrap().recipient
        ));
        assert!(Package::named("thl").is_none());
    }
}
