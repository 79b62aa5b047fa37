//! Code lists: the closed sets of values a coded column may hold.
//!
//! Canonical codes are stable upper-case identifiers (Finnish, as THL and the
//! laws use them). Source systems' local values are mapped onto them by the
//! mapping files; THL's own numeric codes could not be verified
//! (domain.md §1), so nothing here pretends to be them.

/// One value of a code list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    /// Canonical value as stored.
    pub code: &'static str,
    /// What it means, in English, with the Finnish term.
    pub doc: &'static str,
}

/// A named, closed list of codes.
#[derive(Debug, PartialEq, Eq)]
pub struct CodeList {
    /// Name used by mappings (`[codes.NAME]`).
    pub name: &'static str,
    /// What the list classifies.
    pub doc: &'static str,
    /// The allowed canonical values.
    pub codes: &'static [Code],
}

impl CodeList {
    /// Whether `code` is one of the canonical values.
    #[must_use]
    pub fn contains(&self, code: &str) -> bool {
        self.codes.iter().any(|c| c.code == code)
    }
}

macro_rules! code_list {
    ($ident:ident, $name:literal, $doc:literal, [$(($code:literal, $cdoc:literal)),+ $(,)?]) => {
        #[doc = $doc]
        pub static $ident: CodeList = CodeList {
            name: $name,
            doc: $doc,
            codes: &[$(Code { code: $code, doc: $cdoc }),+],
        };
    };
}

code_list!(
    SEX,
    "sex",
    "Sukupuoli: sex, as Statistics Finland codes it.",
    [("1", "Mies: male"), ("2", "Nainen: female"),]
);

code_list!(
    PLACEMENT_FORM,
    "placement_form",
    "Sijoitusmuoto: form of out-of-home placement.",
    [
        ("PERHEHOITO", "Perhehoito: family (foster) care"),
        (
            "SUKULAISPERHEHOITO",
            "Sukulais- tai läheisperhehoito: relative or close family care"
        ),
        (
            "AMMATILLINEN_PERHEHOITO",
            "Ammatillinen perhehoito: professional family care"
        ),
        (
            "LAITOSHOITO",
            "Laitoshoito: institutional care (lastenkoti, koulukoti, nuorisokoti)"
        ),
        ("MUU", "Muu: other (content unverified, domain.md §1)"),
    ]
);

code_list!(
    LEGAL_BASIS,
    "legal_basis",
    "Sijoituksen peruste: legal basis of a placement (Child Welfare Act).",
    [
        (
            "AVOHUOLLON_SIJOITUS",
            "Avohuollon sijoitus: placement as open-care support (LsL 37 §)"
        ),
        (
            "KIIREELLINEN",
            "Kiireellinen sijoitus: urgent placement (LsL 38 §)"
        ),
        ("HUOSTAANOTTO", "Huostaanotto: care order (LsL 40 §)"),
        ("JALKIHUOLTO", "Jälkihuolto: aftercare (LsL 75 §)"),
    ]
);

code_list!(
    NOTIFICATION_OUTCOME,
    "notification_outcome",
    "Lastensuojeluilmoituksen käsittely: what followed a child-welfare notification.",
    [
        (
            "SELVITYS",
            "Palvelutarpeen arviointi aloitettu: needs assessment started"
        ),
        (
            "EI_SELVITYSTA",
            "Ei aiheuta toimenpiteitä: no assessment needed"
        ),
        (
            "ASIAKKUUS_JO",
            "Asiakkuus jo olemassa: already a child-welfare client"
        ),
        (
            "SIIRRETTY",
            "Siirretty toiseen kuntaan: transferred to another municipality"
        ),
    ]
);

code_list!(
    MATTER_OPENED_BY,
    "matter_opened_by",
    "Vireilletulotapa: how a matter handled under the time limits of LsL 26 § or SHL 36 § was opened.",
    [
        (
            "ILMOITUS",
            "Lastensuojeluilmoitus: a child-welfare notification (LsL 25 §)"
        ),
        (
            "MUU_YHTEYDENOTTO",
            "Hakemus tai muu yhteydenotto: an application or another contact opening a child-welfare matter (LsL 26 §)"
        ),
        (
            "ERITYINEN_TUKI",
            "Erityistä tukea tarvitsevan lapsen palvelutarpeen arviointi: an assessment of a child needing special support, opened without a notification (SHL 36 §)"
        ),
    ]
);

