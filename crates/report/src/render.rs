//! The report's sections, in order: cover, net worth (base-currency total and each currency),
//! per-member figures for a household, history, allocation charts, accounts, holdings, and
//! what the data is worth (each connection's date and state in plain words).

use std::collections::BTreeMap;

use chrono::NaiveDate;

use advisor_desk_core::rates::{LeftOutReason, RateSource};

use crate::i18n::{Lang, Text};
use crate::layout::{Align, Column, Layout, ACCENT, INK, MUTED, PALETTE, WARN};
use crate::model::{Chart, Report};
use crate::pdf::{Fonts, Op};

pub fn pages(report: &Report, fonts: &Fonts) -> Vec<Vec<Op>> {
    let lang = report.settings.lang;
    let mut l = Layout::new(fonts, report.settings.paper.size());
    cover(&mut l, report, lang);
    net_worth(&mut l, report, lang);
    if !report.member_totals.is_empty() {
        members(&mut l, report, lang);
    }
    history(&mut l, report, lang);
    allocation(&mut l, report, lang);
    accounts(&mut l, report, lang);
    holdings(&mut l, report, lang);
    about_data(&mut l, report, lang);
    let footer = format!(
        "{} — {} — {}",
        lang.t(Text::ReportTitle),
        report.title,
        lang.date(report.generated_on)
    );
    l.finish(&footer, |i, n| {
        format!("{} {i} {} {n}", lang.t(Text::Page), lang.t(Text::Of))
    })
}

fn cover(l: &mut Layout<'_>, r: &Report, lang: Lang) {
    l.gap(40.0);
    l.line_of_text(11.0, true, ACCENT, lang.t(Text::ReportTitle));
    l.gap(6.0);
    l.line_of_text(24.0, true, INK, &r.title);
    if !r.members.is_empty() {
        l.gap(4.0);
        l.line_of_text(
            10.0,
            false,
            MUTED,
            &format!(
                "{}: {}",
                lang.t(Text::HouseholdMembers),
                r.members.join(", ")
            ),
        );
    }
    l.gap(8.0);
    l.line_of_text(
        10.0,
        false,
        INK,
        &format!("{} {}", lang.t(Text::PreparedOn), lang.date(r.generated_on)),
    );
    let by: Vec<&str> = [
        r.settings.advisor_name.as_deref(),
        r.settings.firm.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !by.is_empty() {
        l.line_of_text(
            10.0,
            false,
            INK,
            &format!("{} {}", lang.t(Text::PreparedBy), by.join(", ")),
        );
    }
}

fn source_label(lang: Lang, s: RateSource) -> &'static str {
    match (s, lang) {
        (RateSource::Ecb, Lang::En) => "ECB euro reference rates",
        (RateSource::Ecb, Lang::Es) => "tipos de referencia del euro del BCE",
        (RateSource::Ecb, Lang::Fr) => "taux de référence de l'euro de la BCE",
        (RateSource::BankOfCanada, Lang::En) => "Bank of Canada daily exchange rates",
        (RateSource::BankOfCanada, Lang::Es) => "tipos de cambio diarios del Banco de Canadá",
        (RateSource::BankOfCanada, Lang::Fr) => "taux de change quotidiens de la Banque du Canada",
    }
}

