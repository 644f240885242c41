//! Connecting and reauthorizing: one-line commands over the core's `LinkService`. The link
//! window is opened here (it needs the app handle); everything else is the core's. In firm
//! mode connecting, reauthorizing and renewing, removing a connection, the holder check's
//! answers and deleting a client run on the firm's book (`firm_links`); what firm links
//! cannot do yet (sent links, mapping an existing credential) is refused with
//! `firm_not_available` ([`solo_links`]), never done on the solo book.

use advisor_desk_core::domain::ConnectionStatus;
use advisor_desk_core::links::{
    CallbackSource, ClientDeletion, LinkFlow, LinkOutcome, LinkStart, PendingLink, ReauthStart,
    Removal, SentLinks,
};
use advisor_desk_core::reads::Outlook;
use advisor_desk_core::sync::ConnectionView;
use advisor_desk_core::time;
use advisor_desk_core::CoreError;
use serde::Serialize;
use tauri::{AppHandle, State};

use super::args::{Arg, Id};
use crate::book::firm_not_available;
use crate::error::CommandError;
use crate::firm_links::FirmLinks;
use crate::links::{self, link_error, LinkEvent};
use crate::read_book;
use crate::state::AppState;
use advisor_desk_core::links::{LinkService, Reauth};
use advisor_desk_core::store::book_reads::BookReads;
use advisor_desk_core::sync::holder_check;
use advisor_desk_firm::links::confirm_holder as confirm_firm_holder;

/// A link session opened in the embedded window.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct OpenedLink {
    pub session_id: i64,
    pub window: String,
}

/// The client's connections, from the book the window shows (the firm's in firm mode).
pub fn list_connections_in(
    state: &AppState,
    client_id: i64,
) -> Result<Vec<ConnectionView>, CommandError> {
    let now = time::now();
    Ok(read_book!(state, |r| connection_views(r, client_id, now))?)
}

fn connection_views(
    reads: &impl BookReads,
    client_id: i64,
    now: time::Timestamp,
) -> Result<Vec<ConnectionView>, CoreError> {
    reads
        .client(client_id)?
        .ok_or_else(|| CoreError::not_found("client", client_id))?;
    let outlook = Outlook::read_from(reads, now)?;
    Ok(reads
        .connections(Some(client_id))?
        .into_iter()
        .map(|c| outlook.view(c))
        .collect())
}

/// The solo link service, or the refusal of a link action firm mode does not serve yet.
fn solo_links(state: &AppState, what: &str) -> Result<LinkService, CommandError> {
    if state.firm.is_firm() {
        return Err(firm_not_available(what));
    }
    state.link_service()
}

#[tauri::command]
pub async fn list_connections(
    state: State<'_, AppState>,
    client_id: Id,
) -> Result<Vec<ConnectionView>, CommandError> {
    list_connections_in(&state, client_id.0)
}

/// The client's open link sessions: waiting for the client, for provider checks (delayed
/// codes), or finishing.
#[tauri::command]
pub async fn pending_links(
    state: State<'_, AppState>,
    client_id: Id,
) -> Result<Vec<PendingLink>, CommandError> {
    // A firm session's progress is its outcome event; the solo sessions are not this book's.
    if state.firm.is_firm() {
        return Ok(Vec::new());
    }
    Ok(state
        .link_service()?
        .pending_links()
        .map_err(link_error)?
        .into_iter()
        .filter(|p| p.client_id == client_id.0)
        .collect())
}

/// "Connect account": a link session and its provider page in the link window.
#[tauri::command]
pub async fn start_connect(
    app: AppHandle,
    state: State<'_, AppState>,
    client_id: Id,
    flow: Arg<LinkFlow>,
) -> Result<OpenedLink, CommandError> {
    let start = match FirmLinks::of(&state)? {
        Some(firm) => {
            let (client_id, flow) = (client_id.0, flow.0);
            firm.run(&app, move |f| f.start_connect(client_id, flow))
                .await?
        }
        None => state
            .link_service()?
            .start_connect(client_id.0, flow.0)
            .await
            .map_err(link_error)?,
    };
    let window = links::open_link_window(&app, start.session_id, &start.url, "Advisor Desk")?;
    Ok(OpenedLink {
        session_id: start.session_id,
        window,
    })
}

