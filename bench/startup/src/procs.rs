//! The process tree under /proc: who descends from whom, and what it weighs (PSS, the
//! process's share of every page it maps, so pages shared between the app and its WebKit
//! processes count once in the sum).

use std::collections::HashMap;
use std::path::Path;

/// The `Pss:` line of `/proc/<pid>/smaps_rollup`, in kB.
pub fn parse_pss_kb(smaps_rollup: &str) -> Option<u64> {
    rollup_field_kb(smaps_rollup, "Pss")
}

/// Private memory (USS: `Private_Clean` + `Private_Dirty`) in kB: unlike PSS, it does not
/// move when unrelated processes on the machine map the same libraries.
pub fn parse_uss_kb(smaps_rollup: &str) -> Option<u64> {
    Some(
        rollup_field_kb(smaps_rollup, "Private_Clean")?
            + rollup_field_kb(smaps_rollup, "Private_Dirty")?,
    )
}

fn rollup_field_kb(smaps_rollup: &str, field: &str) -> Option<u64> {
    smaps_rollup.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        let mut words = rest.split_whitespace();
        let kb = words.next()?.parse().ok()?;
        (words.next() == Some("kB")).then_some(kb)
    })
}

/// The parent pid in `/proc/<pid>/stat`. The command name (field 2) may hold spaces and
/// parentheses, so fields are counted from its closing parenthesis.
pub fn parse_ppid(stat: &str) -> Option<u32> {
    let after = &stat[stat.rfind(')')? + 1..];
    let mut fields = after.split_whitespace();
    let _state = fields.next()?;
    fields.next()?.parse().ok()
}

/// `root` and every process below it, given each process's parent.
pub fn subtree(root: u32, parents: &HashMap<u32, u32>) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for (&pid, &ppid) in parents {
        children.entry(ppid).or_default().push(pid);
    }
    let mut out = vec![root];
    let mut next = 0;
    while next < out.len() {
        if let Some(kids) = children.get(&out[next]) {
            let mut kids = kids.clone();
            kids.sort_unstable();
            out.extend(kids);
        }
        next += 1;
    }
    out
}

/// Whether `pid` descends from `ancestor` (or is it).
pub fn descends_from(pid: u32, ancestor: u32, parents: &HashMap<u32, u32>) -> bool {
    let mut cur = pid;
    for _ in 0..parents.len() + 1 {
        if cur == ancestor {
            return true;
        }
        match parents.get(&cur) {
            Some(&p) if p != cur && p != 0 => cur = p,
            _ => return false,
        }
    }
    false
}

/// Every live process and its parent.
pub fn parents() -> HashMap<u32, u32> {
    let mut map = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return map;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        if let Some(ppid) = std::fs::read_to_string(entry.path().join("stat"))
            .ok()
            .as_deref()
            .and_then(parse_ppid)
        {
            map.insert(pid, ppid);
        }
    }
    map
}

/// The short name of a process (`/proc/<pid>/comm`).
pub fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// `/proc/<pid>/smaps_rollup` (empty when the process is gone or unreadable).
fn rollup(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default()
}

/// One process of a measured tree.
#[derive(Debug, Clone)]
pub struct Weighed {
    pub comm: String,
    pub pss_kb: u64,
    pub uss_kb: u64,
    /// The anonymous part of PSS (heaps, JS, caches): what the process itself allocated, as
    /// opposed to the libraries and data files it maps.
    pub anon_kb: u64,
}

/// `root` and its descendants with their PSS.
pub fn weigh_tree(root: u32) -> Vec<Weighed> {
    subtree(root, &parents())
        .into_iter()
        .map(|pid| {
            let text = rollup(pid);
            Weighed {
                comm: comm(pid),
                pss_kb: parse_pss_kb(&text).unwrap_or(0),
                uss_kb: parse_uss_kb(&text).unwrap_or(0),
                anon_kb: rollup_field_kb(&text, "Pss_Anon").unwrap_or(0),
            }
        })
        .collect()
}

/// Live processes below `ancestor` whose executable is `exe`.
pub fn find_descendant_running(ancestor: u32, exe: &Path) -> Vec<u32> {
    let parents = parents();
    let mut found: Vec<u32> = parents
        .keys()
        .copied()
        .filter(|&pid| {
            std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|p| p == exe)
                && descends_from(pid, ancestor, &parents)
        })
        .collect();
    found.sort_unstable();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLLUP: &str = "55d0c0a00000-7ffd3b7fe000 ---p 00000000 00:00 0                  [rollup]
Rss:              123456 kB
Pss:               98765 kB
Pss_Anon:          40000 kB
Pss_File:          58765 kB
Shared_Clean:      30000 kB
Private_Clean:      1000 kB
Private_Dirty:     50000 kB
";

    #[test]
    fn pss_is_read_from_its_own_line() {
        assert_eq!(parse_pss_kb(ROLLUP), Some(98765));
        assert_eq!(parse_pss_kb("Rss: 1 kB\n"), None);
        assert_eq!(parse_pss_kb("Pss: 12 MB\n"), None);
        // Pss_Anon and friends are not Pss.
        assert_eq!(parse_pss_kb("Pss_Anon: 5 kB\n"), None);
    }

    #[test]
    fn uss_is_private_clean_plus_dirty() {
        assert_eq!(parse_uss_kb(ROLLUP), Some(51000));
        assert_eq!(parse_uss_kb("Private_Clean: 1 kB\n"), None);
    }

    #[test]
    fn ppid_survives_odd_command_names() {
        assert_eq!(parse_ppid("4242 (bash) S 17 4242 4242 0"), Some(17));
        assert_eq!(
            parse_ppid("77 (Web Content (x)) R 4242 77 77 0 -1"),
            Some(4242)
        );
        assert_eq!(parse_ppid("garbage"), None);
    }

    fn tree() -> HashMap<u32, u32> {
        // 1 ─ 10 (driver) ─ 20 (app) ┬ 30 (bwrap) ─ 31 (web process)
        //                             └ 40 (network process)
        //   └ 50 (unrelated)
        HashMap::from([(10, 1), (20, 10), (30, 20), (31, 30), (40, 20), (50, 1)])
    }

    #[test]
    fn subtree_holds_the_root_and_all_descendants_only() {
        assert_eq!(subtree(20, &tree()), vec![20, 30, 40, 31]);
        assert_eq!(subtree(31, &tree()), vec![31]);
    }

    #[test]
    fn ancestry() {
        assert!(descends_from(31, 10, &tree()));
        assert!(descends_from(20, 20, &tree()));
        assert!(!descends_from(50, 10, &tree()));
        // A loop in corrupt input ends.
        assert!(!descends_from(5, 9, &HashMap::from([(5, 6), (6, 5)])));
    }

    #[test]
    fn this_process_weighs_something() {
        let me = std::process::id();
        let tree = weigh_tree(me);
        assert!(tree.iter().any(|w| w.pss_kb > 0 && w.uss_kb > 0));
        // A Rust test binary has a heap: some of its PSS is anonymous.
        assert!(tree.iter().any(|w| w.anon_kb > 0 && w.anon_kb <= w.pss_kb));
    }
}
