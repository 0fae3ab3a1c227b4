//! One module per command.

pub(crate) mod append;
pub(crate) mod append_signed;
pub(crate) mod checkpoint;
pub(crate) mod compact;
pub(crate) mod demo;
pub(crate) mod dossier;
pub(crate) mod export;
pub(crate) mod generate;
pub(crate) mod history_text;
pub(crate) mod import;
pub(crate) mod init;
pub(crate) mod key;
pub(crate) mod log;
pub(crate) mod manual;
pub(crate) mod mirror;
pub(crate) mod receipt;
pub(crate) mod redact;
pub(crate) mod restore;
pub(crate) mod serve;
pub(crate) mod sign;
pub(crate) mod status;
pub(crate) mod submit;
pub(crate) mod tiles;
pub(crate) mod token;
pub(crate) mod verify;
pub(crate) mod witness;
