//! Shell completions and manual pages: generated from the command line's
//! own definitions, they name every command, and `man --out-dir` replaces
//! nothing it was not told to.

use crate::util::custody;

/// Every command `custody --help` lists, read from its output (so a new
/// command is covered without editing this test).
fn commands() -> Vec<String> {
    let help = custody(&["--help"], None).ok();
    let list = help
        .split("Commands:")
        .nth(1)
        .expect("a Commands: section")
        .split("Options:")
        .next()
        .expect("the section");
    let names: Vec<String> = list
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_string)
        .collect();
    assert!(names.len() >= 20, "{names:?}");
    names
}

#[test]
fn completions_name_every_command_in_each_shell() {
    let commands = commands();
    for shell in ["bash", "zsh", "fish"] {
        let script = custody(&["completions", shell], None).ok();
        for c in &commands {
            assert!(
                script.contains(c.as_str()),
                "{shell} completions lack `{c}`"
            );
        }
    }
    // A subcommand's options are completed too.
    let bash = custody(&["completions", "bash"], None).ok();
    assert!(bash.contains("--authority-key"), "key grant's option");
    custody(&["completions", "powershell"], None).fails(2, &["invalid value"]);
}

#[test]
fn the_manual_page_lists_every_command_and_pages_are_never_replaced_silently() {
    let page = custody(&["man"], None).ok();
    assert!(
        page.starts_with(".ie") || page.contains(".TH custody 1"),
        "{page}"
    );
    for c in commands() {
        // roff escapes the hyphen: `correct\-clock`.
        assert!(
            page.contains(&c.replace('-', "\\-")),
            "custody.1 lacks `{c}`"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    let out_s = out.to_str().unwrap();
    custody(&["man", "--out-dir", out_s], None).ok();
    let grant = std::fs::read_to_string(out.join("custody-key-grant.1")).unwrap();
    assert!(grant.contains("authority"), "{grant}");
    assert!(out.join("custody-append.1").exists());
    // A second run refuses, naming the page, and changes nothing.
    std::fs::write(out.join("custody-append.1"), "mine").unwrap();
    custody(&["man", "--out-dir", out_s], None)
        .fails(2, &["custody.1", "already exists", "--force"]);
    assert_eq!(
        std::fs::read_to_string(out.join("custody-append.1")).unwrap(),
        "mine"
    );
    custody(&["man", "--out-dir", out_s, "--force"], None).ok();
    assert_ne!(
        std::fs::read_to_string(out.join("custody-append.1")).unwrap(),
        "mine"
    );
}
