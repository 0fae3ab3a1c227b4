//! The figures: one JSON object (`--json`), or the table. Both have the
//! same keys and lines as `custody bench` had, so a run of this crate reads
//! like the runs of record in docs/BENCHMARKS.md.

use crate::child::Step;
use crate::in_process::{Appends, Proofs};
use crate::limits::{self, Limits};
use serde_json::{json, Value};

/// The whole commands run after the warm lookups.
pub(crate) struct Commands {
    pub verify: Step,
    pub rebuild: Step,
    /// Seconds of each `status` command, sorted.
    pub status_s: Vec<f64>,
    /// Seconds of each `history` command, sorted.
    pub history_s: Vec<f64>,
    pub report: Step,
}

/// The checkpoint, proof and bundle commands.
pub(crate) struct Bundle {
    pub checkpoint: Step,
    pub prove: Step,
    /// Entries in the exported bundle (the person's and the governance).
    pub entries: usize,
    pub verify: Step,
}

/// Everything one run measured.
pub(crate) struct Measured {
    pub limits: Limits,
    pub generate: Step,
    /// What `custody --json generate` printed.
    pub generate_report: Value,
    pub appends: Appends,
    pub status_warm_ms: Vec<f64>,
    pub history_warm_ms: Vec<f64>,
    pub commands: Commands,
    pub proofs: Proofs,
    pub bundle: Bundle,
    /// The store's size after every step but `compact`.
    pub store_bytes: u64,
    pub compact: Step,
    pub compacted_bytes: u64,
}

/// The value at fraction `p` of a sorted sample (nearest rank).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn machine(lim: &Limits) -> Value {
    json!({
        "cores": lim.cores,
        "sha256_entry_per_s": lim.sha256_per_s,
        "sign_per_s": lim.sign_per_s,
        "verify_strict_per_s": lim.verify_per_s,
        "verify_strict_per_s_all_cores": lim.verify_all_cores_per_s,
        "batch_verify_per_s_one_core": lim.batch_verify_per_s,
        "batch_verify_per_s_all_cores": lim.batch_verify_all_cores_per_s,
        "sign_and_hash_per_s_one_core": lim.sign_and_hash_per_s,
    })
}

