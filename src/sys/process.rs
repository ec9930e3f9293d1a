//! Process-level services of the `janus` binary: daemonizing as Janus does (the parent
//! waits until the child reports how startup went), the PID file lock, waiting for the
//! termination signals, and the open-files limit.

use std::ffi::CString;
use std::io;
use std::os::fd::RawFd;

/// The child's side of daemon mode: the pipe to the waiting parent.
pub struct DaemonChild {
    report: RawFd,
}

impl DaemonChild {
    /// Tells the waiting parent to exit with `code` (0: started fine).
    pub fn report(self, code: i32) {
        // SAFETY: writes an int to our end of the pipe, then closes it.
        unsafe {
            libc::write(self.report, (&raw const code).cast(), std::mem::size_of::<i32>());
            libc::close(self.report);
        }
    }
}

/// Forks. The parent waits for the child's startup report and exits with it (1 if the
/// child died first); the child gets a new session, `umask(0)` and `cwd` as its folder.
/// Must run before any thread is started.
pub fn daemonize(cwd: &str) -> io::Result<DaemonChild> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: plain POSIX calls on valid buffers; after fork the parent only reads the pipe
    // and exits, the child goes on single-threaded.
    unsafe {
        if libc::pipe(fds.as_mut_ptr()) == -1 {
            return Err(io::Error::last_os_error());
        }
        match libc::fork() {
            -1 => Err(io::Error::last_os_error()),
            0 => {
                libc::close(fds[0]);
                libc::umask(0);
                if libc::setsid() < 0 {
                    return Err(io::Error::last_os_error());
                }
                let dir = CString::new(cwd).unwrap_or_default();
                if libc::chdir(dir.as_ptr()) < 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(DaemonChild { report: fds[1] })
            }
            _ => {
                libc::close(fds[1]);
                let mut code: i32 = -1;
                let n = libc::read(fds[0], (&raw mut code).cast(), std::mem::size_of::<i32>());
                if n != std::mem::size_of::<i32>() as isize || code < 0 {
                    code = 1;
                }
                if code != 0 {
                    crate::sys::glib::print_line(&format!("Error launching Janus (error code {code}), check the logs for more details"));
                }
                libc::_exit(code)
            }
        }
    }
}

/// Points stdin, stdout and stderr at /dev/null (a daemon not logging to the console).
pub fn detach_stdio() -> io::Result<()> {
    // SAFETY: opens /dev/null and duplicates it over the three standard descriptors.
    unsafe {
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null < 0 {
            return Err(io::Error::last_os_error());
        }
        for fd in 0..3 {
            libc::dup2(null, fd);
        }
        if null > 2 {
            libc::close(null);
        }
    }
    Ok(())
}

/// A locked PID file; removed when dropped.
pub struct PidFile {
    path: String,
    fd: RawFd,
}

/// Why the PID file could not be taken.
#[derive(Debug)]
pub enum PidFileError {
    Open,
    /// Someone holds the lock: the PID written in the file, if readable.
    Locked(Option<i32>),
    Write(io::Error),
}

impl PidFile {
    /// Creates (or truncates) `path`, locks it without waiting, writes our PID.
    pub fn create(path: &str) -> Result<PidFile, PidFileError> {
        let c = CString::new(path).map_err(|_| PidFileError::Open)?;
        // SAFETY: POSIX calls on a descriptor we own.
        unsafe {
            let fd = libc::open(c.as_ptr(), libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC, 0o644);
            if fd < 0 {
                return Err(PidFileError::Open);
            }
            if libc::flock(fd, libc::LOCK_EX | libc::LOCK_NB) < 0 {
                let held = std::fs::read_to_string(path).ok().and_then(|s| s.trim().parse().ok());
                libc::close(fd);
                return Err(PidFileError::Locked(held));
            }
            let text = format!("{}\n", libc::getpid());
            if libc::write(fd, text.as_ptr().cast(), text.len()) < 0 {
                let e = io::Error::last_os_error();
                libc::close(fd);
                return Err(PidFileError::Write(e));
            }
            Ok(PidFile { path: path.to_string(), fd })
        }
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        // SAFETY: our descriptor, closed once (which also releases the lock).
        unsafe { libc::close(self.fd) };
    }
}

fn termination_set() -> libc::sigset_t {
    // SAFETY: initialises a local signal set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        set
    }
}

/// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts afterwards,
/// so that only [`wait_termination`] receives them.
pub fn block_termination_signals() {
    let set = termination_set();
    // SAFETY: changes the calling thread's mask with a valid set.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
}

/// Raises the soft limit on open files to the hard one and returns the new soft limit:
/// each PeerConnection holds sockets, and the usual soft limit (1024) would cap a gateway
/// at a few hundred of them where the hard limit allows thousands.
pub fn raise_open_files_limit() -> io::Result<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: reads into a local.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max;
        // SAFETY: sets the process' own limit from a valid struct.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(limit.rlim_cur)
}

/// Waits for SIGINT or SIGTERM; returns the signal number.
pub fn wait_termination() -> i32 {
    let set = termination_set();
    let mut sig: libc::c_int = 0;
    // SAFETY: sigwait on a valid set, writing into a local.
    while unsafe { libc::sigwait(&set, &mut sig) } != 0 {}
    sig
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_files_limit_is_raised_to_the_hard_one() {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: reads and sets our own limit through a local.
        unsafe {
            assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
            // The usual soft limit, as a gateway often starts with (plenty for the tests).
            let lowered = libc::rlimit { rlim_cur: limit.rlim_max.min(1024), rlim_max: limit.rlim_max };
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lowered), 0);
        }
        assert_eq!(raise_open_files_limit().unwrap(), limit.rlim_max);
        let mut now = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: reads into a local.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut now) }, 0);
        assert_eq!((now.rlim_cur, now.rlim_max), (limit.rlim_max, limit.rlim_max));
    }
}
