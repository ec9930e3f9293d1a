//! The threads ICE agents run on: a fixed pool of event loops that handles are spread
//! over, least loaded first (or by the `loop_index` of an attach request when
//! `allow_loop_indication` is on). With `event_loops` set, the pool is Janus' static
//! event loops, shown by the Admin API; unset, where Janus would start a thread per
//! handle, we still use a pool, one loop per core, which the APIs do not show: thousands
//! of PeerConnections then cost a few threads, not thousands.

use std::io;
use std::num::NonZeroUsize;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::janus_log;
use crate::log::Level;
use crate::sys::nice::MainLoop;
pub use crate::sys::nice::Timer;

/// A thread running one GLib main loop; the thread ends when the loop is quit.
struct LoopThread {
    main_loop: Arc<MainLoop>,
    thread: Option<JoinHandle<()>>,
    /// Disconnected when the thread is about to end.
    ended: Receiver<()>,
}

impl LoopThread {
    fn spawn(name: String) -> io::Result<LoopThread> {
        let main_loop = Arc::new(MainLoop::new());
        let (alive, ended) = channel::<()>();
        let running = main_loop.clone();
        let thread = thread::Builder::new().name(name).spawn(move || {
            running.run();
            drop(alive);
        })?;
        Ok(LoopThread { main_loop, thread: Some(thread), ended })
    }

    /// Quits the loop once what was posted so far has run, and waits up to `timeout`
    /// for the thread to end (never from the loop's own thread).
    fn stop(&mut self, timeout: Duration) -> bool {
        let quitting = self.main_loop.clone();
        self.main_loop.invoke(move || quitting.quit());
        let Some(thread) = self.thread.take() else { return true };
        if thread.thread().id() == thread::current().id() {
            return false;
        }
        match self.ended.recv_timeout(timeout) {
            Err(RecvTimeoutError::Disconnected) => thread.join().is_ok(),
            _ => {
                self.thread = Some(thread);
                false
            }
        }
    }
}

/// The pool of event loops.
pub struct EventLoops {
    threads: Vec<Mutex<LoopThread>>,
    /// Handles per loop, indexed like `threads` (Janus' `loop->handles`).
    handles: Arc<Mutex<Vec<usize>>>,
    /// Whether the pool is the operator's `event_loops` (shown by the APIs).
    configured: bool,
    allow_loop_indication: bool,
}

/// A handle's share of one loop of the pool. Clones share it: the loop counts the handle
/// until the last clone is gone.
#[derive(Clone)]
pub struct HandleLoop {
    main_loop: Arc<MainLoop>,
    /// Held for its drop, which uncounts the handle.
    _seat: Arc<Seat>,
}

/// One handle counted on one loop.
struct Seat {
    index: usize,
    handles: Arc<Mutex<Vec<usize>>>,
}

impl Drop for Seat {
    fn drop(&mut self) {
        let mut handles = self.handles.lock().unwrap_or_else(|e| e.into_inner());
        handles[self.index] = handles[self.index].saturating_sub(1);
    }
}

impl EventLoops {
    /// `janus_ice_set_static_event_loops`: `event_loops` threads named `hloop N`; for 0 (or
    /// a negative value, refused with Janus' warning) one loop per core, unannounced.
    pub fn new(event_loops: i64, allow_loop_indication: bool) -> EventLoops {
        if event_loops < 0 {
            janus_log!(Level::Warn, "Invalid number of static event loops ({event_loops}), disabling\n");
        }
        let configured = event_loops > 0;
        let wanted = match usize::try_from(event_loops) {
            Ok(n) if n > 0 => n,
            _ => thread::available_parallelism().map_or(1, NonZeroUsize::get),
        };
        let mut threads = Vec::new();
        for id in 0..wanted {
            match LoopThread::spawn(format!("hloop {id}")) {
                Ok(t) => threads.push(Mutex::new(t)),
                Err(e) => janus_log!(
                    Level::Err,
                    "Got error {} ({e}) trying to launch a new event loop thread...\n",
                    e.raw_os_error().unwrap_or(0)
                ),
            }
        }
        // The per-core pool goes unannounced: Janus prints nothing without static loops.
        if configured && !threads.is_empty() {
            janus_log!(Level::Info, "Spawned {} static event loops (handles won't have a dedicated loop)\n", threads.len());
            janus_log!(
                Level::Info,
                "  -- Janus API {} be able to drive the loop choice for new handles\n",
                if allow_loop_indication { "will" } else { "will NOT" }
            );
        }
        let handles = Arc::new(Mutex::new(vec![0; threads.len()]));
        EventLoops { allow_loop_indication: allow_loop_indication && configured, configured, threads, handles }
    }

    /// `janus_ice_static_event_loops_info`: each configured loop's id and how many handles
    /// it serves; empty without `event_loops`, as in Janus.
    pub fn info(&self) -> Vec<(usize, usize)> {
        if !self.configured {
            return Vec::new();
        }
        self.handles.lock().unwrap_or_else(|e| e.into_inner()).iter().copied().enumerate().collect()
    }

