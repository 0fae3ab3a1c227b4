//! The [`KeyRegistry`]: who may sign what, replayed from the governance
//! entries (genesis, grants, revocations) in chain order, and the one
//! definition of a key that may sign at all ([`check_public_key`]).
//!
//! The registry is a pure state machine. The append path uses it to refuse
//! an unauthorised entry before anything is written, and the verifier
//! replays it from the signed entries to prove every signer held its role
//! at the time it signed.

use crate::event::{Event, PublicKeyBytes, Requirement, Role};
use crate::key::{signer_key, WeakKey};
use std::collections::BTreeMap;

/// Refuses public keys that cannot be a real signer (see
/// [`crate::key::signer_key`], the one definition).
pub fn check_public_key(key: &PublicKeyBytes) -> Result<PublicKeyBytes, WeakKey> {
    signer_key(key).map(|_| *key)
}

/// What the registry knows of one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRecord {
    /// The key.
    pub public_key: PublicKeyBytes,
    /// Who holds it (from its latest grant).
    pub holder: String,
    /// Every holder name it was granted under, with the seq of the grant,
    /// in order: an entry is attributed to the name as it was when it was
    /// signed ([`KeyRecord::holder_at`]), not to a later grant's.
    pub holders: Vec<(u64, String)>,
    /// Roles held, each with the sequence number of the entry that granted it.
    pub roles: BTreeMap<Role, u64>,
    /// If revoked: the revoking entry's sequence number and the reason.
    pub revoked: Option<(u64, String)>,
}

impl KeyRecord {
    /// The holder's name as of entry `seq`: the latest grant (or genesis)
    /// at or before it, or the first name if `seq` comes before them all.
    pub fn holder_at(&self, seq: u64) -> &str {
        self.holders
            .iter()
            .rev()
            .find(|(at, _)| *at <= seq)
            .or(self.holders.first())
            .map_or(self.holder.as_str(), |(_, h)| h.as_str())
    }

    /// True if the key may sign with `role` now.
    pub fn may(&self, role: Role) -> bool {
        self.revoked.is_none() && self.roles.contains_key(&role)
    }
}

/// Why a signer may not sign an event at this point of the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// A non-genesis entry at seq 0, or an entry before any genesis.
    #[error("the first entry of a ledger must be its genesis")]
    NoGenesis,
    /// A genesis after seq 0.
    #[error("a genesis may only be the first entry (seq 0)")]
    GenesisNotFirst,
    /// A genesis not signed by the authority it names.
    #[error("the genesis must be signed by the authority key it names")]
    GenesisSigner,
    /// The signer was never granted.
    #[error("key {0} is not known to this ledger; the authority must grant it first")]
    UnknownKey(PublicKeyBytes),
    /// The signer was revoked.
    #[error("key {key} ({holder}) was revoked at seq {seq}: {reason}")]
    Revoked {
        /// The key.
        key: PublicKeyBytes,
        /// Its holder.
        holder: String,
        /// Where it was revoked.
        seq: u64,
        /// Why.
        reason: String,
    },
    /// The signer lacks the role.
    #[error("key {key} ({holder}) does not hold the role {} needed to sign {what}", roles_in_words(.roles))]
    MissingRole {
        /// The key.
        key: PublicKeyBytes,
        /// Its holder.
        holder: String,
        /// The roles that would do (any one).
        roles: &'static [Role],
        /// What it tried to sign.
        what: &'static str,
    },
    /// A grant of a role the key already holds.
    #[error("key {0} already holds the role `{1}`")]
    AlreadyGranted(PublicKeyBytes, Role),
    /// A grant to a revoked key.
    #[error("key {0} was revoked at seq {1} and cannot be granted again; generate a new key")]
    RegrantRevoked(PublicKeyBytes, u64),
    /// A revocation of an unknown key.
    #[error("key {0} is not known to this ledger, so it cannot be revoked")]
    RevokeUnknown(PublicKeyBytes),
    /// A revocation of a revoked key.
    #[error("key {0} is already revoked (seq {1})")]
    AlreadyRevoked(PublicKeyBytes, u64),
    /// A revocation that would leave nobody able to govern.
    #[error("key {0} is the last authority key; grant another authority before revoking it")]
    LastAuthority(PublicKeyBytes),
    /// A grant or revocation of an invalid or weak public key.
    #[error(transparent)]
    BadKey(#[from] WeakKey),
}

/// "`investigator`", or "`registrar` or `investigator`".
fn roles_in_words(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| format!("`{r}`"))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Who may sign what, replayed from the governance entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyRegistry {
    ledger_name: Option<String>,
    authority: Option<PublicKeyBytes>,
    keys: BTreeMap<PublicKeyBytes, KeyRecord>,
}

impl KeyRegistry {
    /// An empty registry: only a genesis can be applied to it.
    pub fn new() -> KeyRegistry {
        KeyRegistry::default()
    }

    /// The ledger's name, from its genesis.
    pub fn ledger_name(&self) -> Option<&str> {
        self.ledger_name.as_deref()
    }

    /// The key the genesis named as the ledger's authority.
    pub fn genesis_authority(&self) -> Option<PublicKeyBytes> {
        self.authority
    }

