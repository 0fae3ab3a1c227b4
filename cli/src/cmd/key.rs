//! `custody key …`: make keys, and govern who may sign.

use crate::exit::{env, refused, CmdResult, Failure};
use crate::output::{print_json, Context};
use crate::PublicKeyArg;
use clap::Args;
use custody_format::event::{Event, KeyGranted, KeyRevoked, PublicKeyBytes, Role};
use custody_ledger::keyfile;
use custody_ledger::store::Appended;
use serde_json::json;
use std::path::PathBuf;
use zeroize::Zeroizing;

/// `custody key generate`.
#[derive(Args)]
#[command(after_help = "\
With --encrypt the key is written as encrypted PKCS#8
(-----BEGIN ENCRYPTED PRIVATE KEY-----: PBES2 with scrypt, N=2^14 r=8 p=5,
and AES-256-CBC), which `openssl pkey` also reads. The passphrase is taken
from CUSTODY_KEY_PASSPHRASE if set, else asked twice on the terminal; it
may not be empty. Every command that reads the key then asks for it the
same way.")]
pub(crate) struct GenerateArgs {
    /// Where to write the private key (must not exist; written with mode 0600).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Encrypt the key under a passphrase (for a laptop that can be lost).
    #[arg(long)]
    encrypt: bool,
}

/// `custody key public`.
#[derive(Args)]
pub(crate) struct PublicArgs {
    /// The private key file.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// Also write the public key as SPKI PEM to this new file.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// `custody key grant`.
#[derive(Args)]
pub(crate) struct GrantArgs {
    /// A private key holding the `authority` role; it signs the grant.
    #[arg(long, value_name = "FILE")]
    authority_key: PathBuf,
    /// The role granted: `investigator` (may append evidence and sign
    /// statements), `authority` (may grant, revoke, redact and checkpoint)
    /// or `registrar` (a server's key: may register statements signed by
    /// investigators, and sign seals and checkpoints; nothing else).
    #[arg(long)]
    role: Role,
    /// Who holds the key (a person or an organisation).
    #[arg(long, value_name = "NAME")]
    holder: String,
    #[command(flatten)]
    key: PublicKeyArg,
}

/// `custody key revoke`.
#[derive(Args)]
pub(crate) struct RevokeArgs {
    /// A private key holding the `authority` role; it signs the revocation.
    #[arg(long, value_name = "FILE")]
    authority_key: PathBuf,
    #[command(flatten)]
    key: PublicKeyArg,
    /// Why the key is revoked.
    #[arg(long, value_name = "TEXT")]
    reason: String,
}

/// The environment variable holding the passphrase of encrypted keys.
pub(crate) const PASSPHRASE_VAR: &str = "CUSTODY_KEY_PASSPHRASE";

/// The passphrase from [`PASSPHRASE_VAR`], if it is set.
///
/// (The environment's own copy cannot be wiped; ours is.)
fn passphrase_from_env() -> Option<Result<Zeroizing<String>, String>> {
    let value = std::env::var_os(PASSPHRASE_VAR)?;
    Some(match value.into_string() {
        Ok(v) if v.is_empty() => Err(format!("{PASSPHRASE_VAR} is set but empty")),
        Ok(v) => Ok(Zeroizing::new(v)),
        Err(_) => Err(format!("{PASSPHRASE_VAR} is not valid UTF-8")),
    })
}

/// Whether someone is at a terminal to be asked: the prompt is read from
/// the controlling terminal, so standard input may be a pipe (`… | custody
/// append --key K`) while someone still watches standard error.
fn at_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() || std::io::stderr().is_terminal()
}

/// Asks for a passphrase on the terminal, without echo. Why it could not
/// is said bare: what to do instead is the caller's to say (a key being
/// read gets the CLI's advice, `exit::key_advice`; one being encrypted,
/// [`new_passphrase`]'s).
fn ask(prompt: &str) -> Result<Zeroizing<String>, String> {
    if !at_terminal() {
        return Err("no terminal to ask on".into());
    }
    rpassword::prompt_password(prompt)
        .map(Zeroizing::new)
        .map_err(|e| format!("cannot ask on the terminal ({e})"))
}

/// The passphrase of an encrypted key being read: the environment's, else
/// asked on the terminal.
fn passphrase_for(path: &std::path::Path) -> Result<Zeroizing<String>, String> {
    passphrase_from_env().unwrap_or_else(|| {
        ask(&format!(
            "passphrase for {}: ",
            crate::escape::terminal(&path.display().to_string())
        ))
    })
}