code_list!(
    SERVICE_DOMAIN,
    "service_domain",
    "Palvelu: the social service a decision concerns.",
    [
        (
            "TOIMEENTULOTUKI_TAYDENTAVA",
            "Täydentävä toimeentulotuki: supplementary social assistance"
        ),
        (
            "TOIMEENTULOTUKI_EHKAISEVA",
            "Ehkäisevä toimeentulotuki: preventive social assistance"
        ),
        (
            "TOIMEENTULOTUKI_PERUS",
            "Perustoimeentulotuki: basic social assistance, granted by Kela (from a Kela extract)"
        ),
        (
            "KUNTOUTTAVA_TYOTOIMINTA",
            "Kuntouttava työtoiminta: rehabilitative work activity"
        ),
        ("VAMMAISPALVELU", "Vammaispalvelut: disability services"),
        (
            "LASTENSUOJELU_AVOHUOLTO",
            "Lastensuojelun avohuollon tukitoimi: child-welfare open-care support measure (LsL 36 §)"
        ),
    ]
);

code_list!(
    DECISION_RESULT,
    "decision_result",
    "Päätös: outcome of a service decision.",
    [
        ("MYONTEINEN", "Myönteinen: granted"),
        ("KIELTEINEN", "Kielteinen: refused"),
    ]
);

code_list!(
    PERMIT_BASIS,
    "permit_basis",
    "Oleskeluluvan peruste: residence permit basis by section of the Aliens Act (ulkomaalaislaki).",
    [
        ("87", "Turvapaikka: asylum, UlkL 87 §"),
        (
            "88",
            "Toissijainen suojelu: subsidiary protection, UlkL 88 §"
        ),
        (
            "89",
            "Poissulkemislauseke: a permit when international protection is excluded, UlkL 89 §"
        ),
        ("90", "Kiintiöpakolainen: quota refugee, UlkL 90 §"),
        (
            "93",
            "Humanitaarinen maahanmuutto: humanitarian admission, UlkL 93 §"
        ),
        ("51", "Maastapoistamisen este: removal barred, UlkL 51 §"),
        (
            "52",
            "Yksilöllinen inhimillinen syy: individual humane grounds, UlkL 52 §"
        ),
        (
            "52A",
            "Ihmiskaupan uhri: victim of trafficking, UlkL 52 a §"
        ),
        ("54", "Jatkolupa: continued permit, UlkL 54 §"),
        (
            "110",
            "Tilapäinen suojelu: temporary protection with a home municipality, UlkL 110 §"
        ),
        (
            "114",
            "Perheside: family member of a person granted protection, UlkL 114 § 1 mom"
        ),
        ("115", "Perheside: family member, UlkL 115 §"),
    ]
);

code_list!(
    INTEGRATION_SERVICE_KIND,
    "integration_service_kind",
    "Kotoutumisen palvelu: integration service.",
    [
        (
            "ALKUKARTOITUS",
            "Alkukartoitus: initial assessment (Act 1386/2010)"
        ),
        (
            "PALVELUTARPEEN_ARVIOINTI",
            "Osaamisen ja kotoutumisen palvelutarpeen arviointi: assessment (Act 681/2023)"
        ),
        (
            "PALVELUTARPEEN_ARVIOINTI_MONIALAINEN",
            "Monialainen palvelutarpeen arviointi: multi-agency assessment"
        ),
        (
            "KOTOUTUMISSUUNNITELMA",
            "Kotoutumissuunnitelma: integration plan"
        ),
        (
            "KOTOUTUMISSUUNNITELMA_MONIALAINEN",
            "Monialainen kotoutumissuunnitelma: multi-agency integration plan"
        ),
        (
            "ORIENTAATIO",
            "Monikielinen yhteiskuntaorientaatio: multilingual civic orientation"
        ),
        (
            "KOTOUTUMISKOULUTUS",
            "Kotoutumiskoulutus: integration training"
        ),
    ]
);

