//! What is generated from the clap definition: the committed completion scripts and man
//! page must match what the binary prints, and dynamic completion must name the real
//! broker's groups and topics, and give up quickly on a dead one.

use std::time::Duration;

use crate::common::*;

/// Each committed file and the command that prints it.
const GENERATED: &[(&str, &[&str])] = &[
    ("completions/kbp.bash", &["completions", "bash"]),
    ("completions/_kbp", &["completions", "zsh"]),
    ("completions/kbp.fish", &["completions", "fish"]),
    ("completions/kbp.elv", &["completions", "elvish"]),
    ("completions/_kbp.ps1", &["completions", "powershell"]),
    ("docs/kbp.1", &["man"]),
];

#[test]
fn committed_completions_and_man_page_are_current() {
    for (file, args) in GENERATED {
        let fresh = kbp().args(*args).expect(0).stdout;
        let committed = std::fs::read_to_string(repo().join(file)).unwrap_or_default();
        assert!(
            committed == fresh,
            "{file} is stale (it differs from `kbp {}`): run `bash scripts/gen-docs.sh` and commit the result",
            args.join(" ")
        );
    }
}

#[test]
fn completion_scripts_and_man_page_are_what_shells_and_man_read() {
    let bash = kbp().args(["completions", "bash"]).expect(0).stdout;
    assert!(bash.contains("complete -F _kbp"), "{bash}");
    let fish = kbp().args(["completions", "fish"]).expect(0).stdout;
    assert!(fish.contains("complete -c kbp"), "{fish}");
    let zsh = kbp().args(["completions", "zsh"]).expect(0).stdout;
    assert!(zsh.starts_with("#compdef kbp"), "{zsh}");
    let man = kbp().arg("man").expect(0).stdout;
    assert!(man.contains(".TH kbp 1") && man.contains(".SH \"KBP DRAIN\""));
    let r = kbp().args(["completions", "tcsh"]).expect(2);
    assert!(r.stderr.contains("tcsh"), "{}", r.stderr);
}

/// `COMPLETE=fish kbp -- WORDS…`: clap_complete's protocol, one candidate per line.
fn complete(words: &[&str]) -> Run {
    kbp()
        .env("COMPLETE", "fish")
        .arg("--")
        .arg("kbp")
        .args(words)
        .expect(0)
}

fn candidates(r: &Run) -> Vec<String> {
    r.stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap_or("").to_string())
        .collect()
}

#[test]
fn topic_and_group_names_complete_from_the_cluster() {
    let topic = topic_with("complete-topic", 1, 1);
    let group = unique("complete-group");
    commit(&group, &[(&topic, 0, 1)]);
    let prefix = &topic[..topic.len() - 3];
    for flag in ["--topic", "-t"] {
        let r = complete(&["-b", bootstrap(), "lag", flag, prefix]);
        assert_eq!(candidates(&r), vec![topic.clone()], "{flag}: {}", r.stdout);
    }
    let r = complete(&["drain", "-b", bootstrap(), "-t", &topic, "-g", &group[..10]]);
    assert!(candidates(&r).contains(&group), "{}", r.stdout);
    // The connection can come from the environment as for any command.
    let r = kbp()
        .env("COMPLETE", "fish")
        .env("KBP_BOOTSTRAP_SERVER", bootstrap())
        .args(["--", "kbp", "lag", "--group", &group])
        .expect(0);
    assert_eq!(candidates(&r), vec![group.clone()], "{}", r.stdout);
    // Subcommands and flags complete from the clap definition alone.
    let r = complete(&["dem"]);
    assert_eq!(candidates(&r), vec!["demo"], "{}", r.stdout);
}

#[test]
fn a_dead_cluster_never_freezes_the_shell() {
    // Refused at once, and accepted but never answered (the hang a dead broker causes).
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent = silent.local_addr().unwrap().to_string();
    for (bootstrap, flag) in [("127.0.0.1:1", "--topic"), (silent.as_str(), "--group")] {
        let r = complete(&["-b", bootstrap, "lag", flag, ""]);
        assert!(
            r.elapsed < Duration::from_secs(4),
            "{bootstrap}: took {:?}",
            r.elapsed
        );
        assert_eq!(r.stdout.trim(), "", "{bootstrap}: no candidates");
    }
}