/// The passphrase of a key being encrypted: the environment's, else asked
/// twice on the terminal (a typo would lock the key away for good).
fn new_passphrase(path: &std::path::Path) -> Result<Zeroizing<String>, Failure> {
    let shown = crate::escape::terminal(&path.display().to_string());
    let passphrase = match passphrase_from_env() {
        Some(p) => p,
        None => {
            let ask = |prompt: &str| {
                ask(prompt).map_err(|why| {
                    format!("{why}; set {PASSPHRASE_VAR} (in bash: `read -rs {PASSPHRASE_VAR}; export {PASSPHRASE_VAR}`)")
                })
            };
            ask(&format!("new passphrase for {shown}: ")).and_then(|first| {
            let again = ask("the same passphrase again: ")?;
            if *first == *again {
                Ok(first)
            } else {
                Err("the two passphrases differ; nothing was written".into())
            }
        })
        }
    }
    .map_err(|m| {
        env(anyhow::anyhow!(
            "{}: cannot encrypt the key: {m}",
            path.display()
        ))
    })?;
    if passphrase.is_empty() {
        return Err(keyfile::KeyFileError::EmptyPassphrase(path.to_path_buf()).into());
    }
    Ok(passphrase)
}

/// Reads a private key file, plain or encrypted (its passphrase from
/// `CUSTODY_KEY_PASSPHRASE`, else asked on the terminal); a bad or missing
/// file, or a wrong passphrase, is a usage error.
pub(crate) fn signing_key(path: &std::path::Path) -> Result<keyfile::SigningKey, Failure> {
    let key = keyfile::read_signing_key_with(path, &mut || passphrase_for(path))?;
    #[cfg(unix)]
    if let Some(mode) = keyfile::exposed_mode(path) {
        crate::exit::warn(&format!(
            "{} is readable or writable by other users (mode bits {mode:03o} for group and others); anyone who can read it can sign as this key. Run `chmod 600 {}`",
            path.display(),
            path.display()
        ));
    }
    Ok(key)
}

fn resolve(arg: &PublicKeyArg) -> Result<PublicKeyBytes, Failure> {
    match (&arg.public_key, &arg.public_key_file) {
        (Some(value), _) => crate::pubkey::public_key_arg("--public-key", value),
        (None, Some(path)) => Ok(keyfile::read_public_key(path)?),
        (None, None) => Err(env(anyhow::anyhow!(
            "give --public-key HEX or --public-key-file PEM"
        ))),
    }
}

/// Prints acknowledged entries: `seq hash` lines, or JSON objects.
pub(crate) fn print_appended(ctx: &Context, appended: &[Appended]) {
    for a in appended {
        if ctx.json {
            print_json(&json!({"seq": a.seq, "hash": a.hash}));
        } else {
            println!("{} {}", a.seq, a.hash);
        }
    }
}

/// Runs `key generate`.
pub(crate) fn generate(ctx: &Context, args: GenerateArgs) -> CmdResult {
    crate::outfile::check_not_in_store(&args.out)?;
    if args.out.exists() {
        // Said before a passphrase is asked for, not after.
        return Err(keyfile::KeyFileError::Exists(args.out.clone()).into());
    }
    let key = keyfile::generate_signing_key()?;
    if args.encrypt {
        let passphrase = new_passphrase(&args.out)?;
        keyfile::write_encrypted_signing_key(&args.out, &key, &passphrase)?;
    } else {
        keyfile::write_signing_key(&args.out, &key)?;
    }
    let public = keyfile::public_key_of(&key);
    if ctx.json {
        print_json(&json!({"public_key": public, "file": args.out, "encrypted": args.encrypt}));
    } else {
        println!("{public}");
        eprintln!(
            "wrote {}private key to {} (mode 0600); the line above is its public key",
            if args.encrypt { "encrypted " } else { "" },
            crate::escape::path(&args.out)
        );
    }
    Ok(())
}

/// Runs `key public`.
pub(crate) fn public(ctx: &Context, args: PublicArgs) -> CmdResult {
    let public = keyfile::public_key_of(&signing_key(&args.key)?);
    if let Some(out) = &args.out {
        crate::outfile::check_not_in_store(out)?;
        keyfile::write_public_key(out, &public)?;
    }
    if ctx.json {
        print_json(&json!({"public_key": public}));
    } else {
        println!("{public}");
    }
    Ok(())
}

