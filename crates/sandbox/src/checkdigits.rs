//! Check digits for the identifiers the book generates (Spanish IBAN + national "DC",
//! ISIN, DNI). Public so tests and other crates can validate what the sandbox emits.

/// Letters count as 10..35, as both IBAN and ISIN require.
fn expand_alnum(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        match c {
            '0'..='9' => out.push(c),
            'A'..='Z' => out.push_str(&(c as u32 - 'A' as u32 + 10).to_string()),
            _ => return None,
        }
    }
    Some(out)
}

fn mod97(digits: &str) -> u32 {
    digits
        .bytes()
        .fold(0u32, |acc, b| (acc * 10 + u32::from(b - b'0')) % 97)
}

/// The two Spanish national check digits ("DC") over bank+branch and over the account.
pub fn spanish_dc(bank: &str, branch: &str, account: &str) -> String {
    const W: [u32; 10] = [1, 2, 4, 8, 5, 10, 9, 7, 3, 6];
    let digit = |ten: &str| {
        let sum: u32 = ten
            .bytes()
            .zip(W)
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum();
        match 11 - sum % 11 {
            11 => 0,
            10 => 1,
            d => d,
        }
    };
    format!("{}{}", digit(&format!("00{bank}{branch}")), digit(account))
}

/// A Spanish IBAN (24 chars, no spaces) for 4-digit bank, 4-digit branch, 10-digit account.
pub fn spanish_iban(bank: &str, branch: &str, account: &str) -> String {
    let bban = format!(
        "{bank}{branch}{}{account}",
        spanish_dc(bank, branch, account)
    );
    let digits = expand_alnum(&format!("{bban}ES00")).unwrap_or_default();
    format!("ES{:02}{bban}", 98 - mod97(&digits))
}

/// ISO 13616 check (any country): move the first four characters to the end, mod 97 == 1.
pub fn iban_is_valid(iban: &str) -> bool {
    let iban: String = iban.chars().filter(|c| !c.is_whitespace()).collect();
    if iban.len() < 15 || iban.len() > 34 || !iban.is_ascii() {
        return false;
    }
    let (head, tail) = iban.split_at(4);
    match expand_alnum(&format!("{tail}{head}")) {
        Some(d) => mod97(&d) == 1,
        None => false,
    }
}

/// True when a Spanish IBAN's national DC digits also match.
pub fn spanish_iban_dc_is_valid(iban: &str) -> bool {
    iban.len() == 24
        && iban.starts_with("ES")
        && iban.is_ascii()
        && spanish_dc(&iban[4..8], &iban[8..12], &iban[14..24]) == iban[12..14]
}

fn luhn_sum(digits: &str, double_rightmost: bool) -> u32 {
    digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if (i % 2 == 0) == double_rightmost {
                let x = d * 2;
                x / 10 + x % 10
            } else {
                d
            }
        })
        .sum()
}

/// Appends the ISIN check digit to an 11-character body (2-letter country + 9 alnum).
pub fn isin_with_check(body: &str) -> String {
    let digits = expand_alnum(body).unwrap_or_default();
    let check = (10 - luhn_sum(&digits, true) % 10) % 10;
    format!("{body}{check}")
}

pub fn isin_is_valid(isin: &str) -> bool {
    if isin.len() != 12 || !isin.is_ascii() || !isin[..2].chars().all(|c| c.is_ascii_uppercase()) {
        return false;
    }
    match expand_alnum(isin) {
        Some(d) if isin.as_bytes()[11].is_ascii_digit() => luhn_sum(&d, false).is_multiple_of(10),
        _ => false,
    }
}

/// The control letter of a Spanish DNI number.
pub fn dni_letter(number: u32) -> char {
    const LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";
    char::from(LETTERS[(number % 23) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_real_identifiers_validate() {
        // Published examples: the ECBS Spanish sample IBAN and two listed ISINs.
        assert!(iban_is_valid("ES9121000418450200051332"));
        assert!(spanish_iban_dc_is_valid("ES9121000418450200051332"));
        assert!(isin_is_valid("US0378331005"));
        assert!(isin_is_valid("ES0113900J37"));
        assert!(!isin_is_valid("US0378331006"));
        assert!(!iban_is_valid("ES9121000418450200051333"));
        assert!(!isin_is_valid("ñ0378331005"));
        assert!(!iban_is_valid("ÉS9121000418450200051332"));
        assert_eq!(dni_letter(12345678), 'Z');
    }

    #[test]
    fn generated_identifiers_validate() {
        let iban = spanish_iban("2100", "0418", "0200051332");
        assert_eq!(iban, "ES9121000418450200051332");
        assert_eq!(isin_with_check("US037833100"), "US0378331005");
        assert_eq!(isin_with_check("ES0113900J3"), "ES0113900J37");
    }
}
