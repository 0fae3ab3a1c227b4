//! Wire artefacts.