/// The figures as JSON, keyed as `custody bench --json` keyed them.
pub(crate) fn to_json(m: &Measured) -> Value {
    let lim = &m.limits;
    let gen = &m.generate_report;
    let c = &m.commands;
    let b = &m.bundle;
    let e = m.appends.entries as f64;
    json!({
        "machine": machine(lim),
        "entries": m.appends.entries,
        "generate": {
            "seconds": m.generate.seconds, "peak_rss_kib": m.generate.peak_rss_kib, "report": gen,
            "batch_10000_entries_per_s": gen["entries_per_second"],
            "ratio_to_sign_and_hash_limit":
                gen["entries_per_second"].as_f64().unwrap_or(0.0) / lim.sign_and_hash_per_s,
        },
        "append": {
            "batch_1_p50_ms": percentile(&m.appends.single_ms, 0.5),
            "batch_1_p99_ms": percentile(&m.appends.single_ms, 0.99),
            "batch_100_entries_per_s": m.appends.batch100_per_s,
        },
        "verify": {
            "seconds": c.verify.seconds,
            "entries_per_s": e / c.verify.seconds,
            "ratio_to_all_core_batch_verify":
                e / c.verify.seconds / lim.batch_verify_all_cores_per_s,
            "ratio_to_all_core_strict_verify":
                e / c.verify.seconds / lim.verify_all_cores_per_s,
            "peak_rss_kib": c.verify.peak_rss_kib,
        },
        "rebuild": {
            "seconds": c.rebuild.seconds, "entries_per_s": e / c.rebuild.seconds,
            "peak_rss_kib": c.rebuild.peak_rss_kib,
        },
        "status": {
            "warm_ms_p50": percentile(&m.status_warm_ms, 0.5),
            "warm_ms_p99": percentile(&m.status_warm_ms, 0.99),
            "cli_ms_p50": percentile(&c.status_s, 0.5) * 1000.0,
        },
        "history": {
            "warm_ms_p50": percentile(&m.history_warm_ms, 0.5),
            "warm_ms_p99": percentile(&m.history_warm_ms, 0.99),
            "cli_ms_p50": percentile(&c.history_s, 0.5) * 1000.0,
        },
        "report": { "seconds": c.report.seconds, "peak_rss_kib": c.report.peak_rss_kib },
        "checkpoint": {
            "issue_ms_in_process": m.proofs.checkpoint_ms,
            "cli_ms": b.checkpoint.seconds * 1000.0,
        },
        "inclusion_proof": {
            "ms_p50": percentile(&m.proofs.proof_ms, 0.5),
            "ms_p99": percentile(&m.proofs.proof_ms, 0.99),
            "max_hashes": m.proofs.max_hashes,
            "cli_ms": b.prove.seconds * 1000.0,
        },
        "bundle": {
            "entries": b.entries,
            "verify_cli_ms": b.verify.seconds * 1000.0,
        },
        "store_bytes": m.store_bytes,
        "store_bytes_per_entry": m.store_bytes as f64 / e,
        "compact": {
            "seconds": m.compact.seconds, "peak_rss_kib": m.compact.peak_rss_kib,
            "store_bytes": m.compacted_bytes, "store_bytes_per_entry": m.compacted_bytes as f64 / e,
        },
    })
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn rss(v: &Value) -> String {
    v.as_f64()
        .map(|k| format!("{:.0} MB", k / 1024.0))
        .unwrap_or_else(|| "-".into())
}

/// Prints the table, line for line as `custody bench` printed it.
pub(crate) fn print_table(r: &Value) {
    println!("custody bench: {} entries", r["entries"]);
    print_machine(&r["machine"]);
    print_append(r);
    print_commands(r);
    print_disk(r);
}

fn print_machine(m: &Value) {
    println!("\nmachine limits (measured in this run)");
    println!(
        "  SHA-256 of a {}-byte entry   {:>12.0} /s (one core)",
        limits::ENTRY_BYTES,
        f(&m["sha256_entry_per_s"])
    );
    println!(
        "  ed25519 sign                 {:>12.0} /s (one core)",
        f(&m["sign_per_s"])
    );
    println!(
        "  ed25519 verify (strict)      {:>12.0} /s (one core)",
        f(&m["verify_strict_per_s"])
    );
    println!(
        "  ed25519 verify (strict)      {:>12.0} /s ({} cores)",
        f(&m["verify_strict_per_s_all_cores"]),
        m["cores"]
    );
    println!(
        "  ed25519 batch verify         {:>12.0} /s (one core)",
        f(&m["batch_verify_per_s_one_core"])
    );
    println!(
        "  ed25519 batch verify         {:>12.0} /s ({} cores)",
        f(&m["batch_verify_per_s_all_cores"]),
        m["cores"]
    );
    println!(
        "  sign + 3 hashes per entry    {:>12.0} /s (one core)",
        f(&m["sign_and_hash_per_s_one_core"])
    );
}

fn print_append(r: &Value) {
    let g = &r["generate"];
    let a = &r["append"];
    println!("\nappend");
    println!(
        "  batches of 10,000            {:>12.0} entries/s  ({:.0}% of sign+hash limit; peak RSS {})",
        f(&g["batch_10000_entries_per_s"]),
        100.0 * f(&g["ratio_to_sign_and_hash_limit"]),
        rss(&g["peak_rss_kib"])
    );
    println!(
        "  batches of 100               {:>12.0} entries/s",
        f(&a["batch_100_entries_per_s"])
    );
    println!(
        "  batches of 1, latency        p50 {:.2} ms, p99 {:.2} ms",
        f(&a["batch_1_p50_ms"]),
        f(&a["batch_1_p99_ms"])
    );
}

fn print_commands(r: &Value) {
    let v = &r["verify"];
    println!(
        "\nverify (whole chain)          {:>12.0} entries/s  ({:.0}% of all-core strict verify, {:.0}% of all-core batch verify; {:.1} s; peak RSS {})",
        f(&v["entries_per_s"]),
        100.0 * f(&v["ratio_to_all_core_strict_verify"]),
        100.0 * f(&v["ratio_to_all_core_batch_verify"]),
        f(&v["seconds"]),
        rss(&v["peak_rss_kib"])
    );
    let b = &r["rebuild"];
    println!(
        "rebuild projections           {:>12.0} entries/s  ({:.1} s; peak RSS {})",
        f(&b["entries_per_s"]),
        f(&b["seconds"]),
        rss(&b["peak_rss_kib"])
    );
    println!(
        "status of one person          warm p50 {:.3} ms, p99 {:.3} ms; whole command {:.1} ms",
        f(&r["status"]["warm_ms_p50"]),
        f(&r["status"]["warm_ms_p99"]),
        f(&r["status"]["cli_ms_p50"])
    );
    println!(
        "history of one person         warm p50 {:.3} ms, p99 {:.3} ms; whole command {:.1} ms",
        f(&r["history"]["warm_ms_p50"]),
        f(&r["history"]["warm_ms_p99"]),
        f(&r["history"]["cli_ms_p50"])
    );
    println!(
        "report                        {:.2} s (peak RSS {})",
        f(&r["report"]["seconds"]),
        rss(&r["report"]["peak_rss_kib"])
    );
    println!(
        "checkpoint issue              {:.2} ms in process; whole command {:.1} ms",
        f(&r["checkpoint"]["issue_ms_in_process"]),
        f(&r["checkpoint"]["cli_ms"])
    );
    println!(
        "inclusion proof               p50 {:.3} ms, p99 {:.3} ms, at most {} hashes; whole command {:.1} ms",
        f(&r["inclusion_proof"]["ms_p50"]),
        f(&r["inclusion_proof"]["ms_p99"]),
        r["inclusion_proof"]["max_hashes"],
        f(&r["inclusion_proof"]["cli_ms"])
    );
    println!(
        "bundle of one person          {} entries, verified offline in {:.1} ms (whole command)",
        r["bundle"]["entries"],
        f(&r["bundle"]["verify_cli_ms"])
    );
}

fn print_disk(r: &Value) {
    let g = &r["generate"];
    println!(
        "store on disk                 {:.0} bytes/entry ({:.0} MB) after generate",
        f(&g["report"]["bytes_per_entry"]),
        f(&g["report"]["store_bytes"]) / 1e6
    );
    println!(
        "                              {:.0} bytes/entry ({:.0} MB) after the run",
        f(&r["store_bytes_per_entry"]),
        f(&r["store_bytes"]) / 1e6
    );
    let c = &r["compact"];
    println!(
        "  after `custody compact`     {:.0} bytes/entry ({:.0} MB; compact took {:.1} s, peak RSS {})",
        f(&c["store_bytes_per_entry"]),
        f(&c["store_bytes"]) / 1e6,
        f(&c["seconds"]),
        rss(&c["peak_rss_kib"])
    );
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_are_nearest_rank_of_a_sorted_sample() {
        let s: Vec<f64> = (1..=101).map(f64::from).collect();
        assert_eq!(percentile(&s, 0.5), 51.0);
        assert_eq!(percentile(&s, 0.99), 100.0);
        assert!(percentile(&[], 0.5).is_nan());
    }
}
