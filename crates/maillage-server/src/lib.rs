//! The `maillage` program: its command line ([`cli`]) and the start-up of a
//! serving instance ([`Application`]), which wires storage, federation and
//! HTTP together. Tests start instances through the same code.

mod app;
pub mod cli;
mod domain_list;

pub use app::{Application, ServerError};
