//! `custody token …`: the reader tokens of `custody serve`, and its access
//! log. What is stored where, and why, is in `crate::access`.

use crate::access::{self, AccessError, AccessFiles, Profile, TokenRecord, TokenRole, TokenState};
use crate::escape::terminal;
use crate::exit::{env, refused, CmdResult, Failure};
use crate::output::{print_json, Context};
use clap::{Args, Subcommand};
use custody_format::event::Role;
use custody_format::time::Timestamp;
use serde_json::json;
use std::path::PathBuf;

/// `custody token …`.
#[derive(Subcommand)]
pub(crate) enum TokenCommand {
    /// Issue a bearer token for `custody serve` (signed off by an authority
    /// key); the token is printed once, as the last word of the output,
    /// and only its SHA-256 is kept.
    Issue(IssueArgs),
    /// Revoke tokens: every active token of a holder, or the one whose
    /// hash begins with a prefix (as `token list` shows it). At once: the
    /// server reads the tokens file on every request.
    Revoke(RevokeArgs),
    /// List the tokens issued: holder, role, profile, dates, hash prefix
    /// and status (never a token).
    List,
    /// Print the access log: every read of people's data `custody serve`
    /// answered, with the token's holder.
    Log(LogArgs),
}

/// `custody token issue`.
#[derive(Args)]
#[command(after_help = "\
The token is a bearer secret: whoever holds it reads what its holder may
read. Give it to its holder over a channel you trust; it is not shown again
(issue a new one if it is lost, and revoke the old one).

--profile decides what the token reads through `custody serve`: court every
personal value the store holds; family names, dates of birth, places and
official acts, but no witness and no free text (notes, circumstances,
reasons, descriptions); public no personal value at all (statuses, dates,
figures; the people list is searched by id only). Bundles and dossiers are
cut as `custody export --profile` cuts them. Evidence in format 1 or 2
entries holds its personal data in its signed bytes, where no profile can
withhold it: such a bundle or dossier is refused to a profile that
withholds any of it.")]
pub(crate) struct IssueArgs {
    /// Who will hold the token (a person or an organisation); the access
    /// log names them for every read.
    #[arg(long, value_name = "NAME")]
    holder: String,
    /// What the token allows: `reader` (statuses, bundles, dossiers and
    /// the report through `custody serve`).
    #[arg(long, value_enum)]
    role: TokenRole,
    /// The cut of people's data the holder reads: `court` (everything),
    /// `family` (no witness, no free text) or `public` (no personal value).
    #[arg(long, value_enum, default_value_t = Profile::Court)]
    profile: Profile,
    /// When the token stops working: a date (the end of that day, month or
    /// year, UTC) or an RFC 3339 instant. Without it, it works until
    /// revoked.
    #[arg(long, value_name = "T")]
    expires: Option<String>,
    /// A private key holding the `authority` role in the ledger now: only
    /// the ledger's authority issues tokens.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
}

/// `custody token revoke`.
#[derive(Args)]
#[group(required = true, multiple = false, id = "which")]
pub(crate) struct RevokeArgs {
    /// Revoke every active token of this holder.
    #[arg(long, value_name = "NAME", group = "which")]
    holder: Option<String>,
    /// Revoke the token whose hash begins with this (at least 8 hex
    /// digits; `custody token list` shows 12).
    #[arg(long, value_name = "PREFIX", group = "which")]
    token_hash: Option<String>,
}

/// `custody token log`.
#[derive(Args)]
pub(crate) struct LogArgs {
    /// Only reads by this holder.
    #[arg(long, value_name = "NAME")]
    holder: Option<String>,
    /// Only reads of this person.
    #[arg(long, value_name = "ID")]
    person: Option<String>,
}

impl From<AccessError> for Failure {
    fn from(e: AccessError) -> Failure {
        env(e)
    }
}

/// The longest holder name kept.
const MAX_HOLDER: usize = 200;

/// Runs `token …`.
pub(crate) fn run(ctx: &Context, command: TokenCommand) -> CmdResult {
    match command {
        TokenCommand::Issue(a) => issue(ctx, a),
        TokenCommand::Revoke(a) => revoke(ctx, a),
        TokenCommand::List => list(ctx),
        TokenCommand::Log(a) => log(ctx, a),
    }
}

/// The store's access files; the store must be a ledger (so a mistyped
/// --store makes no stray directory).
fn access_files(ctx: &Context) -> Result<(AccessFiles, custody_ledger::store::Ledger), Failure> {
    let ledger = ctx.open_read_only()?;
    Ok((AccessFiles::of(ledger.dir()), ledger))
}

