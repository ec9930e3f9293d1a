//! Janus' logger modules (`loggers/logger.h`) as the core sees them: every line the log
//! pipeline writes is also handed to each logger, with its wall-clock timestamp.

use std::ffi::CStr;
use std::sync::Arc;

use crate::log;

/// A logger (a loaded `janus_logger` module, or a Rust stand-in in tests).
pub trait Logger: Send + Sync {
    /// `get_package()`: the logger's key in the core's tables and in the Admin API.
    fn package(&self) -> String;
    /// One finished log line, as written to the console/log file, stamped in real-time µs.
    /// Called on the log thread: loggers queue the line and return.
    fn incoming_logline(&self, timestamp: i64, line: &CStr);
}

/// The log sink that feeds `logger` (register it with [`log::add_sink`]).
pub fn sink(logger: Arc<dyn Logger>) -> log::Sink {
    Arc::new(move |timestamp, line| logger.incoming_logline(timestamp, line))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    struct Recorder(Mutex<Vec<(i64, String)>>);

    impl Logger for Recorder {
        fn package(&self) -> String {
            "test.logger".into()
        }
        fn incoming_logline(&self, timestamp: i64, line: &CStr) {
            self.0.lock().unwrap().push((timestamp, line.to_string_lossy().into_owned()));
        }
    }

    #[test]
    fn sink_hands_lines_to_the_logger() {
        let recorder = Arc::new(Recorder(Mutex::default()));
        let sink = sink(recorder.clone());
        sink(12, c"one\n");
        sink(13, c"two");
        assert_eq!(*recorder.0.lock().unwrap(), [(12, "one\n".to_string()), (13, "two".to_string())]);
    }
}
