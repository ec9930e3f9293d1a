//! The `janus` executable: the same command line as Janus 1.1.2.

use std::process::ExitCode;

fn main() -> ExitCode {
    print!(
        "Janus version: {} ({})\nJanus commit: {}\nCompiled on:  {}\n\n",
        janus::JANUS_VERSION,
        janus::JANUS_VERSION_STRING,
        env!("JANUS_BUILD_GIT_SHA"),
        env!("JANUS_BUILD_TIME")
    );
    let args: Vec<String> = std::env::args().collect();
    let options = match janus::options::parse(&args) {
        Ok(o) => o,
        Err(message) => {
            janus::options::print_error(&message);
            return ExitCode::FAILURE;
        }
    };
    ExitCode::from(janus::server::run(options) as u8)
}