    /// The loop for a new handle (`janus_ice_handle_attach_plugin`): the one `loop_index`
    /// names (when allowed and valid), or the least loaded one. `None` only when no loop
    /// thread could be started.
    pub fn assign(&self, handle_id: u64, loop_index: Option<usize>) -> Option<HandleLoop> {
        if self.threads.is_empty() {
            return None;
        }
        if let (false, true, Some(index)) = (self.allow_loop_indication, self.configured, loop_index) {
            janus_log!(Level::Warn, "[{handle_id}] Manual allocation of event loops forbidden, ignoring provided loop index {index}\n");
        }
        let mut handles = self.handles.lock().unwrap_or_else(|e| e.into_inner());
        let requested = loop_index.filter(|_| self.allow_loop_indication);
        let index = match requested {
            Some(i) if i < self.threads.len() => i,
            _ => {
                if let Some(i) = requested {
                    janus_log!(Level::Warn, "[{handle_id}] Invalid loop index {i}, picking event loop automatically\n");
                }
                // The first idle loop, else the first of the least loaded.
                let mut best = 0;
                for (i, &n) in handles.iter().enumerate() {
                    if n == 0 {
                        best = i;
                        break;
                    }
                    if n < handles[best] {
                        best = i;
                    }
                }
                best
            }
        };
        handles[index] += 1;
        let main_loop = self.threads[index].lock().unwrap_or_else(|e| e.into_inner()).main_loop.clone();
        Some(HandleLoop { main_loop, _seat: Arc::new(Seat { index, handles: self.handles.clone() }) })
    }

    /// `janus_ice_stop_static_event_loops`: quits every loop and waits (up to `timeout`
    /// each) for its thread. Whether all ended.
    pub fn stop(&self, timeout: Duration) -> bool {
        let mut all = true;
        for t in &self.threads {
            all &= t.lock().unwrap_or_else(|e| e.into_inner()).stop(timeout);
        }
        all
    }
}

impl Drop for EventLoops {
    fn drop(&mut self) {
        for t in &self.threads {
            let main_loop = t.lock().unwrap_or_else(|e| e.into_inner()).main_loop.clone();
            let quitting = main_loop.clone();
            main_loop.invoke(move || quitting.quit());
        }
    }
}

impl HandleLoop {
    pub(crate) fn main_loop(&self) -> &Arc<MainLoop> {
        &self.main_loop
    }

    /// Whether the calling thread runs this loop (then waiting for the loop's work would
    /// only stall it, and every handle sharing it).
    pub fn is_current(&self) -> bool {
        self.main_loop.is_current()
    }

    /// Runs `f` on the loop's thread, after what was posted before.
    pub fn invoke(&self, f: impl FnOnce() + Send + 'static) {
        self.main_loop.invoke(f);
    }

    /// Runs `f` on the loop's thread after `first`, then after each delay it returns,
    /// until it returns `None`; the [`Timer`] brings a run forward.
    pub fn add_timer(&self, first: Duration, f: impl FnMut() -> Option<Duration> + Send + 'static) -> Timer {
        self.main_loop.add_timer(first, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_loaded_then_indicated() {
        let loops = EventLoops::new(3, true);
        let a = loops.assign(1, None).unwrap();
        assert_eq!(loops.info(), vec![(0, 1), (1, 0), (2, 0)]);
        let b = loops.assign(2, None).unwrap();
        assert_eq!(loops.info(), vec![(0, 1), (1, 1), (2, 0)]);
        let c = loops.assign(3, None).unwrap();
        assert_eq!(loops.info(), vec![(0, 1), (1, 1), (2, 1)]);
        let d = loops.assign(4, Some(2)).unwrap();
        assert_eq!(loops.info(), vec![(0, 1), (1, 1), (2, 2)]);
        // An invalid index falls back to the automatic choice.
        let e = loops.assign(5, Some(9)).unwrap();
        assert_eq!(loops.info(), vec![(0, 2), (1, 1), (2, 2)]);
        // A clone keeps the handle counted.
        let d2 = d.clone();
        drop((b, d));
        assert_eq!(loops.info(), vec![(0, 2), (1, 0), (2, 2)]);
        drop(d2);
        assert_eq!(loops.info(), vec![(0, 2), (1, 0), (2, 1)]);
        let f = loops.assign(6, None).unwrap();
        assert_eq!(loops.info(), vec![(0, 2), (1, 1), (2, 1)]);
        drop((a, c, e, f));
        assert!(loops.stop(Duration::from_secs(5)));
    }

    #[test]
    fn indication_ignored_unless_allowed() {
        let loops = EventLoops::new(2, false);
        let _a = loops.assign(1, None).unwrap();
        let _b = loops.assign(2, Some(0)).unwrap();
        assert_eq!(loops.info(), vec![(0, 1), (1, 1)]);
        assert!(loops.stop(Duration::from_secs(5)));
    }

    #[test]
    fn without_event_loops_handles_share_one_loop_per_core() {
        let cores = thread::available_parallelism().map_or(1, NonZeroUsize::get);
        let loops = EventLoops::new(0, true);
        assert!(loops.info().is_empty(), "not shown, as Janus shows no static loops");
        let seats: Vec<HandleLoop> = (0..cores as u64 * 2 + 1).map(|id| loops.assign(id, Some(0)).unwrap()).collect();
        // Spread evenly (the indication is ignored), and run work on threads named `hloop N`.
        let mut names = std::collections::BTreeSet::new();
        for s in &seats {
            let (tx, rx) = channel();
            let on_loop = s.main_loop().clone();
            s.invoke(move || tx.send((thread::current().name().map(str::to_owned), on_loop.is_current())).unwrap());
            let (name, current) = rx.recv_timeout(Duration::from_secs(5)).unwrap();
            assert!(current && !s.is_current(), "the loop's own thread, and only it, is current");
            names.insert(name.unwrap());
        }
        let expected: std::collections::BTreeSet<String> = (0..cores).map(|i| format!("hloop {i}")).collect();
        assert_eq!(names, expected);
        assert_eq!(*loops.handles.lock().unwrap(), {
            let mut v = vec![2; cores];
            v[0] = 3;
            v
        });
        drop(seats);
        assert!(loops.stop(Duration::from_secs(5)));
    }
}