/// What "Reauthorize" did: a link window opened, or nothing was needed (re-synced).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reauthorized {
    Opened {
        session_id: i64,
        window: String,
    },
    AlreadyHealthy {
        connection_id: i64,
        status: ConnectionStatus,
    },
    ProviderStillWorking {
        connection_id: i64,
    },
}

/// The link window for a started reauthorization, or what the core found instead.
fn opened(app: &AppHandle, start: ReauthStart) -> Result<Reauthorized, CommandError> {
    Ok(match start {
        ReauthStart::Started { link } => Reauthorized::Opened {
            window: links::open_link_window(app, link.session_id, &link.url, "Advisor Desk")?,
            session_id: link.session_id,
        },
        ReauthStart::AlreadyHealthy {
            connection_id,
            status,
        } => Reauthorized::AlreadyHealthy {
            connection_id,
            status,
        },
        ReauthStart::ProviderStillWorking { connection_id } => {
            Reauthorized::ProviderStillWorking { connection_id }
        }
    })
}

/// The reauthorization's link, on the firm's book in firm mode (its callback then updates the
/// connection there), on the solo book otherwise.
async fn reauthorize(
    app: &AppHandle,
    state: &AppState,
    connection_id: i64,
    why: Reauth,
) -> Result<Reauthorized, CommandError> {
    let start = match FirmLinks::of(state)? {
        Some(firm) => {
            firm.run(app, move |f| f.start_reauthorize(connection_id, why))
                .await?
        }
        None => {
            let service = state.link_service()?;
            match why {
                Reauth::AsNeeded => service.start_reauthorize(connection_id).await,
                Reauth::Renew => service.renew_consent(connection_id).await,
            }
            .map_err(link_error)?
        }
    };
    opened(app, start)
}

#[tauri::command]
pub async fn start_reauthorize(
    app: AppHandle,
    state: State<'_, AppState>,
    connection_id: Id,
) -> Result<Reauthorized, CommandError> {
    reauthorize(&app, &state, connection_id.0, Reauth::AsNeeded).await
}

/// "Renew now", with the client present: a fresh SCA (Flanks) or live connection (Flinks)
/// before the bank asks, in the link window.
#[tauri::command]
pub async fn renew_consent(
    app: AppHandle,
    state: State<'_, AppState>,
    connection_id: Id,
) -> Result<Reauthorized, CommandError> {
    reauthorize(&app, &state, connection_id.0, Reauth::Renew).await
}

/// "Send link" on connections that need their client: one ready message per client.
#[tauri::command]
pub async fn send_reauthorization_links(
    state: State<'_, AppState>,
    connection_ids: Arg<Vec<i64>>,
) -> Result<SentLinks, CommandError> {
    solo_links(&state, "Sending links to clients")?
        .send_reauthorization_links(&connection_ids.0)
        .await
        .map_err(link_error)
}

/// Opens a message the core composed in the advisor's mail client. Only `mailto:` URLs: this
/// is not a way to open anything else.
#[tauri::command]
pub async fn open_mail(app: AppHandle, mailto: Arg<String>) -> Result<(), CommandError> {
    use tauri_plugin_opener::OpenerExt;
    let url = mailto.0;
    let plausible = url.starts_with("mailto:")
        && url.len() <= 32 * 1024
        && !url.chars().any(|c| c.is_control() || c.is_whitespace());
    if !plausible {
        return Err(CoreError::invalid("not a mail message from Advisor Desk").into());
    }
    app.opener()
        .open_url(url, None::<&str>)
        .map_err(|e| CoreError::invalid(format!("the mail client could not be opened: {e}")).into())
}

/// "Send link": the URL for the advisor to copy or e-mail; the poller finds the result.
#[tauri::command]
pub async fn send_link(
    state: State<'_, AppState>,
    client_id: Id,
    flow: Arg<LinkFlow>,
) -> Result<LinkStart, CommandError> {
    solo_links(&state, "Sending a link to a client")?
        .send_link(client_id.0, flow.0)
        .await
        .map_err(link_error)
}

