//! Runs the real `custody` binary against a ledger in a temporary
//! directory: what the end-to-end tests do again and again.
//!
//! Only the cli crate's integration tests know where cargo put the binary
//! (`env!("CARGO_BIN_EXE_custody")`: at compile time, and at run time only
//! from Cargo 1.94 on), so they hand its path over once, as a [`Custody`].

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// One event of each of the seven evidence types, as JSON Lines: P-0001's
/// capture (at Mariupol, with an attachment), sighting, ICRC notification,
/// correspondence and release, P-0003's missing report and P-0002's death.
pub const ALL_TYPES: &str = r#"{"type":"missing_report","person":"P-0003","occurred_at":"2023-07","category":"military","last_seen_place":"Bakhmut","name":"Ivan Petrenko","date_of_birth":"1998-03","service_number":"A123456","unit":"93rd brigade"}
{"type":"capture","person":"P-0001","occurred_at":"2022-05-17","place":"Mariupol","attachments":[{"sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","media_type":"video/mp4","description":"surrender footage"}]}
{"type":"sighting","person":"P-0001","occurred_at":"2022-09","place":"Olenivka","source":"returned_pow"}
{"type":"icrc_notification","person":"P-0001","occurred_at":"2023-06-20","location_disclosed":false,"health_disclosed":false}
{"type":"correspondence","person":"P-0001","occurred_at":"2023-08-02","kind":"letter","via":"icrc"}
{"type":"release","person":"P-0001","occurred_at":"2024-05-31","kind":"exchange"}
{"type":"death","person":"P-0002","occurred_at":"2022-07-29T10:00:00+03:00","place":"Olenivka","cause":"death_in_custody"}
"#;

/// The `custody` binary under test.
#[derive(Clone, Copy, Debug)]
pub struct Custody {
    bin: &'static str,
}

/// A throwaway ledger with an authority and an investigator key.
pub struct Env {
    /// The binary that made it and runs against it.
    pub custody: Custody,
    /// The temporary directory holding the store and the keys.
    pub dir: tempfile::TempDir,
    /// The store, `ledger` in [`Env::dir`].
    pub store: PathBuf,
    /// The authority's key file.
    pub authority: PathBuf,
    /// The granted investigator's key file.
    pub investigator: PathBuf,
    /// The investigator's public key (hex).
    pub investigator_pub: String,
}

/// What a run printed and how it exited.
pub struct Run {
    /// The exit code (-1 if killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Asserts success and returns stdout.
    pub fn ok(self) -> String {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self.stdout
    }

    /// Asserts failure with `code` and that stderr or stdout mentions every
    /// one of `needles`; returns stderr.
    pub fn fails(self, code: i32, needles: &[&str]) -> String {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        let all = format!("{}{}", self.stdout, self.stderr);
        for n in needles {
            assert!(all.contains(n), "output lacks {n:?}:\n{all}");
        }
        self.stderr
    }
}

impl Custody {
    /// The binary at `bin`.
    pub const fn new(bin: &'static str) -> Custody {
        Custody { bin }
    }

    /// Its path.
    pub fn bin(self) -> &'static str {
        self.bin
    }

    /// Runs `custody ARGS` with optional standard input.
    pub fn run(self, args: &[&str], stdin: Option<&str>) -> Run {
        self.run_env(args, stdin, &[])
    }

    /// Runs `custody ARGS` with extra environment variables.
    pub fn run_env(self, args: &[&str], stdin: Option<&str>, envs: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(self.bin);
        cmd.args(args)
            .env_remove("CUSTODY_STORE")
            .envs(envs.iter().copied())
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run custody");
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().expect("stdin");
            // A command may refuse before it reads its input (a usage
            // error, a missing store) and exit: the pipe is then closed,
            // which is the command's business, not a failure of the test.
            match pipe.write_all(input.as_bytes()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                other => other.expect("write stdin"),
            }
        }
        Run::from(child.wait_with_output().expect("wait for custody"))
    }

    /// `custody --store STORE ARGS`, with optional standard input.
    pub fn on(self, store: &Path, args: &[&str], stdin: Option<&str>) -> Run {
        let mut all = vec!["--store", s(store)];
        all.extend_from_slice(args);
        self.run(&all, stdin)
    }
}

/// A path as the `&str` an argument list takes.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

