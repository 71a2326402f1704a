//! The processor's L1 data cache, read once at run time: how many lines one of its sets holds
//! (its ways). The plane walk reads several rows at once; rows a multiple of 4 KiB apart all
//! fall on one set, and whether that set holds them all decides whether the walk takes four
//! output planes per pass there ([`crate::kernel::route::jams_planes`]). Only a speed choice:
//! every walk gives the same bits.
//!
//! Linux reports the caches in sysfs. Elsewhere, or when it cannot be read, the ways are
//! unknown (0) and the route keeps to the rows it can spread over the sets.

use std::sync::OnceLock;

/// The fewest ways of the L1 data caches of the machine's processors (a hybrid processor's
/// smaller cores count), or 0 when unknown.
pub(crate) fn l1_data_ways() -> usize {
    static WAYS: OnceLock<usize> = OnceLock::new();
    *WAYS.get_or_init(read_l1_data_ways)
}

#[cfg(target_os = "linux")]
fn read_l1_data_ways() -> usize {
    use std::fs::{read_dir, read_to_string};
    let Ok(cpus) = read_dir("/sys/devices/system/cpu") else {
        return 0;
    };
    let mut fewest: Option<usize> = None;
    for cpu in cpus.flatten() {
        let name = cpu.file_name();
        let is_cpu = name
            .to_str()
            .and_then(|n| n.strip_prefix("cpu"))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        let Some(caches) = is_cpu.then(|| read_dir(cpu.path().join("cache")).ok()).flatten() else {
            continue;
        };
        for cache in caches.flatten() {
            let read = |file: &str| read_to_string(cache.path().join(file)).unwrap_or_default();
            if read("level").trim() == "1" && read("type").trim() == "Data" {
                // 0 (or unreadable): fully associative or not reported; either way, unknown.
                let ways = read("ways_of_associativity").trim().parse().unwrap_or(0);
                fewest = Some(fewest.map_or(ways, |f: usize| f.min(ways)));
            }
        }
    }
    fewest.unwrap_or(0)
}

#[cfg(not(target_os = "linux"))]
fn read_l1_data_ways() -> usize {
    0
}

#[cfg(test)]
mod tests {
    /// On Linux the ways are read from sysfs when it has them: at most cpu0's own reading (the
    /// fewest over all processors), and 0 (unknown) or between 2 and 32 ways, as L1 data caches
    /// have. Without a reading for cpu0, unknown.
    #[test]
    fn l1_data_ways_are_the_systems() {
        let ways = super::l1_data_ways();
        let cpu0 = (0..8).find_map(|i| {
            let dir = format!("/sys/devices/system/cpu/cpu0/cache/index{i}");
            let read = |f: &str| std::fs::read_to_string(format!("{dir}/{f}")).ok();
            (read("level")?.trim() == "1" && read("type")?.trim() == "Data")
                .then(|| read("ways_of_associativity")?.trim().parse::<usize>().ok())
                .flatten()
        });
        match cpu0 {
            Some(w) if cfg!(target_os = "linux") => {
                assert!(ways <= w, "{ways} ways, cpu0 has {w}");
                assert!(ways == 0 || (2..=32).contains(&ways), "{ways}");
                if w == 0 {
                    assert_eq!(ways, 0);
                }
            }
            _ => assert_eq!(ways, 0),
        }
    }
}