fn govern(ctx: &Context, authority_key: &std::path::Path, event: Event) -> CmdResult {
    let mut ledger = ctx.open()?;
    let key = signing_key(authority_key)?;
    // Refused, it is said in this command's words (there is no batch).
    let refused_as = match &event {
        Event::KeyGranted(_) => "the grant was not recorded",
        _ => "the revocation was not recorded",
    };
    let appended = ledger
        .append(vec![event], &key)
        .map_err(|e| Failure::from(e).context(refused_as))?;
    print_appended(ctx, &appended);
    Ok(())
}

/// Runs `key grant`.
pub(crate) fn grant(ctx: &Context, args: GrantArgs) -> CmdResult {
    let public_key = resolve(&args.key)?;
    govern(
        ctx,
        &args.authority_key,
        Event::KeyGranted(KeyGranted {
            public_key,
            role: args.role,
            holder: args.holder,
        }),
    )
}

/// Runs `key revoke`.
pub(crate) fn revoke(ctx: &Context, args: RevokeArgs) -> CmdResult {
    let public_key = resolve(&args.key)?;
    govern(
        ctx,
        &args.authority_key,
        Event::KeyRevoked(KeyRevoked {
            public_key,
            reason: args.reason,
        }),
    )
}

/// Runs `key list`.
pub(crate) fn list(ctx: &Context) -> CmdResult {
    let ledger = ctx.open_read_only()?;
    let registry = ledger.registry();
    let mut rows = Vec::new();
    for k in registry.keys() {
        let roles: Vec<_> = k
            .roles
            .iter()
            .map(|(r, seq)| json!({"role": r, "granted_seq": seq}))
            .collect();
        let revoked = k
            .revoked
            .as_ref()
            .map(|(seq, reason)| json!({"seq": seq, "reason": reason}));
        if ctx.json {
            print_json(&json!({
                "public_key": k.public_key, "holder": k.holder, "roles": roles, "revoked": revoked,
            }));
        } else {
            let roles: Vec<String> = k
                .roles
                .iter()
                .map(|(r, seq)| format!("{r}@{seq}"))
                .collect();
            let state = match &k.revoked {
                Some((seq, reason)) => format!("revoked@{seq} ({reason})"),
                None => "active".to_string(),
            };
            rows.push([
                k.public_key.to_hex(),
                crate::escape::terminal(&k.holder),
                roles.join(","),
                crate::escape::terminal(&state),
            ]);
        }
    }
    if !rows.is_empty() {
        // Columns as wide as their widest cell (in characters).
        let header = ["PUBLIC KEY", "HOLDER", "ROLES (role@seq granted)", "STATE"];
        let width = |i: usize| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        };
        let (w0, w1, w2) = (width(0), width(1), width(2));
        let line = |c: &[&str]| {
            let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w - s.chars().count()));
            println!(
                "{}  {}  {}  {}",
                pad(c[0], w0),
                pad(c[1], w1),
                pad(c[2], w2),
                c[3]
            );
        };
        line(&header);
        for r in &rows {
            line(&[&r[0], &r[1], &r[2], &r[3]]);
        }
    }
    if registry.keys().next().is_none() {
        return Err(refused(anyhow::anyhow!("the ledger knows no keys")));
    }
    Ok(())
}

/// Arguments of `correct-clock`.
#[derive(Args)]
pub(crate) struct CorrectClockArgs {
    /// The authority's private key (PKCS#8 PEM).
    #[arg(long = "key", value_name = "FILE")]
    authority_key: PathBuf,
    /// The first entry recorded by the wrong clock (default: the first of
    /// the latest entries recorded later than this machine's clock).
    #[arg(long, value_name = "SEQ")]
    since: Option<u64>,
    /// What was wrong, for the record (e.g. "the field laptop's clock had
    /// jumped to 2099").
    #[arg(long)]
    reason: String,
}

/// Runs `correct-clock`.
pub(crate) fn correct_clock(ctx: &Context, args: CorrectClockArgs) -> CmdResult {
    let mut ledger = ctx.open()?;
    let key = signing_key(&args.authority_key)?;
    let (appended, since) = ledger.correct_clock(args.since, args.reason, &key)?;
    if ctx.json {
        print_json(&json!({"seq": appended.seq, "hash": appended.hash, "since": since}));
    } else {
        println!("{} {}", appended.seq, appended.hash);
        println!(
            "recorded: entries {since}..{} carry a recorded_at set by a wrong clock; appends go on from this machine's time",
            appended.seq - 1
        );
    }
    Ok(())
}
