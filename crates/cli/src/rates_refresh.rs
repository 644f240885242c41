//! Brings the reference rates up to date before a report (each feed at most once a day). In
//! sandbox mode the feeds come from a sandbox started in this process for the fetch; in
//! production from the banks. A failure is a warning: the report then uses the cached rates,
//! which say their date, or says its total is partial.

use advisor_desk_core::settings::{provider_environment, ProviderEnvironment};
use advisor_desk_core::time;
use advisor_desk_core::{CoreError, Store};
use advisor_desk_providers::rates::{RateFeeds, RefreshOutcome};
use advisor_desk_sandbox::Sandbox;

pub fn refresh(store: &Store) -> Result<(), CoreError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let outcomes = runtime.block_on(async {
        match provider_environment(store)? {
            ProviderEnvironment::Production => Ok::<_, CoreError>(
                RateFeeds::production()?
                    .refresh_due(store, time::now())
                    .await,
            ),
            ProviderEnvironment::Sandbox => {
                let sandbox = Sandbox::start(Default::default())
                    .map_err(|e| CoreError::invalid(e.to_string()))?;
                let out = RateFeeds::sandbox(&sandbox.base_url())?
                    .refresh_due(store, time::now())
                    .await;
                sandbox.shutdown().await;
                Ok(out)
            }
        }
    })?;
    for (source, outcome) in outcomes {
        if let RefreshOutcome::Failed { reason } = outcome {
            eprintln!("warning: {} not refreshed: {reason}", source.label());
        }
    }
    Ok(())
}