/// Maps an existing provider credential offered after `CREDENTIALS_ALREADY_EXIST`.
#[tauri::command]
pub async fn map_existing_credential(
    state: State<'_, AppState>,
    session_id: Id,
    credential_ref: Arg<String>,
) -> Result<LinkOutcome, CommandError> {
    solo_links(&state, "Mapping an existing credential")?
        .map_existing_credential(session_id.0, &credential_ref.0)
        .await
        .map_err(link_error)
}

/// Removes a connection (the UI asked for confirmation first), from the firm's book in firm
/// mode.
#[tauri::command]
pub async fn remove_connection(
    app: AppHandle,
    state: State<'_, AppState>,
    connection_id: Id,
) -> Result<Removal, CommandError> {
    let id = connection_id.0;
    match FirmLinks::of(&state)? {
        Some(firm) => firm.run(&app, move |f| f.remove_connection(id)).await,
        None => state
            .link_service()?
            .remove_connection(id)
            .await
            .map_err(link_error),
    }
}

/// "Confirm the account holder": the held connection's data joins the client's book.
#[tauri::command]
pub async fn confirm_holder(
    app: AppHandle,
    state: State<'_, AppState>,
    connection_id: Id,
) -> Result<ConnectionView, CommandError> {
    let id = connection_id.0;
    let confirmed = match FirmLinks::of(&state)? {
        Some(firm) => {
            firm.run(&app, move |f| confirm_firm_holder(f.store, id, f.actor))
                .await?
        }
        None => {
            let book = state.book()?;
            holder_check::confirm(
                book.solo_only("Confirming the account holder")?,
                id,
                "advisor",
            )?
        }
    };
    let now = time::now();
    let outlook = read_book!(state, |r| Outlook::read_from(r, now))?;
    Ok(outlook.view(confirmed))
}

/// "Not this client": the held connection is removed as `remove_connection` removes one.
#[tauri::command]
pub async fn reject_holder(
    app: AppHandle,
    state: State<'_, AppState>,
    connection_id: Id,
) -> Result<Removal, CommandError> {
    let id = connection_id.0;
    match FirmLinks::of(&state)? {
        Some(firm) => firm.run(&app, move |f| f.reject_holder(id)).await,
        None => state
            .link_service()?
            .reject_holder(id)
            .await
            .map_err(link_error),
    }
}

/// Deletes a client for good: credentials at the provider, keychain entries, data (the UI
/// named what goes and had the advisor confirm). `local_if_provider_fails` is the advisor's
/// explicit "delete here anyway" after a provider failure.
#[tauri::command]
pub async fn delete_client(
    app: AppHandle,
    state: State<'_, AppState>,
    client_id: Id,
    local_if_provider_fails: Arg<bool>,
) -> Result<ClientDeletion, CommandError> {
    let (id, anyway) = (client_id.0, local_if_provider_fails.0);
    match FirmLinks::of(&state)? {
        Some(firm) => firm.run(&app, move |f| f.delete_client(id, anyway)).await,
        None => state
            .link_service()?
            .delete_client(id, anyway)
            .await
            .map_err(link_error),
    }
}

/// The main window is listening: results that arrived before (a cold-start deep link) are
/// handed over now, later ones come as `link://outcome` events.
#[tauri::command]
pub async fn link_inbox_ready(state: State<'_, AppState>) -> Result<Vec<LinkEvent>, CommandError> {
    Ok(state.links.ready())
}

/// Looks for results that never reached this machine (sent links, delayed codes).
#[tauri::command]
pub async fn poll_links(app: AppHandle, state: State<'_, AppState>) -> Result<usize, CommandError> {
    // Firm links are opened in this window only (no sent links yet): nothing to poll.
    if state.firm.is_firm() {
        return Ok(0);
    }
    let outcomes = state
        .link_service()?
        .poll_open_sessions()
        .await
        .map_err(link_error)?;
    let n = outcomes.len();
    for o in outcomes {
        links::publish(&app, LinkEvent::new(CallbackSource::Poller, Ok(o)));
    }
    Ok(n)
}
