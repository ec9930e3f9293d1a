//! `dscp`: the gateway's media sockets mark what they send with the configured DSCP (the
//! IP TOS byte is DSCP << 2): seen on the connectivity checks it sends to a candidate of the
//! test that reads the TOS of what it receives (IP_RECVTOS). Run against `/usr/bin/janus`
//! and ours.

mod support;

use std::net::UdpSocket;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::time::{Duration, Instant};

use support::gateway::{binary_under_test, Gateway, REFERENCE_BINARY};
use support::webrtc::{in_private_network, private_network_configs, Peer};

const WAIT: Duration = Duration::from_secs(10);

/// The TOS byte of the next datagram `socket` receives (bounded wait), if any arrives.
fn next_tos(socket: &UdpSocket) -> Option<u8> {
    let fd = socket.as_raw_fd();
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        let mut data = [0u8; 1500];
        let mut control = [0u8; 64];
        let mut iov = libc::iovec { iov_base: data.as_mut_ptr().cast(), iov_len: data.len() };
        // SAFETY: a zeroed msghdr pointing at our stack buffers, for this call only.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = control.len();
        // SAFETY: recvmsg on our socket with the buffers above (the socket has a read timeout).
        let n = unsafe { libc::recvmsg(fd, &mut msg, 0) };
        if n <= 0 {
            continue;
        }
        // SAFETY: walking the control messages the kernel wrote into `control`.
        unsafe {
            let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
            while !cmsg.is_null() {
                if (*cmsg).cmsg_level == libc::IPPROTO_IP && (*cmsg).cmsg_type == libc::IP_TOS {
                    return Some(*libc::CMSG_DATA(cmsg));
                }
                cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
            }
        }
    }
    None
}

fn tos_of_checks(binary: &Path, test: &str, dscp: Option<u8>) -> Option<u8> {
    in_private_network(|net| {
        let mut configs = private_network_configs(test, &["echotest"]);
        if let Some(d) = dscp {
            configs.set_item("media", "dscp", &d.to_string());
        }
        let gateway = Gateway::start(binary, &configs);
        let session = gateway.create_session();
        let handle = session.attach("janus.plugin.echotest");
        let mut peer = Peer::new(net.peer_ip.into());
        let listener = UdpSocket::bind((net.peer_ip, 0)).unwrap();
        listener.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        let on: libc::c_int = 1;
        // SAFETY: setsockopt on our socket with a c_int.
        unsafe {
            libc::setsockopt(
                listener.as_raw_fd(),
                libc::IPPROTO_IP,
                libc::IP_RECVTOS,
                (&raw const on).cast(),
                std::mem::size_of::<libc::c_int>() as u32,
            )
        };
        handle.message_with_jsep(r#"{"audio":true}"#, "offer", &peer.create_offer(true, false));
        // Our listener as a candidate of the peer's: the gateway sends it connectivity checks.
        let port = listener.local_addr().unwrap().port();
        let candidate = format!("candidate:9 1 udp 2130706431 {} {port} typ host", net.peer_ip);
        handle.trickle(Some((&peer.first_mid(), &candidate)));
        handle.trickle(None);
        let tos = next_tos(&listener);
        session.destroy();
        tos
    })
}

#[test]
fn dscp_marks_what_the_gateway_sends() {
    let ours = tos_of_checks(&binary_under_test(), "webrtc-dscp-ours", Some(46));
    assert_eq!(ours, Some(46 << 2), "EF (46) as TOS 184");
    assert_eq!(tos_of_checks(&binary_under_test(), "webrtc-dscp-off-ours", None), Some(0));
    if Path::new(REFERENCE_BINARY).exists() {
        assert_eq!(tos_of_checks(Path::new(REFERENCE_BINARY), "webrtc-dscp-reference", Some(46)), ours);
    }
}
