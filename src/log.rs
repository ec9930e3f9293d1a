//! Janus' logging pipeline (`log.c`, `debug.h`).
//!
//! Every line, whether a module formatted it (`janus_vprintf`) or the core did ([`emit`],
//! [`crate::janus_log!`]), is queued with its wall-clock timestamp; one "log" thread writes
//! the queued lines in batches to stdout and/or the log file exactly as given (no newline
//! added), hands each to the registered sinks (the logger modules), and flushes after each
//! batch. Lines logged before [`init`] wait in the queue.
//!
//! Level filtering happens where a line is produced: modules read the exported
//! `janus_log_level`/`janus_log_timestamps`/`janus_log_colors`/`janus_log_global_prefix`
//! objects themselves; the core reads the same objects through [`level`] and friends.

use std::ffi::{CStr, CString};
use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;

use crate::abi::log as exported;

/// Janus' log levels (`LOG_FATAL`..`LOG_DBG`); `LOG_NONE` (0) is a threshold, not a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Fatal = 1,
    Err = 2,
    Warn = 3,
    Info = 4,
    Verb = 5,
    Huge = 6,
    Dbg = 7,
}

impl Level {
    /// The level numbered `n`; `None` for `LOG_NONE` (0) and numbers out of range.
    pub fn from_number(n: i32) -> Option<Level> {
        use Level::*;
        [Fatal, Err, Warn, Info, Verb, Huge, Dbg].into_iter().find(|l| *l as i32 == n)
    }
}

/// `janus_log_prefix` of `debug.h`, indexed by `level | colors << 3`.
const LEVEL_PREFIXES: [&str; 16] = [
    "",
    "[FATAL] ",
    "[ERR] ",
    "[WARN] ",
    "",
    "",
    "",
    "",
    "",
    "\x1b[35m[FATAL]\x1b[0m ",
    "\x1b[31m[ERR]\x1b[0m ",
    "\x1b[33m[WARN]\x1b[0m ",
    "",
    "",
    "",
    "",
];

/// Where a core line comes from; printed as `[file:function:line] ` for FATAL, ERR and DBG
/// lines, as Janus does.
#[derive(Debug, Clone, Copy)]
pub struct Source {
    pub file: &'static str,
    pub function: &'static str,
    pub line: u32,
}

impl Source {
    pub const fn new(file: &'static str, function: &'static str, line: u32) -> Source {
        Source { file, function, line }
    }
}

/// The maximum level printed (`janus_log_level`, default `LOG_INFO`).
pub fn level() -> i32 {
    exported::janus_log_level.load(Ordering::Relaxed)
}

pub fn set_level(level: i32) {
    exported::janus_log_level.store(level.clamp(0, Level::Dbg as i32), Ordering::Relaxed);
}

/// Whether lines start with a local-time timestamp (`janus_log_timestamps`).
pub fn timestamps() -> bool {
    exported::janus_log_timestamps.load(Ordering::Relaxed) != 0
}

pub fn set_timestamps(on: bool) {
    exported::janus_log_timestamps.store(on.into(), Ordering::Relaxed);
}

/// Whether level prefixes are coloured (`janus_log_colors`).
pub fn colors() -> bool {
    exported::janus_log_colors.load(Ordering::Relaxed) != 0
}

pub fn set_colors(on: bool) {
    // Modules index an array with it: it must be exactly 0 or 1.
    exported::janus_log_colors.store(on.into(), Ordering::Relaxed);
}

/// Whether the inline `janus_mutex_*` macros print each lock operation (`lock_debug`).
pub fn lock_debug() -> bool {
    exported::lock_debug.load(Ordering::Relaxed) != 0
}

pub fn set_lock_debug(on: bool) {
    exported::lock_debug.store(on.into(), Ordering::Relaxed);
}

/// Whether the inline `janus_refcount_*` macros print each operation (`refcount_debug`).
pub fn refcount_debug() -> bool {
    exported::refcount_debug.load(Ordering::Relaxed) != 0
}

pub fn set_refcount_debug(on: bool) {
    exported::refcount_debug.store(on.into(), Ordering::Relaxed);
}

fn global_prefix_slot() -> MutexGuard<'static, Option<String>> {
    static PREFIX: Mutex<Option<String>> = Mutex::new(None);
    PREFIX.lock().unwrap_or_else(|e| e.into_inner())
}

/// The text put before every line (`janus_log_global_prefix`, `general.log_prefix`).
pub fn global_prefix() -> Option<String> {
    global_prefix_slot().clone()
}

pub fn set_global_prefix(prefix: Option<&str>) {
    let mut slot = global_prefix_slot();
    *slot = prefix.map(str::to_owned);
    exported::publish_global_prefix(prefix);
}

/// A logger sink: called on the log thread with each line and its real-time timestamp (µs).
pub type Sink = Arc<dyn Fn(i64, &CStr) + Send + Sync>;

