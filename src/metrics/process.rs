//! The standard `process_*` metrics of the Prometheus client libraries
//! (names and meanings as the Go and Python clients export them, so the
//! usual dashboards and alerts apply), read from `/proc/self` at each
//! scrape. Linux only: elsewhere none are rendered.
//!
//! Read by hand: three small files. The crates that do it (`procfs`, or
//! the `prometheus` crate's process collector on top of it) would add a
//! dozen crates for six numbers.

use std::fmt::Write as _;

use super::registry::header;

/// Appends the process metrics that can be read to `out`.
pub(super) fn render(out: &mut String) {
    let Some(p) = read() else { return };
    let mut metric = |name: &str, help: &str, kind: &str, value: f64| {
        header(out, name, help, kind);
        let _ = writeln!(out, "{name} {value}");
    };
    metric(
        "process_cpu_seconds_total",
        "Total user and system CPU time spent in seconds.",
        "counter",
        p.cpu_seconds,
    );
    metric(
        "process_resident_memory_bytes",
        "Resident memory size in bytes.",
        "gauge",
        p.resident_bytes,
    );
    metric(
        "process_virtual_memory_bytes",
        "Virtual memory size in bytes.",
        "gauge",
        p.virtual_bytes,
    );
    metric(
        "process_open_fds",
        "Number of open file descriptors.",
        "gauge",
        p.open_fds,
    );
    if let Some(max) = p.max_fds {
        metric(
            "process_max_fds",
            "Maximum number of open file descriptors.",
            "gauge",
            max,
        );
    }
    metric(
        "process_start_time_seconds",
        "Start time of the process since unix epoch in seconds.",
        "gauge",
        p.start_time,
    );
}

/// One reading of `/proc/self`.
#[derive(Debug, Clone, PartialEq)]
struct Process {
    cpu_seconds: f64,
    resident_bytes: f64,
    virtual_bytes: f64,
    open_fds: f64,
    max_fds: Option<f64>,
    start_time: f64,
}

fn read() -> Option<Process> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let boot = std::fs::read_to_string("/proc/stat").ok()?;
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let open_fds = std::fs::read_dir("/proc/self/fd").ok()?.count();
    // SAFETY: sysconf reads configuration values; no memory is shared.
    let (ticks, page) = unsafe {
        (
            libc::sysconf(libc::_SC_CLK_TCK),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    parse(
        &stat,
        &statm,
        &boot,
        &limits,
        open_fds,
        ticks as f64,
        page as f64,
    )
}

/// The reading from the files' texts (proc(5)): `stat` fields 14 and 15
/// (utime, stime) and 22 (starttime) in clock ticks after the command name
/// in parentheses; `statm` sizes in pages; `btime` of `/proc/stat`; the
/// soft "Max open files" limit.
fn parse(
    stat: &str,
    statm: &str,
    proc_stat: &str,
    limits: &str,
    open_fds: usize,
    ticks: f64,
    page: f64,
) -> Option<Process> {
    if ticks <= 0.0 || page <= 0.0 {
        return None;
    }
    // The command name may hold spaces and parentheses: fields start after
    // the last ')'. Field 3 (state) is the first after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3)?.parse::<f64>().ok();
    let mut sizes = statm.split_whitespace().map(|v| v.parse::<f64>().ok());
    let virtual_pages = sizes.next()??;
    let resident_pages = sizes.next()??;
    let btime = proc_stat
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse::<f64>()
        .ok()?;
    let max_fds = limits
        .lines()
        .find_map(|l| l.strip_prefix("Max open files"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse::<f64>().ok());
    Some(Process {
        cpu_seconds: (field(14)? + field(15)?) / ticks,
        resident_bytes: resident_pages * page,
        virtual_bytes: virtual_pages * page,
        open_fds: open_fds as f64,
        max_fds,
        start_time: btime + field(22)? / ticks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_files_even_with_a_hostile_command_name() {
        let stat = "4242 (news) (watch) R 1 4242 4242 0 -1 4194560 1000 0 0 0 250 150 0 0 20 0 9 0 5000 900000000 12000 18446744073709551615";
        let statm = "219727 12000 3000 100 0 30000 0\n";
        let proc_stat = "cpu  1 2 3\nbtime 1764547200\nprocesses 9\n";
        let limits = "Limit                     Soft Limit           Hard Limit           Units\nMax open files            1048576              1048576              files\n";
        let p = parse(stat, statm, proc_stat, limits, 17, 100.0, 4096.0).expect("parses");
        assert_eq!(
            p,
            Process {
                cpu_seconds: 4.0,
                resident_bytes: 12000.0 * 4096.0,
                virtual_bytes: 219727.0 * 4096.0,
                open_fds: 17.0,
                max_fds: Some(1048576.0),
                start_time: 1764547200.0 + 50.0,
            }
        );
        assert_eq!(
            parse("garbage", statm, proc_stat, limits, 1, 100.0, 4096.0),
            None
        );
    }

    #[test]
    fn this_process_is_read() {
        let mut out = String::new();
        render(&mut out);
        for name in [
            "process_cpu_seconds_total",
            "process_resident_memory_bytes",
            "process_open_fds",
            "process_start_time_seconds",
        ] {
            assert!(out.contains(&format!("\n{name} ")), "{name} in\n{out}");
        }
    }
}
