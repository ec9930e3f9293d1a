//! The threads ICE agents run on, as Janus' `event_loops` setting arranges them: a fixed
//! pool of static event loops that handles are spread over (least loaded first, or by the
//! `loop_index` of an attach request when `allow_loop_indication` is on), or, with no pool,
//! one dedicated loop thread per handle.

use std::io;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::janus_log;
use crate::log::Level;
use crate::sys::nice::MainLoop;

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

/// One loop of the static pool.
struct StaticLoop {
    id: usize,
    thread: Mutex<LoopThread>,
    main_loop: Arc<MainLoop>,
}

/// The static event loops (`event_loops`, `allow_loop_indication`), or none.
pub struct EventLoops {
    loops: Vec<Arc<StaticLoop>>,
    /// Handles per loop, indexed like `loops` (Janus' `loop->handles`).
    handles: Arc<Mutex<Vec<usize>>>,
    allow_loop_indication: bool,
}

/// The loop a handle's agents run on: a share of a static loop, or a dedicated one.
pub struct HandleLoop {
    main_loop: Arc<MainLoop>,
    kind: HandleLoopKind,
}

enum HandleLoopKind {
    Static { index: usize, handles: Arc<Mutex<Vec<usize>>> },
    Dedicated(LoopThread),
}

impl EventLoops {
    /// `janus_ice_set_static_event_loops`: `loops` threads named `hloop N` (none for 0;
    /// negative values are refused as Janus does, and fall back to one loop per handle).
    pub fn new(loops: i64, allow_loop_indication: bool) -> EventLoops {
        if loops < 0 {
            janus_log!(Level::Warn, "Invalid number of static event loops ({loops}), disabling\n");
        }
        let mut pool = Vec::new();
        for _ in 0..loops.max(0) {
            let id = pool.len();
            match LoopThread::spawn(format!("hloop {id}")) {
                Ok(t) => pool.push(Arc::new(StaticLoop { id, main_loop: t.main_loop.clone(), thread: Mutex::new(t) })),
                Err(e) => janus_log!(Level::Err, "Got error {} ({e}) trying to launch a new event loop thread...\n", e.raw_os_error().unwrap_or(0)),
            }
        }
        if !pool.is_empty() {
            janus_log!(Level::Info, "Spawned {} static event loops (handles won't have a dedicated loop)\n", pool.len());
            janus_log!(
                Level::Info,
                "  -- Janus API {} be able to drive the loop choice for new handles\n",
                if allow_loop_indication { "will" } else { "will NOT" }
            );
        }
        let handles = Arc::new(Mutex::new(vec![0; pool.len()]));
        EventLoops { allow_loop_indication: allow_loop_indication && !pool.is_empty(), loops: pool, handles }
    }

    /// How many static loops there are (0: one loop per handle).
    pub fn count(&self) -> usize {
        self.loops.len()
    }

    pub fn allow_loop_indication(&self) -> bool {
        self.allow_loop_indication
    }

    /// `janus_ice_static_event_loops_info`: each loop's id and how many handles it serves.
    pub fn info(&self) -> Vec<(usize, usize)> {
        let handles = self.handles.lock().unwrap_or_else(|e| e.into_inner());
        self.loops.iter().map(|l| (l.id, handles[l.id])).collect()
    }

    /// The loop for a new handle (`janus_ice_handle_attach_plugin`): a dedicated thread
    /// `hloop <handle_id>` without a pool; otherwise the loop `loop_index` names (when
    /// allowed and valid), or the least loaded one.
    pub fn assign(&self, handle_id: u64, loop_index: Option<usize>) -> io::Result<HandleLoop> {
        if self.loops.is_empty() {
            let thread = LoopThread::spawn(format!("hloop {handle_id}"))?;
            return Ok(HandleLoop { main_loop: thread.main_loop.clone(), kind: HandleLoopKind::Dedicated(thread) });
        }
        if let (false, Some(index)) = (self.allow_loop_indication, loop_index) {
            janus_log!(Level::Warn, "[{handle_id}] Manual allocation of event loops forbidden, ignoring provided loop index {index}\n");
        }
        let mut handles = self.handles.lock().unwrap_or_else(|e| e.into_inner());
        let requested = loop_index.filter(|_| self.allow_loop_indication);
        let index = match requested {
            Some(i) if i < self.loops.len() => i,
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
        Ok(HandleLoop {
            main_loop: self.loops[index].main_loop.clone(),
            kind: HandleLoopKind::Static { index, handles: self.handles.clone() },
        })
    }

    /// `janus_ice_stop_static_event_loops`: quits every loop and waits (up to `timeout`
    /// each) for its thread. Whether all ended.
    pub fn stop(&self, timeout: Duration) -> bool {
        let mut all = true;
        for l in &self.loops {
            all &= l.thread.lock().unwrap_or_else(|e| e.into_inner()).stop(timeout);
        }
        all
    }
}

impl Drop for EventLoops {
    fn drop(&mut self) {
        for l in &self.loops {
            let quitting = l.main_loop.clone();
            l.main_loop.invoke(move || quitting.quit());
        }
    }
}

impl HandleLoop {
    /// The static loop's id, `None` for a dedicated loop.
    pub fn static_loop(&self) -> Option<usize> {
        match &self.kind {
            HandleLoopKind::Static { index, .. } => Some(*index),
            HandleLoopKind::Dedicated(_) => None,
        }
    }