fn check_holder(holder: &str) -> Result<(), Failure> {
    if holder.trim().is_empty() {
        return Err(env(anyhow::anyhow!("--holder: give the holder's name")));
    }
    if holder.chars().count() > MAX_HOLDER {
        return Err(env(anyhow::anyhow!(
            "--holder: at most {MAX_HOLDER} characters"
        )));
    }
    if holder.chars().any(char::is_control) {
        return Err(env(anyhow::anyhow!(
            "--holder: control characters are not allowed in a name"
        )));
    }
    Ok(())
}

/// `--expires`: the end of the period given, which must be after `now`.
fn expiry(text: &str, now: Timestamp) -> Result<Timestamp, Failure> {
    let t = Timestamp::parse_cutoff(text).map_err(|e| env(anyhow::anyhow!("--expires: {e}")))?;
    if t <= now {
        return Err(env(anyhow::anyhow!(
            "--expires: {text} has passed (it is now {now}): a token would be born expired"
        )));
    }
    Ok(t)
}

fn issue(ctx: &Context, args: IssueArgs) -> CmdResult {
    check_holder(&args.holder)?;
    let now = custody_ledger::clock::now();
    let expires = args
        .expires
        .as_deref()
        .map(|t| expiry(t, now))
        .transpose()?;
    let (files, ledger) = access_files(ctx)?;
    // A tokens file we would refuse later is refused before anything else.
    files.check_tokens_file()?;
    let key = crate::cmd::key::signing_key(&args.key)?;
    let public = custody_ledger::keyfile::public_key_of(&key);
    let holds = ledger
        .registry()
        .get(&public)
        .is_some_and(|r| r.may(Role::Authority));
    if !holds {
        return Err(refused(crate::exit::with_advice(
            format!(
                "--key: {public} does not hold the authority role in the ledger at {}: only the ledger's authority issues reader tokens; nothing was written",
                crate::escape::path(ledger.dir())
            ),
            Some("use the authority's key (`custody key list` shows who holds the role)"),
        )));
    }
    drop(ledger);
    let token = zeroize::Zeroizing::new(access::new_token()?);
    let record = TokenRecord {
        sha256: access::token_hash(&token),
        holder: args.holder.clone(),
        role: args.role,
        profile: args.profile,
        issued_at: now.to_string(),
        expires_at: expires.map(|t| t.to_string()),
        issued_by: access::key_hex(&public),
        revoked_at: None,
    };
    let prefix = record.hash_prefix().to_string();
    files.update(|tokens| {
        tokens.push(record.clone());
        Ok::<_, Failure>(())
    })?;
    if ctx.json {
        print_json(&json!({
            "holder": record.holder, "role": record.role.name(),
            "profile": record.profile.name(),
            "issued_at": record.issued_at, "expires_at": record.expires_at,
            "hash_prefix": prefix, "token": *token,
        }));
        return Ok(());
    }
    eprintln!(
        "issued a {} token to {} (profile {}: it reads {}), {}; its hash begins {prefix}",
        record.role.name(),
        terminal(&record.holder),
        record.profile.name(),
        reads(record.profile),
        match &record.expires_at {
            Some(t) => format!("expires {t}"),
            None => "never expires (revoke it when it is no longer needed)".into(),
        }
    );
    eprintln!(
        "it is shown once, below: give it to its holder over a channel you trust. Revoke it with `custody token revoke --token-hash {prefix}`"
    );
    println!("{}", *token);
    Ok(())
}

/// What a token of `profile` reads, in a few words.
fn reads(profile: Profile) -> &'static str {
    match profile {
        Profile::Court => "every personal value the store holds",
        Profile::Family => "names, places and official acts, no witness and no free text",
        Profile::Public => "no personal value: statuses, dates and figures only",
    }
}

