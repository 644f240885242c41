//! The report's words in English, Spanish and French, and how each language writes numbers
//! and dates. Amounts always carry their ISO currency code, so no symbol is ambiguous.

use advisor_desk_core::time::{MONTHS_EN, MONTHS_ES, MONTHS_FR};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use advisor_desk_core::money::Currency;
use advisor_desk_core::reads::Health;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Es,
    Fr,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Es, Lang::Fr];

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "es" => Some(Lang::Es),
            "fr" => Some(Lang::Fr),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
            Lang::Fr => "fr",
        }
    }

    fn pick(self, en: &'static str, es: &'static str, fr: &'static str) -> &'static str {
        match self {
            Lang::En => en,
            Lang::Es => es,
            Lang::Fr => fr,
        }
    }

    /// Thousands separator and decimal mark.
    fn separators(self) -> (char, char) {
        match self {
            Lang::En => (',', '.'),
            Lang::Es => ('.', ','),
            // French groups with a no-break space.
            Lang::Fr => ('\u{a0}', ','),
        }
    }

    /// An exact decimal with grouped thousands: `1,234.56` / `1.234,56` / `1 234,56`.
    pub fn decimal(self, value: Decimal, places: u32) -> String {
        let (group, mark) = self.separators();
        let v = value.round_dp(places);
        let text = format!("{:.*}", places as usize, v.abs());
        let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
        let mut grouped = String::new();
        for (i, ch) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                grouped.push(group);
            }
            grouped.push(ch);
        }
        let sign = if v.is_sign_negative() && !v.is_zero() {
            "-"
        } else {
            ""
        };
        if frac.is_empty() {
            format!("{sign}{grouped}")
        } else {
            format!("{sign}{grouped}{mark}{frac}")
        }
    }

    /// Minor units as an amount with its currency code: `1,234.56 EUR`.
    pub fn money(self, minor: i64, currency: &str) -> String {
        let places = Currency::parse(currency).map_or(2, |c| c.exponent());
        format!(
            "{} {currency}",
            self.decimal(Decimal::new(minor, places), places)
        )
    }

    /// Basis points as a percentage: `75.00 %`.
    pub fn percent(self, bp: i64) -> String {
        format!("{} %", self.decimal(Decimal::new(bp, 2), 2))
    }

    pub fn date(self, d: NaiveDate) -> String {
        let m = d.month0() as usize;
        match self {
            Lang::En => format!("{} {}, {}", MONTHS_EN[m], d.day(), d.year()),
            Lang::Es => format!("{} de {} de {}", d.day(), MONTHS_ES[m], d.year()),
            Lang::Fr => format!("{} {} {}", d.day(), MONTHS_FR[m], d.year()),
        }
    }

    /// A short date for tables and chart axes: `2026-03-19` is the same in every language.
    pub fn short_date(self, d: NaiveDate) -> String {
        match self {
            Lang::En => d.format("%m/%d/%Y").to_string(),
            Lang::Es | Lang::Fr => d.format("%d/%m/%Y").to_string(),
        }
    }

    pub fn t(self, key: Text) -> &'static str {
        use Text::*;
        match key {
            ReportTitle => self.pick("Portfolio review", "Revisión patrimonial", "Revue patrimoniale"),
            HouseholdMembers => self.pick("Household members", "Miembros del hogar", "Membres du foyer"),
            PreparedOn => self.pick("Prepared on", "Preparado el", "Préparé le"),
            PreparedBy => self.pick("Prepared by", "Preparado por", "Préparé par"),
            NetWorth => self.pick("Net worth", "Patrimonio neto", "Patrimoine net"),
            TotalIn => self.pick("Total in", "Total en", "Total en"),
            PartialTotal => self.pick(
                "Partial total: no usable exchange rate for",
                "Total parcial: sin tipo de cambio utilizable para",
                "Total partiel : aucun taux de change utilisable pour",
            ),
            ConvertedWith => self.pick("Converted with the", "Convertido con los", "Converti avec les"),
            DatedOf => self.pick("of", "del", "du"),
            Currency => self.pick("Currency", "Moneda", "Devise"),
            Assets => self.pick("Assets", "Activos", "Actifs"),
            Liabilities => self.pick("Liabilities", "Pasivos", "Passifs"),
            Net => self.pick("Net", "Neto", "Net"),
            InBase => self.pick("In", "En", "En"),
            Rate => self.pick("Rate", "Tipo", "Taux"),
            RateDate => self.pick("Rate date", "Fecha", "Date"),
            NotConverted => self.pick("not converted", "sin convertir", "non converti"),
            ByMember => self.pick(
                "Each member's own figures (a joint account appears under each holder; the household total counts it once)",
                "Cifras de cada miembro (una cuenta conjunta figura en cada titular; el total del hogar la cuenta una vez)",
                "Chiffres de chaque membre (un compte joint figure chez chaque titulaire ; le total du foyer le compte une fois)",
            ),
            Member => self.pick("Member", "Miembro", "Membre"),
            ByMembers => self.pick("By member", "Por miembro", "Par membre"),
            History => self.pick("Net worth history", "Evolución del patrimonio", "Évolution du patrimoine"),
            HistoryNote => self.pick(
                "Month-end figures derived backwards from today's balances and the transactions since; holdings at today's value.",
                "Cifras a fin de mes calculadas hacia atrás desde los saldos de hoy y los movimientos posteriores; inversiones a su valor de hoy.",
                "Chiffres de fin de mois reconstitués à partir des soldes du jour et des opérations depuis ; placements à leur valeur du jour.",
            ),
            Allocation => self.pick("Allocation", "Distribución", "Répartition"),
            ByClass => self.pick("By asset class", "Por clase de activo", "Par classe d'actifs"),
            ByCurrency => self.pick("By currency", "Por moneda", "Par devise"),
            ByInstitution => self.pick("By institution", "Por entidad", "Par établissement"),
            ChartLeftOut => self.pick(
                "Not in the charts (no usable rate):",
                "Fuera de los gráficos (sin tipo utilizable):",
                "Hors des graphiques (aucun taux utilisable) :",
            ),
            Accounts => self.pick("Accounts", "Cuentas", "Comptes"),
            Institution => self.pick("Institution", "Entidad", "Établissement"),
            Account => self.pick("Account", "Cuenta", "Compte"),
            Owners => self.pick("Owners", "Titulares", "Titulaires"),
            Balance => self.pick("Balance", "Saldo", "Solde"),
            Holdings => self.pick("Holdings", "Inversiones", "Placements"),
            Name => self.pick("Name", "Nombre", "Nom"),
            Isin => "ISIN",
            Units => self.pick("Units", "Unidades", "Parts"),
            Value => self.pick("Value", "Valor", "Valeur"),
            Weight => self.pick("Weight", "Peso", "Poids"),
            AboutData => self.pick("About this data", "Sobre estos datos", "À propos de ces données"),
            DataAsOf => self.pick("Data as of", "Datos a", "Données au"),
            Never => self.pick("never received", "nunca recibidos", "jamais reçues"),
            Status => self.pick("Status", "Estado", "État"),
            NoConnections => self.pick(
                "No bank is connected yet.",
                "Todavía no hay ningún banco conectado.",
                "Aucune banque n'est encore connectée.",
            ),
            NoHoldings => self.pick("No holdings.", "Sin inversiones.", "Aucun placement."),
            NoAccounts => self.pick("No accounts.", "Sin cuentas.", "Aucun compte."),
            Page => self.pick("Page", "Página", "Page"),
            Of => self.pick("of", "de", "sur"),
            Stale => self.pick(
                "Not refreshed recently: figures may be out of date.",
                "Sin actualizar recientemente: las cifras pueden no estar al día.",
                "Pas mis à jour récemment : les chiffres peuvent ne pas être à jour.",
            ),
        }
    }

    /// A connection's state in plain words, for the client.
    pub fn health(self, h: Health) -> &'static str {
        match h {
            Health::Good => self.pick("Up to date", "Al día", "À jour"),
            Health::Waiting => self.pick(
                "Waiting for the bank; nothing to do",
                "Esperando al banco; no hay nada que hacer",
                "En attente de la banque ; rien à faire",
            ),
            Health::NeedsClient => self.pick(
                "Needs you: the bank asks you to confirm or reconnect",
                "Necesita su intervención: el banco pide que confirme o vuelva a conectar",
                "Votre action est requise : la banque demande de confirmer ou de reconnecter",
            ),
            Health::Failing => self.pick(
                "Not working; your advisor is on it",
                "No funciona; su asesor se está ocupando",
                "Ne fonctionne pas ; votre conseiller s'en occupe",
            ),
            Health::None => self.pick("Not connected", "Sin conectar", "Non connecté"),
        }
    }

    /// Asset classes as the domain names them (`cash`, `fund`, …).
    pub fn asset_class(self, class: &str) -> String {
        let word = match class {
            "cash" => self.pick("Cash", "Liquidez", "Liquidités"),
            "equity" => self.pick("Equities", "Renta variable", "Actions"),
            "fund" => self.pick("Funds", "Fondos", "Fonds"),
            "fixed_income" => self.pick("Fixed income", "Renta fija", "Obligations"),
            "pension" => self.pick("Pension", "Pensiones", "Retraite"),
            "crypto" => self.pick("Crypto-assets", "Criptoactivos", "Crypto-actifs"),
            "derivative" => self.pick("Derivatives", "Derivados", "Dérivés"),
            "bank_product" => {
                self.pick("Bank products", "Productos bancarios", "Produits bancaires")
            }
            "alternative" => self.pick("Alternatives", "Alternativos", "Alternatifs"),
            "mixed" => self.pick("Mixed", "Mixtos", "Mixtes"),
            "other" => self.pick("Other", "Otros", "Autres"),
            _ => return class.replace('_', " "),
        };
        word.to_string()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    ReportTitle,
    HouseholdMembers,
    PreparedOn,
    PreparedBy,
    NetWorth,
    TotalIn,
    PartialTotal,
    ConvertedWith,
    DatedOf,
    Currency,
    Assets,
    Liabilities,
    Net,
    InBase,
    Rate,
    RateDate,
    NotConverted,
    ByMember,
    Member,
    ByMembers,
    History,
    HistoryNote,
    Allocation,
    ByClass,
    ByCurrency,
    ByInstitution,
    ChartLeftOut,
    Accounts,
    Institution,
    Account,
    Owners,
    Balance,
    Holdings,
    Name,
    Isin,
    Units,
    Value,
    Weight,
    AboutData,
    DataAsOf,
    Never,
    Status,
    NoConnections,
    NoHoldings,
    NoAccounts,
    Page,
    Of,
    Stale,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_dates_are_written_the_way_each_language_writes_them() {
        assert_eq!(Lang::En.money(123_456_789, "EUR"), "1,234,567.89 EUR");
        assert_eq!(Lang::Es.money(123_456_789, "EUR"), "1.234.567,89 EUR");
        assert_eq!(Lang::Fr.money(-123_456, "CAD"), "-1\u{a0}234,56 CAD");
        assert_eq!(Lang::En.money(5, "JPY"), "5 JPY");
        assert_eq!(Lang::En.money(-5, "EUR"), "-0.05 EUR");
        assert_eq!(Lang::Es.percent(7_500), "75,00 %");
        let d = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        assert_eq!(Lang::En.date(d), "March 9, 2026");
        assert_eq!(Lang::Es.date(d), "9 de marzo de 2026");
        assert_eq!(Lang::Fr.date(d), "9 mars 2026");
        assert_eq!(Lang::Fr.short_date(d), "09/03/2026");
    }
}