struct Line {
    timestamp: i64,
    text: CString,
}

#[derive(Default)]
struct Queue {
    lines: Vec<Line>,
    /// Lines ever queued / ever written: [`flush`] waits for the second to catch up.
    queued: u64,
    written: u64,
    running: bool,
    stopping: bool,
}

#[derive(Default)]
struct Outputs {
    stdout: bool,
    file: Option<BufWriter<File>>,
    sinks: Vec<Sink>,
}

#[derive(Default)]
struct Pipeline {
    queue: Mutex<Queue>,
    wake: Condvar,
    written: Condvar,
    outputs: Mutex<Outputs>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

fn pipeline() -> &'static Pipeline {
    static PIPELINE: OnceLock<Pipeline> = OnceLock::new();
    PIPELINE.get_or_init(Pipeline::default)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts the log thread, writing to stdout if `stdout` and appending to `file` if given.
/// Calling it while the thread runs changes nothing (as in Janus).
pub fn init(stdout: bool, file: Option<&Path>) -> io::Result<()> {
    let p = pipeline();
    let mut thread = lock(&p.thread);
    if thread.is_some() {
        return Ok(());
    }
    let file = file.map(|f| File::options().append(true).create(true).open(f)).transpose()?;
    {
        let mut out = lock(&p.outputs);
        out.stdout = stdout;
        out.file = file.map(BufWriter::new);
    }
    lock(&p.queue).running = true;
    *thread = Some(std::thread::Builder::new().name("log".into()).spawn(log_thread)?);
    Ok(())
}

/// Registers a sink (a logger module) that receives every line from now on.
pub fn add_sink(sink: Sink) {
    lock(&pipeline().outputs).sinks.push(sink);
}

/// Removes every sink (the loggers are being unloaded).
pub fn clear_sinks() {
    lock(&pipeline().outputs).sinks.clear();
}

/// Waits until every line queued before this call has been written, if the log thread runs.
pub fn flush() {
    let p = pipeline();
    let mut q = lock(&p.queue);
    let target = q.queued;
    while q.running && q.written < target {
        q = p.written.wait(q).unwrap_or_else(|e| e.into_inner());
    }
}

/// Writes what is queued, stops the log thread and closes the log file. Lines logged
/// afterwards are queued again until the next [`init`].
pub fn shutdown() {
    let p = pipeline();
    let Some(handle) = lock(&p.thread).take() else {
        return;
    };
    lock(&p.queue).stopping = true;
    p.wake.notify_all();
    let _ = handle.join();
    let mut q = lock(&p.queue);
    q.stopping = false;
    q.running = false;
    drop(q);
    let mut out = lock(&p.outputs);
    if let Some(mut f) = out.file.take() {
        let _ = f.flush();
    }
}

fn log_thread() {
    let p = pipeline();
    loop {
        let (batch, upto, stopping) = {
            let mut q = lock(&p.queue);
            while q.lines.is_empty() && !q.stopping {
                q = p.wake.wait(q).unwrap_or_else(|e| e.into_inner());
            }
            (std::mem::take(&mut q.lines), q.queued, q.stopping)
        };
        if !batch.is_empty() {
            write_batch(&batch);
        }
        lock(&p.queue).written = upto;
        p.written.notify_all();
        if stopping && lock(&p.queue).lines.is_empty() {
            return;
        }
    }
}

fn write_batch(batch: &[Line]) {
    let (to_stdout, sinks) = {
        let mut out = lock(&pipeline().outputs);
        // Write errors (closed stdout, full disk) cannot be reported anywhere but here: drop.
        if let Some(f) = out.file.as_mut() {
            for line in batch {
                let _ = f.write_all(line.text.as_bytes());
            }
            let _ = f.flush();
        }
        (out.stdout, out.sinks.clone())
    };
    if to_stdout {
        let mut stdout = BufWriter::new(io::stdout().lock());
        for line in batch {
            let _ = stdout.write_all(line.text.as_bytes());
        }
        let _ = stdout.flush();
    }
    for line in batch {
        for sink in &sinks {
            sink(line.timestamp, &line.text);
        }
    }
}

/// Queues one finished line as is (what `janus_vprintf` and `JANUS_PRINT` do). As with C's
/// `fputs`, the line ends at its first NUL byte, if any.
pub fn print_bytes(text: &[u8]) {
    let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
    let text = CString::new(&text[..end]).unwrap_or_default();
    let line = Line { timestamp: crate::utils::real_time(), text };
    let p = pipeline();
    let mut q = lock(&p.queue);
    q.lines.push(line);
    q.queued += 1;
    drop(q);
    p.wake.notify_one();
}

/// Formats and queues a core line if `level` passes `janus_log_level`, in Janus' layout:
/// global prefix, timestamp (`[%a %b %e %T %Y] `, local time), level prefix, then
/// `[file:function:line] ` for FATAL/ERR/DBG lines with a source, then the message.
pub fn emit(level: Level, source: Option<Source>, message: fmt::Arguments) {
    if level as i32 > self::level() {
        return;
    }
    let mut line = global_prefix().unwrap_or_default();
    if timestamps() {
        line.push_str(&crate::sys::clock::format_local_now("[%a %b %e %T %Y] "));
    }
    line.push_str(LEVEL_PREFIXES[level as usize | (usize::from(colors()) << 3)]);
    if let (Some(s), Level::Fatal | Level::Err | Level::Dbg) = (source, level) {
        line.push_str(&format!("[{}:{}:{}] ", s.file, s.function, s.line));
    }
    fmt::write(&mut line, message).expect("formatting into a String cannot fail");
    print_bytes(line.as_bytes());
}

/// `JANUS_LOG` for the core: `janus_log!(Level::Warn, "Oops {}\n", x)`. The source tag names
/// the Rust file and module.
#[macro_export]
macro_rules! janus_log {
    ($level:expr, $($arg:tt)+) => {
        $crate::log::emit(
            $level,
            Some($crate::log::Source::new(file!(), module_path!(), line!())),
            format_args!($($arg)+),
        )
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_debug_h() {
        assert_eq!(LEVEL_PREFIXES[Level::Warn as usize], "[WARN] ");
        assert_eq!(LEVEL_PREFIXES[Level::Err as usize | 8], "\x1b[31m[ERR]\x1b[0m ");
        assert_eq!(LEVEL_PREFIXES[Level::Info as usize | 8], "");
    }

    // The pipeline is process-global: one test drives it end to end.
    #[test]
    fn pipeline_orders_filters_and_formats() {
        let before_init = "log-test queued before init\n";
        print_bytes(before_init.as_bytes());
        let got: Arc<Mutex<Vec<(i64, String)>>> = Arc::default();
        let sink_got = got.clone();
        add_sink(Arc::new(move |ts, line: &CStr| {
            sink_got.lock().unwrap().push((ts, line.to_string_lossy().into_owned()));
        }));
        let dir = std::env::temp_dir().join(format!("janus-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("janus.log");
        init(false, Some(&path)).unwrap();

        set_colors(false);
        set_timestamps(false);
        set_level(Level::Info as i32);
        emit(Level::Verb, None, format_args!("log-test filtered\n"));
        emit(Level::Warn, Some(Source::new("x.rs", "f", 3)), format_args!("log-test warn {}\n", 1));
        emit(Level::Err, Some(Source::new("x.rs", "f", 4)), format_args!("log-test err"));
        set_colors(true);
        set_global_prefix(Some("[janus] "));
        crate::janus_log!(Level::Err, "log-test colour\n");
        set_global_prefix(None);
        set_colors(false);
        set_timestamps(true);
        emit(Level::Info, None, format_args!("log-test stamped\n"));
        set_timestamps(false);
        print_bytes(b"log-test cut\0here");
        flush();

        // Other unit tests log concurrently into the same pipeline: keep this test's lines.
        let lines: Vec<String> = got.lock().unwrap().iter().map(|(_, l)| l.clone()).filter(|l| l.contains("log-test")).collect();
        assert_eq!(lines[0], before_init);
        assert_eq!(lines[1], "[WARN] log-test warn 1\n");
        assert_eq!(lines[2], "[ERR] [x.rs:f:4] log-test err");
        assert!(lines[3].starts_with("[janus] \x1b[31m[ERR]\x1b[0m [src/log.rs:janus::log::tests:"), "{}", lines[3]);
        assert!(lines[3].ends_with("] log-test colour\n"));
        // "[Mon Jan  1 12:00:00 2024] stamped\n"
        let stamped = &lines[4];
        assert!(stamped.starts_with('[') && stamped.ends_with("] log-test stamped\n"), "{stamped}");
        assert_eq!(stamped.len(), "[Mon Jan  1 12:00:00 2024] log-test stamped\n".len());
        assert_eq!(lines[5], "log-test cut");
        assert_eq!(lines.len(), 6);
        let now = crate::utils::real_time();
        assert!(got.lock().unwrap().iter().all(|(ts, _)| (now - ts).abs() < 60_000_000));

        shutdown();
        let file = std::fs::read_to_string(&path).unwrap();
        let file_lines: String = file.split_inclusive('\n').filter(|l| l.contains("log-test")).collect();
        // The ERR line without newline and "cut" run into the next lines in the file.
        assert!(file_lines.contains("[ERR] [x.rs:f:4] log-test err"), "{file}");
        assert!(file.contains("log-test cut"), "no newline added: {file}");
        assert!(file.contains(&lines[1]) && file.contains(&lines[4]));
        clear_sinks();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
