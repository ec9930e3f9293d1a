//! The `janus` executable.

fn main() {
    println!("Janus WebRTC Server (Rust) {}", janus::JANUS_VERSION_STRING);
}
