//! The ECB's euro foreign exchange reference rates in their documented XML: a
//! `gesmes:Envelope` whose outer `Cube` holds one `Cube time='YYYY-MM-DD'` per working day,
//! each holding `Cube currency='USD' rate='1.0950'` entries (units of the currency per euro).
//! The daily file (`eurofxref-daily.xml`) has one day; the history files
//! (`eurofxref-hist-90d.xml`, `eurofxref-hist.xml`) have many, newest first.

use chrono::NaiveDate;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::{feed_error, published, FeedError, RateSource, ReferenceRate};

/// Upper bound on the document we read (the full history since 1999 is ~6 MB).
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;

fn err(reason: impl Into<String>) -> FeedError {
    feed_error(RateSource::Ecb, reason)
}

fn attribute(e: &BytesStart<'_>, name: &str) -> Result<Option<String>, FeedError> {
    for a in e.attributes() {
        let a = a.map_err(|x| err(x.to_string()))?;
        if a.key.local_name().as_ref() == name {
            let v = a
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|x| err(x.to_string()))?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

/// Every rate of every day in the document. A document without a single dated rate, a rate
/// outside a dated `Cube`, or a value that is not a positive decimal is refused.
pub fn parse(xml: &str) -> Result<Vec<ReferenceRate>, FeedError> {
    if xml.len() > MAX_DOCUMENT_BYTES {
        return Err(err("the document is too large"));
    }
    let mut reader = Reader::from_str(xml);
    let mut day: Option<NaiveDate> = None;
    let mut envelope = false;
    let mut out = Vec::new();
    loop {
        match reader.read_event().map_err(|e| err(e.to_string()))? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "Envelope" => envelope = true,
                "Cube" => {
                    if let Some(time) = attribute(&e, "time")? {
                        day = Some(
                            NaiveDate::parse_from_str(&time, "%Y-%m-%d")
                                .map_err(|_| err(format!("\"{time}\" is not a date")))?,
                        );
                    } else if let Some(currency) = attribute(&e, "currency")? {
                        let date =
                            day.ok_or_else(|| err(format!("the {currency} rate has no date")))?;
                        let rate = attribute(&e, "rate")?
                            .ok_or_else(|| err(format!("the {currency} entry has no rate")))?;
                        out.push(published(RateSource::Ecb, date, &currency, &rate)?);
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if !envelope {
        return Err(err("no gesmes:Envelope"));
    }
    if out.is_empty() {
        return Err(err("no rates"));
    }
    Ok(out)
}
