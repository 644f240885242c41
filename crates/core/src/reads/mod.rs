//! Read models for one client: net worth and allocation (one figure per currency: currencies
//! are never added together), newest transactions, and full-text search over descriptions.

mod portfolio;
mod transactions;

pub use portfolio::{allocation, net_worth, AllocationSlice, NetWorth};
pub use transactions::{newest_transactions, search_transactions, TransactionRow};

pub mod book;
pub mod client;
pub mod consent;
pub mod copies;
pub mod export;
pub mod health;
pub mod outlook;
pub mod page_reads;

pub use book::{book_summary, book_summary_from, BookRow, BookSummary, CurrencyTotal, Health};
pub use client::{
    client_overview, client_overview_from, transactions_page, transactions_page_from,
    ClientOverview, TransactionPage, TransactionQuery,
};
pub use consent::{consent_period, forecast, ConsentForecast, ConsentKind, ConsentPeriod};
pub use health::{health_queue, health_queue_from, HealthQueue};
pub use outlook::{Outlook, SentLink};
