//! Names of libsrtp2's `srtp_err_status_t` values, as Janus reports them in its logs and plugins
//! print them (`janus_srtp_error_str`).

const ERROR_NAMES: [&str; 25] = [
    "srtp_err_status_ok",
    "srtp_err_status_fail",
    "srtp_err_status_bad_param",
    "srtp_err_status_alloc_fail",
    "srtp_err_status_dealloc_fail",
    "srtp_err_status_init_fail",
    "srtp_err_status_terminus",
    "srtp_err_status_auth_fail",
    "srtp_err_status_cipher_fail",
    "srtp_err_status_replay_fail",
    "srtp_err_status_replay_old",
    "srtp_err_status_algo_fail",
    "srtp_err_status_no_such_op",
    "srtp_err_status_no_ctx",
    "srtp_err_status_cant_check",
    "srtp_err_status_key_expired",
    "srtp_err_status_socket_err",
    "srtp_err_status_signal_err",
    "srtp_err_status_nonce_bad",
    "srtp_err_status_read_fail",
    "srtp_err_status_write_fail",
    "srtp_err_status_parse_err",
    "srtp_err_status_encode_err",
    "srtp_err_status_semaphore_err",
    "srtp_err_status_pfkey_err",
];

/// The name of libsrtp2 status `code`, `None` outside 0..=24.
pub fn error_name(code: i32) -> Option<&'static str> {
    usize::try_from(code).ok().and_then(|i| ERROR_NAMES.get(i)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_libsrtp_numbering() {
        assert_eq!(error_name(0), Some("srtp_err_status_ok"));
        assert_eq!(error_name(7), Some("srtp_err_status_auth_fail"));
        assert_eq!(error_name(9), Some("srtp_err_status_replay_fail"));
        assert_eq!(error_name(24), Some("srtp_err_status_pfkey_err"));
        assert_eq!(error_name(25), None);
        assert_eq!(error_name(-1), None);
    }
}
