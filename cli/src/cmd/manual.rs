//! `custody completions` and `custody man`: shell completions and manual
//! pages, generated from the same clap definitions as `--help`, so they can
//! never say something `--help` does not.

use crate::exit::{env, CmdResult};
use crate::outfile;
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;

/// The shells completions are written for.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// `custody completions`.
#[derive(Args)]
#[command(after_help = "\
Install, for example:
  bash:  custody completions bash > ~/.local/share/bash-completion/completions/custody
  zsh:   custody completions zsh > ~/.zfunc/_custody   (with fpath+=~/.zfunc before compinit)
  fish:  custody completions fish > ~/.config/fish/completions/custody.fish")]
pub(crate) struct CompletionsArgs {
    /// The shell.
    shell: Shell,
}

/// `custody man`.
#[derive(Args)]
#[command(after_help = "\
Read it at once with `custody man | man -l -`, or install the pages:
  custody man --out-dir ~/.local/share/man/man1 && man custody")]
pub(crate) struct ManArgs {
    /// Write custody.1 and a page per command (custody-append.1, ...) into
    /// DIR instead of printing custody.1; existing pages are not replaced
    /// unless --force is given.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Replace pages that already exist in --out-dir.
    #[arg(long, requires = "out_dir")]
    force: bool,
}

/// Prints the completion script for `args.shell`.
pub(crate) fn completions(args: CompletionsArgs, mut command: clap::Command) -> CmdResult {
    let shell = match args.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "custody", &mut out);
    std::io::stdout()
        .write_all(&out)
        .map_err(|e| env(anyhow::anyhow!("standard output: {e}")))?;
    Ok(())
}

/// Prints custody.1, or writes every page into `--out-dir`.
pub(crate) fn man(args: ManArgs, command: clap::Command) -> CmdResult {
    let command = command.version(env!("CARGO_PKG_VERSION"));
    let Some(dir) = args.out_dir else {
        let page = render(&command)?;
        std::io::stdout()
            .write_all(&page)
            .map_err(|e| env(anyhow::anyhow!("standard output: {e}")))?;
        return Ok(());
    };
    std::fs::create_dir_all(&dir).map_err(|e| env(anyhow::anyhow!("{}: {e}", dir.display())))?;
    let mut pages = vec![("custody".to_string(), command.clone())];
    collect(&command, "custody", &mut pages);
    // Every page is checked before one is written, so a refusal leaves the
    // directory as it was.
    for (name, _) in &pages {
        outfile::check(&dir.join(format!("{name}.1")), args.force)?;
    }
    for (name, page) in &pages {
        let bytes = render(page)?;
        outfile::write(&dir.join(format!("{name}.1")), args.force, &bytes)?;
    }
    eprintln!(
        "wrote {} manual pages to {}",
        pages.len(),
        crate::escape::path(&dir)
    );
    Ok(())
}

/// The page of every subcommand, named `custody-key-grant` and so on.
fn collect(command: &clap::Command, prefix: &str, pages: &mut Vec<(String, clap::Command)>) {
    for sub in command.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let name = format!("{prefix}-{}", sub.get_name());
        let page = sub
            .clone()
            .name(name.clone())
            .version(env!("CARGO_PKG_VERSION"));
        collect(sub, &name, pages);
        pages.push((name, page));
    }
}

fn render(command: &clap::Command) -> Result<Vec<u8>, crate::exit::Failure> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command.clone())
        .render(&mut out)
        .map_err(|e| env(anyhow::anyhow!("rendering the manual page: {e}")))?;
    Ok(out)
}