code_list!(
    INTEGRATION_LAW,
    "integration_law",
    "Kotoutumislaki: which integration act the service was given under.",
    [
        (
            "1386/2010",
            "Laki kotoutumisen edistämisestä 1386/2010 (until 31.12.2024)"
        ),
        ("681/2023", "Kotoutumislaki 681/2023 (from 1.1.2025)"),
    ]
);

code_list!(
    OUTCOME_OFFSET,
    "outcome_offset",
    "Seuranta-ajankohta: months after the anchor service ended.",
    [
        ("3", "3 kuukautta: 3 months"),
        ("6", "6 kuukautta: 6 months"),
        ("12", "12 kuukautta: 12 months"),
    ]
);

code_list!(
    OUTCOME_STATUS,
    "outcome_status",
    "Työmarkkina-asema: labour-market status at follow-up.",
    [
        ("TYOLLINEN", "Työllinen: employed"),
        ("OPISKELIJA", "Opiskelija: in education"),
        ("TYOTON", "Työtön: unemployed"),
        (
            "TYOVOIMAN_ULKOPUOLELLA",
            "Työvoiman ulkopuolella: outside the labour force"
        ),
        ("TUNTEMATON", "Tuntematon: unknown"),
    ]
);

code_list!(
    COMPENSATION_TYPE,
    "compensation_type",
    "Valtion korvaus: type of state compensation to the municipality or county.",
    [
        (
            "LASKENNALLINEN",
            "Laskennallinen korvaus: flat-rate compensation"
        ),
        (
            "ALKUKARTOITUS",
            "Alkukartoituksen korvaus: initial-assessment compensation"
        ),
        ("ERITYISKUSTANNUS", "Erityiskustannukset: special costs"),
        (
            "TOIMEENTULOTUKI",
            "Toimeentulotuen korvaus: social-assistance compensation"
        ),
        ("TULKKAUS", "Tulkkauskustannukset: interpreting costs"),
        (
            "ILMAN_HUOLTAJAA",
            "Ilman huoltajaa tulleet: unaccompanied minors"
        ),
        (
            "VASTAANOTTOON_VARAUTUMINEN",
            "Kiintiöpakolaisten vastaanottoon varautuminen: preparing to receive quota refugees"
        ),
        (
            "PALUUMUUTTOAVUSTUS",
            "Paluumuuttoavustus: return-migration grant"
        ),
        (
            "IHMISKAUPPA",
            "Ihmiskaupan uhrit: compensation for victims of trafficking"
        ),
    ]
);

code_list!(
    COMPENSATION_RECIPIENT,
    "compensation_recipient",
    "Korvauksen saaja: who receives a state integration compensation (Act 681/2023).",
    [
        ("KUNTA", "Kunta: the municipality"),
        (
            "HVA",
            "Hyvinvointialue: the wellbeing services county (or the City of Helsinki)"
        ),
    ]
);

code_list!(
    DAY_RULE,
    "day_rule",
    "Hoitopäivien laskusääntö: how an invoice counts care days.",
    [
        ("INCLUSIVE", "Both the arrival and departure day count"),
        (
            "ARRIVAL_NOT_DEPARTURE",
            "Arrival day counts, departure day does not (common invoice convention)"
        ),
        (
            "STATISTICAL",
            "End minus start; a same-day stay counts one day"
        ),
        (
            "TRANSFER_DAY_TO_RECEIVER",
            "On a direct transfer only the receiving unit charges the day"
        ),
    ]
);

code_list!(
    ORG_TYPE,
    "org_type",
    "Organisaation tyyppi: kind of organisation.",
    [
        ("KUNTA", "Kunta: municipality (3-digit code)"),
        (
            "HVA",
            "Hyvinvointialue: wellbeing services county (2-digit code)"
        ),
        ("TYOLLISYYSALUE", "Työllisyysalue: employment area"),
        (
            "ELY",
            "ELY-keskus: Centre for Economic Development, Transport and the Environment (until 2025)"
        ),
        (
            "ELINVOIMAKESKUS",
            "Elinvoimakeskus: vitality centre (from 1.1.2026)"
        ),
        ("KEHA", "KEHA-keskus: the payer of state compensations"),
        ("PROVIDER", "Palveluntuottaja: service provider (Y-tunnus)"),
    ]
);