    pub(crate) fn main_loop(&self) -> &Arc<MainLoop> {
        &self.main_loop
    }

    /// Runs `f` on the loop's thread, after what was posted before.
    pub fn invoke(&self, f: impl FnOnce() + Send + 'static) {
        self.main_loop.invoke(f);
    }

    /// Runs `f` on the loop's thread every `interval` until it returns false.
    pub fn add_timer(&self, interval: Duration, f: impl FnMut() -> bool + Send + 'static) {
        self.main_loop.add_timer(interval, f);
    }

    /// Releases the handle's loop: a dedicated one is quit (after the work already posted,
    /// such as agent teardowns) and its thread awaited up to `timeout`. Whether the thread
    /// ended (always true for a static loop, which keeps running).
    pub fn stop(mut self, timeout: Duration) -> bool {
        match &mut self.kind {
            HandleLoopKind::Static { .. } => true,
            HandleLoopKind::Dedicated(thread) => thread.stop(timeout),
        }
    }
}

impl Drop for HandleLoop {
    fn drop(&mut self) {
        match &mut self.kind {
            HandleLoopKind::Static { index, handles } => {
                let mut h = handles.lock().unwrap_or_else(|e| e.into_inner());
                h[*index] = h[*index].saturating_sub(1);
            }
            // Quit without waiting: the thread ends on its own.
            HandleLoopKind::Dedicated(thread) => {
                if thread.thread.is_some() {
                    let quitting = thread.main_loop.clone();
                    thread.main_loop.invoke(move || quitting.quit());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_loaded_then_indicated() {
        let loops = EventLoops::new(3, true);
        assert_eq!(loops.count(), 3);
        let a = loops.assign(1, None).unwrap();
        let b = loops.assign(2, None).unwrap();
        let c = loops.assign(3, None).unwrap();
        assert_eq!((a.static_loop(), b.static_loop(), c.static_loop()), (Some(0), Some(1), Some(2)));
        let d = loops.assign(4, Some(2)).unwrap();
        assert_eq!(d.static_loop(), Some(2));
        // An invalid index falls back to the automatic choice.
        let e = loops.assign(5, Some(9)).unwrap();
        assert_eq!(e.static_loop(), Some(0));
        assert_eq!(loops.info(), vec![(0, 2), (1, 1), (2, 2)]);
        drop((b, d));
        assert_eq!(loops.info(), vec![(0, 2), (1, 0), (2, 1)]);
        assert_eq!(loops.assign(6, None).unwrap().static_loop(), Some(1));
        drop((a, c, e));
        assert!(loops.stop(Duration::from_secs(5)));
    }

    #[test]
    fn indication_ignored_unless_allowed() {
        let loops = EventLoops::new(2, false);
        let _a = loops.assign(1, None).unwrap();
        assert_eq!(loops.assign(2, Some(0)).unwrap().static_loop(), Some(1));
        assert!(loops.stop(Duration::from_secs(5)));
    }

    #[test]
    fn dedicated_loop_runs_work_and_ends() {
        let loops = EventLoops::new(0, true);
        assert!(!loops.allow_loop_indication());
        let h = loops.assign(77, None).unwrap();
        assert_eq!(h.static_loop(), None);
        let (tx, rx) = channel();
        h.invoke(move || tx.send(thread::current().name().map(str::to_owned)).unwrap());
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap().as_deref(), Some("hloop 77"));
        assert!(h.stop(Duration::from_secs(5)));
    }
}