fn net_worth(l: &mut Layout<'_>, r: &Report, lang: Lang) {
    let t = &r.base_total;
    l.heading(lang.t(Text::NetWorth));
    l.gap(4.0);
    l.line_of_text(
        18.0,
        true,
        INK,
        &format!(
            "{} {}: {}",
            lang.t(Text::TotalIn),
            t.base,
            lang.money(t.total_minor, &t.base)
        ),
    );
    if let Some(d) = t.oldest_rate_date {
        l.paragraph(
            8.5,
            MUTED,
            &format!(
                "{} {} {} {}.",
                lang.t(Text::ConvertedWith),
                source_label(lang, t.source),
                lang.t(Text::DatedOf),
                lang.date(d)
            ),
        );
    }
    if t.partial {
        let out: Vec<String> = t
            .left_out
            .iter()
            .map(|o| {
                let why = match &o.reason {
                    LeftOutReason::Stale { latest } => format!(" ({})", lang.short_date(*latest)),
                    _ => String::new(),
                };
                format!("{}{why}", lang.money(o.amount_minor, &o.currency))
            })
            .collect();
        l.paragraph(
            9.0,
            WARN,
            &format!("{} {}.", lang.t(Text::PartialTotal), out.join("; ")),
        );
    }
    l.gap(6.0);
    let in_base = format!("{} {}", lang.t(Text::InBase), t.base);
    let cols = [
        Column {
            title: lang.t(Text::Currency),
            share: 0.11,
            align: Align::Left,
        },
        Column {
            title: lang.t(Text::Assets),
            share: 0.17,
            align: Align::Right,
        },
        Column {
            title: lang.t(Text::Liabilities),
            share: 0.14,
            align: Align::Right,
        },
        Column {
            title: lang.t(Text::Net),
            share: 0.17,
            align: Align::Right,
        },
        Column {
            title: &in_base,
            share: 0.17,
            align: Align::Right,
        },
        Column {
            title: lang.t(Text::Rate),
            share: 0.10,
            align: Align::Right,
        },
        Column {
            title: lang.t(Text::RateDate),
            share: 0.14,
            align: Align::Right,
        },
    ];
    let rows: Vec<Vec<String>> = r
        .net_worth
        .iter()
        .map(|n| {
            let converted = t.converted.iter().find(|c| c.currency == n.currency);
            let (value, rate, date) = match converted {
                Some(c) => match &c.rate {
                    Some(a) => (
                        lang.money(c.base_minor, &t.base),
                        lang.decimal(a.rate, 6),
                        lang.short_date(a.date),
                    ),
                    None => (lang.money(c.base_minor, &t.base), "1".into(), String::new()),
                },
                None => (
                    lang.t(Text::NotConverted).to_string(),
                    "—".into(),
                    "—".into(),
                ),
            };
            vec![
                n.currency.clone(),
                lang.money(n.assets_minor, &n.currency),
                lang.money(n.liabilities_minor, &n.currency),
                lang.money(n.net_minor, &n.currency),
                value,
                rate,
                date,
            ]
        })
        .collect();
    l.table(&cols, &rows);
}

fn members(l: &mut Layout<'_>, r: &Report, lang: Lang) {
    l.subheading(lang.t(Text::ByMembers));
    l.paragraph(8.0, MUTED, lang.t(Text::ByMember));
    let cols = [
        Column {
            title: lang.t(Text::Member),
            share: 0.5,
            align: Align::Left,
        },
        Column {
            title: lang.t(Text::Net),
            share: 0.5,
            align: Align::Right,
        },
    ];
    let rows: Vec<Vec<String>> = r
        .member_totals
        .iter()
        .map(|(name, totals)| {
            let nets: Vec<String> = totals
                .iter()
                .map(|t| lang.money(t.net_minor, &t.currency))
                .collect();
            vec![
                name.clone(),
                if nets.is_empty() {
                    "—".into()
                } else {
                    nets.join(" · ")
                },
            ]
        })
        .collect();
    l.table(&cols, &rows);
}

fn history(l: &mut Layout<'_>, r: &Report, lang: Lang) {
    let mut by_currency: BTreeMap<&str, Vec<(&str, i64)>> = BTreeMap::new();
    for p in &r.history {
        by_currency
            .entry(&p.currency)
            .or_default()
            .push((&p.date, p.net_minor));
    }
    if by_currency.is_empty() {
        return;
    }
    l.heading(lang.t(Text::History));
    l.paragraph(8.0, MUTED, lang.t(Text::HistoryNote));
    for (i, (currency, points)) in by_currency.iter().enumerate() {
        // Keep the currency's title with its chart.
        l.ensure(150.0);
        l.subheading(currency);
        let values: Vec<i64> = points.iter().map(|p| p.1).collect();
        let date = |s: &str| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(|d| lang.short_date(d))
                .unwrap_or_else(|_| s.to_string())
        };
        let first = points.first().map(|p| date(p.0)).unwrap_or_default();
        let last = points.last().map(|p| date(p.0)).unwrap_or_default();
        let lo = values.iter().min().copied().unwrap_or(0);
        let hi = values.iter().max().copied().unwrap_or(0);
        l.line_chart(
            &values,
            (&first, &last),
            (&lang.money(lo, currency), &lang.money(hi, currency)),
            PALETTE[i % PALETTE.len()],
        );
    }
}

fn chart(l: &mut Layout<'_>, title: &str, c: &Chart, base: &str, lang: Lang) {
    if c.bars.is_empty() && c.left_out.is_empty() {
        return;
    }
    // Keep the title with the first bars.
    l.ensure(40.0 + 16.0 * c.bars.len().min(4) as f32);
    l.subheading(title);
    let total: i64 = c.bars.iter().map(|b| b.1).sum();
    let max = c.bars.iter().map(|b| b.1).max().unwrap_or(1).max(1);
    let bars: Vec<(String, String, f32)> = c
        .bars
        .iter()
        .map(|(k, v)| {
            let bp = if total > 0 {
                ((i128::from(*v) * 10_000 + i128::from(total) / 2) / i128::from(total)) as i64
            } else {
                0
            };
            (
                k.clone(),
                format!("{} · {}", lang.money(*v, base), lang.percent(bp)),
                *v as f32 / max as f32,
            )
        })
        .collect();
    l.bar_chart(&bars);
    if !c.left_out.is_empty() {
        l.paragraph(
            8.0,
            WARN,
            &format!("{} {}", lang.t(Text::ChartLeftOut), c.left_out.join(", ")),
        );
    }
}