    /// Every key ever granted, revoked ones included.
    pub fn keys(&self) -> impl Iterator<Item = &KeyRecord> {
        self.keys.values()
    }

    /// One key's record.
    pub fn get(&self, key: &PublicKeyBytes) -> Option<&KeyRecord> {
        self.keys.get(key)
    }

    /// Checks that `signer` may sign `event` as entry `seq`, and that the
    /// event makes sense for the registry (no double grant, no revoking the
    /// last authority…). Changes nothing.
    pub fn check(&self, seq: u64, signer: &PublicKeyBytes, event: &Event) -> Result<(), AuthError> {
        match event.requirement() {
            Requirement::Genesis => {
                if seq != 0 {
                    return Err(AuthError::GenesisNotFirst);
                }
                match event {
                    Event::Genesis(g) if &g.authority_key == signer => {
                        check_public_key(signer)?;
                        Ok(())
                    }
                    _ => Err(AuthError::GenesisSigner),
                }
            }
            Requirement::Role(roles) => {
                if seq == 0 || self.authority.is_none() {
                    return Err(AuthError::NoGenesis);
                }
                let record = self
                    .keys
                    .get(signer)
                    .ok_or(AuthError::UnknownKey(*signer))?;
                if let Some((at, reason)) = &record.revoked {
                    return Err(AuthError::Revoked {
                        key: *signer,
                        holder: record.holder.clone(),
                        seq: *at,
                        reason: reason.clone(),
                    });
                }
                if !roles.iter().any(|r| record.roles.contains_key(r)) {
                    return Err(AuthError::MissingRole {
                        key: *signer,
                        holder: record.holder.clone(),
                        roles,
                        what: event.type_name(),
                    });
                }
                self.check_governance(event)
            }
        }
    }

    /// Checks that `author` may author a statement registered at this
    /// point (design §4.4, rule `author`): a key this ledger granted
    /// `investigator`, not revoked by the entries before.
    pub fn check_author(&self, author: &PublicKeyBytes) -> Result<(), AuthError> {
        let record = self
            .keys
            .get(author)
            .ok_or(AuthError::UnknownKey(*author))?;
        if let Some((at, reason)) = &record.revoked {
            return Err(AuthError::Revoked {
                key: *author,
                holder: record.holder.clone(),
                seq: *at,
                reason: reason.clone(),
            });
        }
        if !record.roles.contains_key(&Role::Investigator) {
            return Err(AuthError::MissingRole {
                key: *author,
                holder: record.holder.clone(),
                roles: &[Role::Investigator],
                what: "evidence",
            });
        }
        Ok(())
    }

    fn check_governance(&self, event: &Event) -> Result<(), AuthError> {
        match event {
            Event::KeyGranted(g) => {
                check_public_key(&g.public_key)?;
                if let Some(r) = self.keys.get(&g.public_key) {
                    if let Some((at, _)) = r.revoked {
                        return Err(AuthError::RegrantRevoked(g.public_key, at));
                    }
                    if r.roles.contains_key(&g.role) {
                        return Err(AuthError::AlreadyGranted(g.public_key, g.role));
                    }
                }
                Ok(())
            }
            Event::KeyRevoked(r) => {
                let rec = self
                    .keys
                    .get(&r.public_key)
                    .ok_or(AuthError::RevokeUnknown(r.public_key))?;
                if let Some((at, _)) = rec.revoked {
                    return Err(AuthError::AlreadyRevoked(r.public_key, at));
                }
                let other_authorities = self
                    .keys
                    .values()
                    .filter(|k| k.public_key != r.public_key && k.may(Role::Authority))
                    .count();
                if rec.may(Role::Authority) && other_authorities == 0 {
                    return Err(AuthError::LastAuthority(r.public_key));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Applies a governance event at `seq` (evidence changes nothing). Call
    /// only after [`KeyRegistry::check`] accepted it.
    pub fn apply(&mut self, seq: u64, event: &Event) {
        match event {
            Event::Genesis(g) => {
                self.ledger_name = Some(g.ledger_name.clone());
                self.authority = Some(g.authority_key);
                self.keys.insert(
                    g.authority_key,
                    KeyRecord {
                        public_key: g.authority_key,
                        holder: g.authority_holder.clone(),
                        holders: vec![(seq, g.authority_holder.clone())],
                        roles: BTreeMap::from([(Role::Authority, seq)]),
                        revoked: None,
                    },
                );
            }
            Event::KeyGranted(g) => {
                let rec = self.keys.entry(g.public_key).or_insert_with(|| KeyRecord {
                    public_key: g.public_key,
                    holder: g.holder.clone(),
                    holders: Vec::new(),
                    roles: BTreeMap::new(),
                    revoked: None,
                });
                rec.holder = g.holder.clone();
                if rec.holders.last().is_none_or(|(_, h)| *h != g.holder) {
                    rec.holders.push((seq, g.holder.clone()));
                }
                rec.roles.insert(g.role, seq);
            }
            Event::KeyRevoked(r) => {
                if let Some(rec) = self.keys.get_mut(&r.public_key) {
                    rec.revoked = Some((seq, r.reason.clone()));
                }
            }
            _ => {}
        }
    }
}