fn revoke(ctx: &Context, args: RevokeArgs) -> CmdResult {
    let (files, _ledger) = access_files(ctx)?;
    let now = custody_ledger::clock::now();
    let prefix = match &args.token_hash {
        Some(p) => {
            let p = p.trim().to_ascii_lowercase();
            if p.len() < 8 || !p.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(env(anyhow::anyhow!(
                    "--token-hash: give at least 8 hex digits of the token's hash (`custody token list` shows them)"
                )));
            }
            Some(p)
        }
        None => None,
    };
    let revoked = files.update(|tokens| {
        let chosen: Vec<usize> = tokens
            .iter()
            .enumerate()
            .filter(|(_, t)| match (&prefix, &args.holder) {
                (Some(p), _) => t.sha256.starts_with(p.as_str()),
                (None, Some(h)) => &t.holder == h && t.state(now) == TokenState::Active,
                (None, None) => false,
            })
            .map(|(i, _)| i)
            .collect();
        if let Some(p) = &prefix {
            if chosen.len() > 1 {
                return Err(refused(anyhow::anyhow!(
                    "--token-hash {p} begins the hashes of {} tokens; give more digits",
                    chosen.len()
                )));
            }
            if let Some(t) = chosen.first().map(|&i| &tokens[i]) {
                if let Some(at) = &t.revoked_at {
                    return Err(refused(anyhow::anyhow!(
                        "the token {} of {} was already revoked at {at}",
                        t.hash_prefix(),
                        terminal(&t.holder)
                    )));
                }
            }
        }
        if chosen.is_empty() {
            return Err(refused(match (&prefix, &args.holder) {
                (Some(p), _) => anyhow::anyhow!(
                    "no token's hash begins with {p}; `custody token list` shows them"
                ),
                (None, h) => anyhow::anyhow!(
                    "{} holds no active token; `custody token list` shows them",
                    terminal(h.as_deref().unwrap_or_default())
                ),
            }));
        }
        for &i in &chosen {
            tokens[i].revoked_at = Some(now.to_string());
        }
        Ok(chosen
            .iter()
            .map(|&i| tokens[i].clone())
            .collect::<Vec<_>>())
    })?;
    for t in &revoked {
        if ctx.json {
            print_json(
                &json!({"revoked": t.hash_prefix(), "holder": t.holder, "at": now.to_string()}),
            );
        } else {
            println!("revoked {} of {}", t.hash_prefix(), terminal(&t.holder));
        }
    }
    Ok(())
}

fn list(ctx: &Context) -> CmdResult {
    let (files, _ledger) = access_files(ctx)?;
    let now = custody_ledger::clock::now();
    let tokens = files.tokens()?;
    if !ctx.json {
        println!(
            "{:<12}  {:<7}  {:<8}  {:<8}  {:<27}  {:<27}  {:<12}  HOLDER",
            "HASH", "ROLE", "PROFILE", "STATUS", "ISSUED", "EXPIRES", "ISSUED BY"
        );
    }
    for t in &tokens {
        let state = t.state(now).name();
        if ctx.json {
            print_json(&json!({
                "hash_prefix": t.hash_prefix(), "holder": t.holder, "role": t.role.name(),
                "profile": t.profile.name(), "status": state, "issued_at": t.issued_at,
                "expires_at": t.expires_at, "revoked_at": t.revoked_at, "issued_by": t.issued_by,
            }));
        } else {
            println!(
                "{:<12}  {:<7}  {:<8}  {:<8}  {:<27}  {:<27}  {:<12}  {}",
                t.hash_prefix(),
                t.role.name(),
                t.profile.name(),
                state,
                terminal(&t.issued_at),
                terminal(t.expires_at.as_deref().unwrap_or("never")),
                terminal(&t.issued_by[..12.min(t.issued_by.len())]),
                terminal(&t.holder)
            );
        }
    }
    if !ctx.json {
        eprintln!(
            "{} token(s); what each profile reads: court, {}; family, {}; public, {}",
            tokens.len(),
            reads(Profile::Court),
            reads(Profile::Family),
            reads(Profile::Public)
        );
    }
    Ok(())
}

fn log(ctx: &Context, args: LogArgs) -> CmdResult {
    let (files, _ledger) = access_files(ctx)?;
    if !ctx.json {
        println!(
            "{:<27}  {:<12}  {:<6}  {:<28}  {:<16}  HOLDER",
            "AT", "TOKEN", "STATUS", "ROUTE", "PERSON"
        );
    }
    let mut failed = None;
    files.for_each_logged(|r| {
        let wanted = args.holder.as_ref().is_none_or(|h| &r.holder == h)
            && args
                .person
                .as_ref()
                .is_none_or(|p| r.person.as_ref() == Some(p));
        if !wanted || failed.is_some() {
            return;
        }
        if ctx.json {
            match serde_json::to_value(&r) {
                Ok(v) => print_json(&v),
                Err(e) => failed = Some(e),
            }
            return;
        }
        let route = match &r.query {
            Some(q) => format!("{}?{q}", r.route),
            None => r.route.clone(),
        };
        println!(
            "{:<27}  {:<12}  {:<6}  {:<28}  {:<16}  {}",
            terminal(&r.at),
            terminal(&r.token),
            r.status,
            terminal(&route),
            terminal(r.person.as_deref().unwrap_or("-")),
            terminal(&r.holder)
        );
    })?;
    if let Some(e) = failed {
        return Err(env(e));
    }
    Ok(())
}
