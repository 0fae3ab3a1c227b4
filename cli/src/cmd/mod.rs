//! One module per command.

pub mod append;
pub mod bundle;
pub mod checkpoint;
pub mod compact;
pub mod demo;
pub mod export;
pub mod generate;
pub mod init;
pub mod key;
pub mod log;
pub mod restore;
pub mod status;
pub mod verify;
