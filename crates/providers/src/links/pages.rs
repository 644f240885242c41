//! Where the providers' link pages live. Production hosts by default; a single base URL that
//! serves both providers' pages (the sandbox, a recording proxy) is configuration, not a
//! code path of its own.

use advisor_desk_core::links::CALLBACK_URL;

pub const FLANKS_LINK_PAGE: &str = "https://platform.flanks.io/link";
pub const FLINKS_CONNECT_PAGE: &str = "https://toolbox-iframe.private.fin.ag/v2/";

#[derive(Debug, Clone)]
pub struct LinkPages {
    /// Flanks legacy Link page.
    pub flanks_link_url: String,
    /// The Flanks link token whose `redirect_uri` is the app's callback. When `None` one is
    /// found with list-links (or created) on first use.
    pub flanks_link_token: Option<String>,
    /// Flinks Connect widget.
    pub flinks_connect_url: String,
    /// `demo=true` shows Flinks Capital (toolbox / sandbox only).
    pub flinks_demo: bool,
    /// `oauthWindowRedirect=true`: an OAuth bank's sign-in runs as full-page redirects in the
    /// link window instead of a pop-up (Flinks' advice for webviews; ARCHITECTURE.md,
    /// "New windows in the link flow").
    pub flinks_oauth_window_redirect: bool,
    /// Shown by the providers' pages.
    pub company_name: String,
    /// Where every flow returns to.
    pub redirect_uri: String,
}

impl Default for LinkPages {
    fn default() -> Self {
        LinkPages {
            flanks_link_url: FLANKS_LINK_PAGE.into(),
            flanks_link_token: None,
            flinks_connect_url: FLINKS_CONNECT_PAGE.into(),
            flinks_demo: false,
            flinks_oauth_window_redirect: true,
            company_name: "Advisor Desk".into(),
            redirect_uri: CALLBACK_URL.into(),
        }
    }
}

impl LinkPages {
    /// Both providers' pages under one base, at their real paths (`/link`,
    /// `/flinks-connect/v2/`), as the local sandbox serves them.
    pub fn at_base(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        LinkPages {
            flanks_link_url: format!("{base}/link"),
            flinks_connect_url: format!("{base}/flinks-connect/v2/"),
            flinks_demo: true,
            ..Default::default()
        }
    }

    /// The redirect URI carrying the one-time state.
    pub fn redirect_with_state(&self, state: &str) -> String {
        let sep = if self.redirect_uri.contains('?') {
            '&'
        } else {
            '?'
        };
        format!("{}{sep}state={state}", self.redirect_uri)
    }
}