/// Every code list, for mapping validation and documentation.
pub static ALL: &[&CodeList] = &[
    &SEX,
    &PLACEMENT_FORM,
    &LEGAL_BASIS,
    &NOTIFICATION_OUTCOME,
    &MATTER_OPENED_BY,
    &SERVICE_DOMAIN,
    &DECISION_RESULT,
    &PERMIT_BASIS,
    &INTEGRATION_SERVICE_KIND,
    &INTEGRATION_LAW,
    &OUTCOME_OFFSET,
    &OUTCOME_STATUS,
    &COMPENSATION_TYPE,
    &COMPENSATION_RECIPIENT,
    &DAY_RULE,
    &ORG_TYPE,
];

/// Looks a code list up by name.
#[must_use]
pub fn by_name(name: &str) -> Option<&'static CodeList> {
    ALL.iter().copied().find(|l| l.name == name)
}

/// Names of the codes managers read on the dashboard, as (list, code,
/// Finnish, Swedish, English).
pub static NAMES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "sex",
        "1",
        "Pojat ja miehet",
        "Pojkar och män",
        "Boys and men",
    ),
    (
        "sex",
        "2",
        "Tytöt ja naiset",
        "Flickor och kvinnor",
        "Girls and women",
    ),
    (
        "placement_form",
        "PERHEHOITO",
        "Perhehoito",
        "Familjevård",
        "Family care",
    ),
    (
        "placement_form",
        "SUKULAISPERHEHOITO",
        "Sukulais- ja läheisperhehoito",
        "Släkt- och närståendefamiljevård",
        "Kinship care",
    ),
    (
        "placement_form",
        "AMMATILLINEN_PERHEHOITO",
        "Ammatillinen perhehoito",
        "Professionell familjevård",
        "Professional family care",
    ),
    (
        "placement_form",
        "LAITOSHOITO",
        "Laitoshoito",
        "Anstaltsvård",
        "Residential care",
    ),
    ("placement_form", "MUU", "Muu", "Annan", "Other"),
    (
        "outcome_status",
        "TYOLLINEN",
        "Työllinen",
        "Sysselsatt",
        "Employed",
    ),
    (
        "outcome_status",
        "OPISKELIJA",
        "Opiskelija",
        "Studerande",
        "In education",
    ),
    (
        "outcome_status",
        "TYOTON",
        "Työtön",
        "Arbetslös",
        "Unemployed",
    ),
    (
        "outcome_status",
        "TYOVOIMAN_ULKOPUOLELLA",
        "Työvoiman ulkopuolella",
        "Utanför arbetskraften",
        "Outside the labour force",
    ),
    (
        "outcome_status",
        "TUNTEMATON",
        "Tuntematon",
        "Okänd",
        "Unknown",
    ),
    (
        "compensation_type",
        "LASKENNALLINEN",
        "Laskennallinen korvaus",
        "Kalkylerad ersättning",
        "Flat-rate compensation",
    ),
    (
        "compensation_type",
        "ALKUKARTOITUS",
        "Alkukartoitus",
        "Inledande kartläggning",
        "Initial assessment",
    ),
    (
        "compensation_type",
        "ERITYISKUSTANNUS",
        "Erityiskustannukset",
        "Särskilda kostnader",
        "Special costs",
    ),
    (
        "compensation_type",
        "TOIMEENTULOTUKI",
        "Toimeentulotuki",
        "Utkomststöd",
        "Social assistance",
    ),
    (
        "compensation_type",
        "TULKKAUS",
        "Tulkkaus",
        "Tolkning",
        "Interpreting",
    ),
    (
        "compensation_type",
        "ILMAN_HUOLTAJAA",
        "Ilman huoltajaa tulleet",
        "Minderåriga utan vårdnadshavare",
        "Unaccompanied minors",
    ),
];

/// A code's name in a language (`fi`, `sv`, `en`), where [`NAMES`] has it.
#[must_use]
pub fn name(list: &str, code: &str, lang: &str) -> Option<&'static str> {
    NAMES
        .iter()
        .find(|n| n.0 == list && n.1 == code)
        .map(|n| match lang {
            "sv" => n.3,
            "en" => n.4,
            _ => n.2,
        })
}