impl Env {
    /// Keys, `init` and a granted investigator.
    pub fn new(custody: Custody) -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = dir.path().join("ledger");
        let authority = dir.path().join("authority.pem");
        let investigator = dir.path().join("investigator.pem");
        custody
            .run(&["key", "generate", "--out", s(&authority)], None)
            .ok();
        let investigator_pub = custody
            .run(&["key", "generate", "--out", s(&investigator)], None)
            .ok()
            .trim()
            .to_string();
        let env = Env {
            custody,
            dir,
            store,
            authority,
            investigator,
            investigator_pub,
        };
        env.run(&[
            "init",
            "--authority-key",
            s(&env.authority),
            "--name",
            "test.ledger",
        ])
        .ok();
        env.grant_investigator("Field team", &env.investigator_pub)
            .ok();
        env
    }

    /// Opens the store for writing in this process and returns it: a
    /// writer holding the store (its lock file and its database open for
    /// writing), as a long-running writer such as `custody serve` holds it.
    /// Drop it to end it. Returns once it holds the store, so nothing waits
    /// a fixed time.
    pub fn hold_open_for_writing(&self) -> custody_ledger::store::Ledger {
        let ledger = custody_ledger::store::Ledger::open(&self.store).expect("open the store");
        assert!(self.store_is_locked(), "the writer holds the lock file");
        ledger
    }

    /// True if a process holds the store's lock file exclusively, as a
    /// writer does: a shared lock on it is refused. (Where nobody holds
    /// it, the shared lock taken and dropped here only makes a writer
    /// starting at that moment try again 25 ms later.)
    fn store_is_locked(&self) -> bool {
        let Ok(lock) = std::fs::File::open(self.store.join("custody.lock")) else {
            return false;
        };
        matches!(
            lock.try_lock_shared(),
            Err(std::fs::TryLockError::WouldBlock)
        )
    }

    /// Makes a second ledger at `store` under the same name, authority key
    /// and granted investigator as this one: a fork, as a rewritten history
    /// would be. Its entries differ from the first ledger's from the genesis
    /// on (its own `recorded_at`).
    pub fn init_fork(&self, store: &Path) {
        self.custody
            .on(
                store,
                &[
                    "init",
                    "--authority-key",
                    s(&self.authority),
                    "--name",
                    "test.ledger",
                ],
                None,
            )
            .ok();
        self.grant_investigator_in(store, "Field team", &self.investigator_pub)
            .ok();
    }

    /// `custody key grant` of the investigator role to `public_key` (hex),
    /// signed by the authority.
    pub fn grant_investigator(&self, holder: &str, public_key: &str) -> Run {
        self.grant_investigator_in(&self.store, holder, public_key)
    }

    /// [`Env::grant_investigator`] in the ledger at `store`.
    fn grant_investigator_in(&self, store: &Path, holder: &str, public_key: &str) -> Run {
        self.custody.on(
            store,
            &[
                "key",
                "grant",
                "--authority-key",
                s(&self.authority),
                "--role",
                "investigator",
                "--holder",
                holder,
                "--public-key",
                public_key,
            ],
            None,
        )
    }

    /// `custody key revoke` of `public_key` (hex), signed by the authority.
    pub fn revoke(&self, public_key: &str, reason: &str) -> Run {
        self.run(&[
            "key",
            "revoke",
            "--authority-key",
            s(&self.authority),
            "--public-key",
            public_key,
            "--reason",
            reason,
        ])
    }

    /// `custody checkpoint`, signed by the authority, written to `out`.
    pub fn checkpoint(&self, out: &Path) -> Run {
        self.run(&["checkpoint", "--key", s(&self.authority), "--out", s(out)])
    }

    /// `name` in the temporary directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The authority's public key as an SPKI PEM file (`custody key
    /// public --out`), written once into the test's directory.
    pub fn authority_public_pem(&self) -> PathBuf {
        let path = self.path("authority.pub.pem");
        if !path.exists() {
            self.run(&[
                "key",
                "public",
                "--key",
                s(&self.authority),
                "--out",
                s(&path),
            ])
            .ok();
        }
        path
    }

    /// `custody --store STORE ARGS`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.custody.on(&self.store, args, None)
    }

    /// `custody --store STORE ARGS` with standard input.
    pub fn run_in(&self, args: &[&str], stdin: &str) -> Run {
        self.custody.on(&self.store, args, Some(stdin))
    }

    /// Appends JSON Lines signed by the investigator.
    pub fn append(&self, jsonl: &str) -> Run {
        self.run_in(&["append", "--key", s(&self.investigator), "-"], jsonl)
    }

    /// Appends and returns the `(seq, hash)` acknowledged per entry.
    pub fn append_ok(&self, jsonl: &str) -> Vec<(u64, String)> {
        self.append(jsonl)
            .ok()
            .lines()
            .map(|l| {
                let (seq, hash) = l.split_once(' ').expect("seq hash");
                (seq.parse().expect("seq"), hash.to_string())
            })
            .collect()
    }

    /// The whole ledger as exported: a fingerprint of every stored byte.
    pub fn snapshot(&self) -> String {
        self.run(&["export"]).ok()
    }

    /// Asserts `verify` passes and returns its JSON report.
    pub fn verify_ok(&self) -> serde_json::Value {
        let out = self.run(&["--json", "verify"]).ok();
        let v: serde_json::Value = serde_json::from_str(out.trim()).expect("verify JSON");
        assert_eq!(v["valid"], true, "{v}");
        v
    }
}

/// Waits until `child` is blocked reading its standard input (Linux's
/// `/proc/PID/syscall`; where that cannot be read, returns at once), so a
/// test can act while a command waits for input, without a fixed pause.
/// Panics if the child ends first or after a minute.
pub fn wait_until_reading_stdin(child: &mut std::process::Child) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !reads_stdin(child.id()).unwrap_or(true) {
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!("the command ended ({status}) before it read its input");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the command did not read its input within a minute"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// `read`'s system call number, as `/proc/PID/syscall` shows it.
#[cfg(target_arch = "x86_64")]
const SYS_READ: Option<&str> = Some("0");
#[cfg(any(target_arch = "aarch64", target_arch = "riscv64"))]
const SYS_READ: Option<&str> = Some("63");
#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    target_arch = "riscv64"
)))]
const SYS_READ: Option<&str> = None;

/// Whether process `pid` is blocked reading file descriptor 0, from
/// Linux's `/proc/PID/syscall` (the call's number, then its arguments;
/// `running` if it is not blocked). `None` where that cannot be read:
/// another system, or a kernel that does not show it.
fn reads_stdin(pid: u32) -> Option<bool> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/syscall")).ok()?;
    let mut fields = text.split_whitespace();
    let call = fields.next()?;
    let first_argument = fields.next();
    let is_read = SYS_READ.is_none_or(|read| call == read);
    Some(is_read && call != "running" && call != "-1" && first_argument == Some("0x0"))
}

/// Copies a store directory (for rollback and rebuild comparisons); the
/// store must not be open.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}