fn allocation(l: &mut Layout<'_>, r: &Report, lang: Lang) {
    if r.by_class.bars.is_empty() && r.by_class.left_out.is_empty() {
        return;
    }
    l.heading(&format!(
        "{} ({})",
        lang.t(Text::Allocation),
        r.base_total.base
    ));
    let base = &r.base_total.base;
    chart(l, lang.t(Text::ByClass), &r.by_class, base, lang);
    chart(l, lang.t(Text::ByCurrency), &r.by_currency, base, lang);
    chart(
        l,
        lang.t(Text::ByInstitution),
        &r.by_institution,
        base,
        lang,
    );
}

fn accounts(l: &mut Layout<'_>, r: &Report, lang: Lang) {
    l.heading(lang.t(Text::Accounts));
    if r.accounts.is_empty() {
        l.paragraph(9.0, MUTED, lang.t(Text::NoAccounts));
        return;
    }
    let cols = [
        Column {
            title: lang.t(Text::Institution),
            share: 0.18,
            align: Align::Left,
        },
        Column {
            title: lang.t(Text::Account),
            share: 0.30,
            align: Align::Left,
        },
        Column {
            title: lang.t(Text::Owners),
            share: 0.30,
            align: Align::Left,
        },
        Column {
            title: lang.t(Text::Balance),
            share: 0.22,
            align: Align::Right,
        },
    ];
    let rows: Vec<Vec<String>> = r
        .accounts
        .iter()
        .map(|a| {
            let name = match &a.number_masked {
                Some(n) => format!("{} {n}", a.name),
                None => a.name.clone(),
            };
            vec![
                a.institution.clone(),
                name,
                a.owners.join(", "),
                lang.money(a.balance_minor, &a.currency),
            ]
        })
        .collect();
    l.table(&cols, &rows);
}

fn holdings(l: &mut Layout<'_>, r: &Report, lang: Lang) {
    l.heading(lang.t(Text::Holdings));
    if r.holdings.is_empty() {
        l.paragraph(9.0, MUTED, lang.t(Text::NoHoldings));
        return;
    }
    let cols = [
        Column {
            title: lang.t(Text::Name),
            share: 0.32,
            align: Align::Left,
        },
        Column {
            title: lang.t(Text::Isin),
            share: 0.17,
            align: Align::Left,
        },
        Column {
            title: lang.t(Text::Units),
            share: 0.14,
            align: Align::Right,
        },
        Column {
            title: lang.t(Text::Value),
            share: 0.22,
            align: Align::Right,
        },
        Column {
            title: lang.t(Text::Weight),
            share: 0.15,
            align: Align::Right,
        },
    ];
    let rows: Vec<Vec<String>> = r
        .holdings
        .iter()
        .map(|h| {
            let units = h
                .units
                .as_deref()
                .and_then(|u| u.parse::<rust_decimal::Decimal>().ok())
                .map(|u| lang.decimal(u, u.scale()))
                .unwrap_or_default();
            vec![
                h.name.clone(),
                h.isin.clone().unwrap_or_default(),
                units,
                lang.money(h.value_minor, &h.currency),
                lang.percent(h.weight_bp),
            ]
        })
        .collect();
    l.table(&cols, &rows);
}

fn about_data(l: &mut Layout<'_>, r: &Report, lang: Lang) {
    l.heading(lang.t(Text::AboutData));
    if r.connections.is_empty() {
        l.paragraph(9.0, MUTED, lang.t(Text::NoConnections));
        return;
    }
    if r.stale {
        l.paragraph(9.0, WARN, lang.t(Text::Stale));
    }
    let cols = [
        Column {
            title: lang.t(Text::Institution),
            share: 0.25,
            align: Align::Left,
        },
        Column {
            title: lang.t(Text::DataAsOf),
            share: 0.18,
            align: Align::Left,
        },
        Column {
            title: lang.t(Text::Status),
            share: 0.57,
            align: Align::Left,
        },
    ];
    let rows: Vec<Vec<String>> = r
        .connections
        .iter()
        .map(|c| {
            let mut status = lang.health(c.health).to_string();
            if c.stale && c.health == advisor_desk_core::reads::Health::Good {
                status = lang.t(Text::Stale).to_string();
            }
            vec![
                c.institution.clone(),
                c.data_as_of
                    .map(|d| lang.short_date(d))
                    .unwrap_or_else(|| lang.t(Text::Never).to_string()),
                status,
            ]
        })
        .collect();
    l.table(&cols, &rows);
}
