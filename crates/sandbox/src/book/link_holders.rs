//! Whom a login created through a link page names as its account holders. The sandbox cannot
//! know whose login the advisor connects, so such a login's accounts name no owner (as a bank
//! that does not say: the app's holder check, which reads the accounts' owners, has nothing to
//! compare, and the login joins the client's book at once; `auth` and `holder` still answer
//! with the generated person), except the test users made for that check, which name someone who is in no
//! advisor's book. Seeded logins keep their holders (the demo book's clients are named after
//! them).

use super::{FlanksData, FlinksLogin};

/// A TestBank username starting with this (`other_holder`, `other_holder_2` …) names
/// [`FLANKS_OTHER_HOLDER`] as the holder of every account and portfolio.
pub const FLANKS_OTHER_HOLDER_USER: &str = "other_holder";
pub const FLANKS_OTHER_HOLDER: &str = "Marta Gil Navarro";
/// The Flinks Capital user (no MFA) whose accounts name [`FLINKS_OTHER_HOLDER`].
pub const FLINKS_OTHER_HOLDER_USER: &str = "test_other_holder";
pub const FLINKS_OTHER_HOLDER: &str = "Jordan Tremblay";

/// The holders a Flanks login created through a link reports.
pub fn name_flanks_holders(data: &mut FlanksData) {
    let holder = data
        .username
        .starts_with(FLANKS_OTHER_HOLDER_USER)
        .then(|| FLANKS_OTHER_HOLDER.to_string());
    let owners: Vec<String> = holder.into_iter().collect();
    for a in &mut data.accounts {
        a.owners = owners.clone();
    }
    for p in &mut data.portfolios {
        p.owners = owners.clone();
    }
    for l in &mut data.liabilities {
        l.owners = owners.clone();
    }
}

/// The holder a Flinks login created through Connect reports (`keep`: a scenario that tests
/// the holder's own shape, such as the looser answers, keeps the generated one).
pub fn name_flinks_holder(login: &mut FlinksLogin, keep: bool) {
    if keep {
        return;
    }
    let name = if login.username == FLINKS_OTHER_HOLDER_USER {
        FLINKS_OTHER_HOLDER
    } else {
        ""
    };
    login.holder_name = name.to_string();
    for a in &mut login.accounts {
        a.holder.name = name.to_string();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::{generate_flanks_credential, generate_for_username, person, Identity};
    use crate::rng::Rng;
    use chrono::NaiveDate;

    fn flanks(username: &str) -> FlanksData {
        let today = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let identity = Identity {
            token: "sbx-cred-x".into(),
            bank: "testbank".into(),
            username: username.into(),
            external_id: None,
        };
        let who = person(&mut Rng::derive(1, "t", 1));
        let mut data = generate_flanks_credential(1, 0, today, Some((identity, who)));
        name_flanks_holders(&mut data);
        data
    }

    #[test]
    fn a_link_login_names_no_holder_unless_it_is_the_other_holder_user() {
        let plain = flanks("olivia");
        assert!(plain.accounts.iter().all(|a| a.owners.is_empty()));
        let other = flanks("other_holder_2");
        assert!(!other.accounts.is_empty());
        assert!(other
            .accounts
            .iter()
            .all(|a| a.owners == [FLANKS_OTHER_HOLDER]));
    }

    #[test]
    fn a_flinks_connect_login_names_its_holder_only_for_the_test_user() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let mut greatday = generate_for_username(1, "Greatday", today);
        name_flinks_holder(&mut greatday, false);
        assert!(greatday.accounts.iter().all(|a| a.holder.name.is_empty()));
        let mut other = generate_for_username(1, FLINKS_OTHER_HOLDER_USER, today);
        name_flinks_holder(&mut other, false);
        assert!(other
            .accounts
            .iter()
            .all(|a| a.holder.name == FLINKS_OTHER_HOLDER));
        let mut kept = generate_for_username(1, "x", today);
        let name = kept.holder_name.clone();
        name_flinks_holder(&mut kept, true);
        assert_eq!(kept.holder_name, name);
    }
}
