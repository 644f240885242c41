//! The firm store's statements, in the shape of the core's `store::queries`: one module per
//! table, `read` (any client or transaction) and `write` (the caller's transaction), rows returned
//! as the core's own domain types. The domain code above the core's queries is meant to run on
//! either engine through this seam (ARCHITECTURE.md, crates/firm); row-level security filters
//! every statement to what the signed-in member may see.

pub mod clients;
