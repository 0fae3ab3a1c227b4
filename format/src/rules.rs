//! Chain rules.
