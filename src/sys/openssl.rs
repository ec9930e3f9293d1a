//! libssl/libcrypto (bindgen) and the thin safe wrappers DTLS-SRTP needs: certificates and
//! keys, a DTLS `SSL_CTX`, and one DTLS connection driven through memory: a `BIO_s_mem` for
//! what arrives, and a datagram-preserving write BIO (like Janus' "agent writer" BIO, but
//! queueing into memory instead of sending) for what leaves.

include!(concat!(env!("OUT_DIR"), "/openssl.rs"));

use libc::{c_char, c_int, c_long, c_uint, c_void};
use std::ffi::CString;
use std::ptr;
use std::sync::OnceLock;
use std::time::Duration;

// The `SSL_OP_*` values are built with casts bindgen cannot evaluate (ssl.h, OpenSSL 3.0).
const SSL_OP_NO_COMPRESSION: u64 = 1 << 17;
const SSL_OP_NO_SSLV3: u64 = 1 << 25;

/// The oldest error of this thread's OpenSSL error queue as text (empty queue: empty
/// string); the queue is emptied so that later calls start clean.
pub fn take_error() -> String {
    let mut buf = [0 as c_char; 256];
    // SAFETY: ERR_* work on the calling thread's queue; the buffer is large enough and
    // `ERR_error_string_n` NUL-terminates within `len`.
    unsafe {
        let code = ERR_get_error();
        let text = if code == 0 {
            String::new()
        } else {
            ERR_error_string_n(code, buf.as_mut_ptr(), buf.len());
            std::ffi::CStr::from_ptr(buf.as_ptr()).to_string_lossy().into_owned()
        };
        ERR_clear_error();
        text
    }
}

/// The digests a certificate fingerprint may be computed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digest {
    Sha1,
    Sha256,
}

/// An owned private key (`EVP_PKEY`).
pub struct PrivateKey(*mut EVP_PKEY);

// SAFETY: an EVP_PKEY is not mutated after creation; OpenSSL 3 makes sharing it safe.
unsafe impl Send for PrivateKey {}
unsafe impl Sync for PrivateKey {}

impl PrivateKey {
    /// An RSA key of `bits` bits, public exponent 65537.
    pub fn generate_rsa(bits: usize) -> Option<Self> {
        // SAFETY: EVP_PKEY_Q_keygen("RSA", size_t bits) is what EVP_RSA_gen expands to.
        let key = unsafe { EVP_PKEY_Q_keygen(ptr::null_mut(), ptr::null(), c"RSA".as_ptr(), bits) };
        (!key.is_null()).then_some(Self(key))
    }

    /// An ECDSA key on the named curve `curve` (e.g. "prime256v1").
    pub fn generate_ec(curve: &str) -> Option<Self> {
        let curve = CString::new(curve).ok()?;
        // SAFETY: EVP_PKEY_Q_keygen("EC", const char *curve) is what EVP_EC_gen expands to.
        let key = unsafe { EVP_PKEY_Q_keygen(ptr::null_mut(), ptr::null(), c"EC".as_ptr(), curve.as_ptr()) };
        (!key.is_null()).then_some(Self(key))
    }

    /// Parses a PEM private key, decrypting it with `password` if it is encrypted. Never asks
    /// on a terminal: an encrypted key without a password fails.
    pub fn from_pem(pem: &[u8], password: Option<&[u8]>) -> Option<Self> {
        let bio = MemBio::from_slice(pem)?;
        let mut pass: (*const u8, usize) = password.map_or((ptr::null(), 0), |p| (p.as_ptr(), p.len()));
        // SAFETY: the callback reads `pass` only during this call, while it is alive.
        let key = unsafe { PEM_read_bio_PrivateKey(bio.0, ptr::null_mut(), Some(password_callback), &raw mut pass as *mut c_void) };
        (!key.is_null()).then_some(Self(key))
    }
}

impl Drop for PrivateKey {
    fn drop(&mut self) {
        // SAFETY: we own one reference.
        unsafe { EVP_PKEY_free(self.0) }
    }
}

/// `pem_password_cb`: copies the password the caller passed (a `(ptr, len)` pair) or fails.
unsafe extern "C" fn password_callback(buf: *mut c_char, size: c_int, _rwflag: c_int, u: *mut c_void) -> c_int {
    let (data, len) = *(u as *const (*const u8, usize));
    if data.is_null() || size < 0 || len > size as usize {
        return -1;
    }
    ptr::copy_nonoverlapping(data, buf as *mut u8, len);
    len as c_int
}

/// An owned X.509 certificate.
pub struct Certificate(*mut X509);

// SAFETY: a certificate is not mutated after creation; its refcount is atomic.
unsafe impl Send for Certificate {}
unsafe impl Sync for Certificate {}

impl Certificate {
    /// Parses the first certificate of a PEM text.
    pub fn from_pem(pem: &[u8]) -> Option<Self> {
        let bio = MemBio::from_slice(pem)?;
        // SAFETY: reads from a valid BIO; no password callback is involved for certificates.
        let cert = unsafe { PEM_read_bio_X509(bio.0, ptr::null_mut(), None, ptr::null_mut()) };
        (!cert.is_null()).then_some(Self(cert))
    }

    /// A version 3 certificate for `key`, signed by itself with SHA-256, whose subject and
    /// issuer are the given `(field, value)` pairs, valid from `validity` ago until `validity`
    /// from now.
    pub fn self_signed(key: &PrivateKey, serial: u32, validity: Duration, subject: &[(&str, &str)]) -> Option<Self> {
        let secs = c_long::try_from(validity.as_secs()).ok()?;
        // SAFETY: every call works on the fresh certificate we own (freed on any failure by
        // the wrapper's Drop); strings are NUL-terminated CStrings alive for the call.
        unsafe {
            let cert = Self(X509_new());
            if cert.0.is_null() || X509_set_version(cert.0, 2) != 1 {
                return None;
            }
            if ASN1_INTEGER_set(X509_get_serialNumber(cert.0), c_long::from(serial)) != 1
                || X509_gmtime_adj(X509_getm_notBefore(cert.0), -secs).is_null()
                || X509_gmtime_adj(X509_getm_notAfter(cert.0), secs).is_null()
                || X509_set_pubkey(cert.0, key.0) != 1
            {
                return None;
            }
            let name = X509_get_subject_name(cert.0);
            if name.is_null() {
                return None;
            }
            for (field, value) in subject {
                let (field, value) = (CString::new(*field).ok()?, CString::new(*value).ok()?);
                let added = X509_NAME_add_entry_by_txt(name, field.as_ptr(), MBSTRING_ASC as c_int, value.as_ptr() as *const u8, -1, -1, 0);
                if added != 1 {
                    return None;
                }
            }
            if X509_set_issuer_name(cert.0, name) != 1 || X509_sign(cert.0, key.0, EVP_sha256()) == 0 {
                return None;
            }
            Some(cert)
        }
    }

    /// The certificate's digest (its DER encoding hashed).
    pub fn digest(&self, digest: Digest) -> Option<Vec<u8>> {
        let mut out = [0u8; EVP_MAX_MD_SIZE as usize];
        let mut len: c_uint = 0;
        // SAFETY: `out` holds EVP_MAX_MD_SIZE bytes, the most any digest writes.
        let ok = unsafe {
            let md = match digest {
                Digest::Sha1 => EVP_sha1(),
                Digest::Sha256 => EVP_sha256(),
            };
            X509_digest(self.0, md, out.as_mut_ptr(), &mut len)
        };
        (ok == 1).then(|| out[..len as usize].to_vec())
    }

    /// The certificate as PEM text.
    pub fn to_pem(&self) -> Option<String> {
        let bio = MemBio::new()?;
        // SAFETY: writes into our memory BIO.
        if unsafe { PEM_write_bio_X509(bio.0, self.0) } != 1 {
            return None;
        }
        String::from_utf8(bio.contents()).ok()
    }
}

impl Drop for Certificate {
    fn drop(&mut self) {
        // SAFETY: we own one reference.
        unsafe { X509_free(self.0) }
    }
}

/// A memory BIO we own (used to parse and print PEM).
struct MemBio(*mut BIO);

impl MemBio {
    fn new() -> Option<Self> {
        // SAFETY: plain allocation.
        let bio = unsafe { BIO_new(BIO_s_mem()) };
        (!bio.is_null()).then_some(Self(bio))
    }

    fn from_slice(data: &[u8]) -> Option<Self> {
        let bio = Self::new()?;
        let len = c_int::try_from(data.len()).ok()?;
        // SAFETY: the memory BIO copies `len` readable bytes.
        (unsafe { BIO_write(bio.0, data.as_ptr() as *const c_void, len) } == len).then_some(bio)
    }

    fn contents(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut chunk = [0u8; 1024];
        loop {
            // SAFETY: reads at most `chunk.len()` bytes into `chunk`.
            let n = unsafe { BIO_read(self.0, chunk.as_mut_ptr() as *mut c_void, chunk.len() as c_int) };
            if n <= 0 {
                return out;
            }
            out.extend_from_slice(&chunk[..n as usize]);
        }
    }
}

impl Drop for MemBio {
    fn drop(&mut self) {
        // SAFETY: we own the BIO.
        unsafe { BIO_free(self.0) };
    }
}

/// How a DTLS `SSL_CTX` is set up (what `janus_dtls_srtp_init` configures).
pub struct DtlsContextConfig<'a> {
    pub certificate: &'a Certificate,
    pub key: &'a PrivateKey,
    pub ciphers: &'a str,
    /// `use_srtp` profile names, colon separated, in preference order (empty: no `use_srtp`).
    pub srtp_profiles: &'a str,
    /// Accept self-signed peer certificates (expired ones are always refused).
    pub accept_selfsigned: bool,
}

/// The step of setting up a DTLS context that failed, with OpenSSL's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextError {
    Create(String),
    SrtpProfiles(String),
    Certificate(String),
    Key(String),
    KeyMismatch(String),
    Ciphers(String),
}

/// A DTLS `SSL_CTX` (one per gateway in Janus), shareable between threads.
pub struct SslContext(*mut SSL_CTX);

// SAFETY: the SSL_CTX is only read (SSL_new) after construction; OpenSSL locks internally.
unsafe impl Send for SslContext {}
unsafe impl Sync for SslContext {}

impl SslContext {
    pub fn new_dtls(config: &DtlsContextConfig) -> Result<Self, ContextError> {
        let c = |s: &str| CString::new(s).map_err(|_| String::from("NUL in string"));
        // SAFETY: the context is ours (freed by Drop on every error path); the certificate and
        // key are up-ref'd by SSL_CTX_use_*; strings live across each call.
        unsafe {
            let ctx = Self(SSL_CTX_new(DTLS_method()));
            if ctx.0.is_null() {
                return Err(ContextError::Create(take_error()));
            }
            let verify: SSL_verify_cb = Some(if config.accept_selfsigned { verify_lenient } else { verify_strict });
            SSL_CTX_set_verify(ctx.0, (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT) as c_int, verify);
            let profiles = c(config.srtp_profiles).map_err(ContextError::SrtpProfiles)?;
            // Unusually, 0 means success here.
            if !config.srtp_profiles.is_empty() && SSL_CTX_set_tlsext_use_srtp(ctx.0, profiles.as_ptr()) != 0 {
                return Err(ContextError::SrtpProfiles(take_error()));
            }
            if SSL_CTX_use_certificate(ctx.0, config.certificate.0) != 1 {
                return Err(ContextError::Certificate(take_error()));
            }
            if SSL_CTX_use_PrivateKey(ctx.0, config.key.0) != 1 {
                return Err(ContextError::Key(take_error()));
            }
            if SSL_CTX_check_private_key(ctx.0) != 1 {
                return Err(ContextError::KeyMismatch(take_error()));
            }
            SSL_CTX_ctrl(ctx.0, SSL_CTRL_SET_READ_AHEAD as c_int, 1, ptr::null_mut());
            let ciphers = c(config.ciphers).map_err(ContextError::Ciphers)?;
            if SSL_CTX_set_cipher_list(ctx.0, ciphers.as_ptr()) != 1 {
                return Err(ContextError::Ciphers(take_error()));
            }
            Ok(ctx)
        }
    }
}

impl Drop for SslContext {
    fn drop(&mut self) {
        // SAFETY: we own the context; SSLs created from it hold their own reference.
        unsafe { SSL_CTX_free(self.0) }
    }
}

/// Certificate verification as Janus does it: we only need the peer's certificate (its
/// fingerprint is checked against the SDP later); expired certificates are always refused,
/// self-signed ones only when not accepted.
fn verify(ctx: *mut X509_STORE_CTX, accept_selfsigned: bool) -> c_int {
    // SAFETY: OpenSSL hands the callback a valid store context.
    let err = unsafe { X509_STORE_CTX_get_error(ctx) } as u32;
    if err == X509_V_ERR_CERT_HAS_EXPIRED {
        return 0;
    }
    c_int::from(accept_selfsigned || err == X509_V_OK)
}

unsafe extern "C" fn verify_lenient(_preverify_ok: c_int, ctx: *mut X509_STORE_CTX) -> c_int {
    verify(ctx, true)
}

unsafe extern "C" fn verify_strict(_preverify_ok: c_int, ctx: *mut X509_STORE_CTX) -> c_int {
    verify(ctx, false)
}

/// A DTLS alert that went through the connection (OpenSSL's info callback).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertRecord {
    /// `true` if we sent it, `false` if the peer did.
    pub sent: bool,
    /// 1 warning, 2 fatal.
    pub level: u8,
    /// The TLS AlertDescription (0 close_notify, 42 bad_certificate, ...).
    pub description: u8,
}

/// What the write BIO and the info callback fill during an SSL call: the datagrams to send
/// (one `BIO_write` is one datagram, as on a UDP socket) and the alerts seen. The buffers keep
/// their capacity, so once warmed up nothing is allocated per packet.
struct Outbox {
    mtu: c_long,
    timeout_base_us: c_uint,
    datagrams: Vec<u8>,
    ends: Vec<usize>,
    sent: usize,
    alerts: Vec<AlertRecord>,
}

/// The result of an SSL I/O call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SslStatus {
    /// Bytes read or written (0 for a handshake step that completed).
    Done(usize),
    /// Needs another datagram (or nothing to read yet).
    WantRead,
    /// The peer sent close_notify.
    Closed,
    /// A protocol or library error, with OpenSSL's reason.
    Error(String),
}

/// The longest timer interval OpenSSL uses by itself (DTLS1_MAX_TIMEOUT, 60 s).
const MAX_TIMEOUT_US: c_uint = 60_000_000;

/// Timer intervals: the configured base first, then doubling (as OpenSSL's own timer does).
unsafe extern "C" fn timer_callback(ssl: *mut SSL, previous_us: c_uint) -> c_uint {
    match outbox_of(ssl).as_ref() {
        Some(outbox) if previous_us == 0 => outbox.timeout_base_us,
        _ => previous_us.saturating_mul(2).min(MAX_TIMEOUT_US),
    }
}

unsafe fn outbox_of(ssl: *const SSL) -> *mut Outbox {
    let wbio = SSL_get_wbio(ssl);
    if wbio.is_null() {
        return ptr::null_mut();
    }
    BIO_get_data(wbio) as *mut Outbox
}

unsafe extern "C" fn info_callback(ssl: *const SSL, where_: c_int, ret: c_int) {
    if where_ as u32 & SSL_CB_ALERT == 0 {
        return;
    }
    if let Some(outbox) = outbox_of(ssl).as_mut() {
        outbox.alerts.push(AlertRecord {
            sent: where_ as u32 & SSL_CB_WRITE != 0,
            level: (ret >> 8) as u8,
            description: (ret & 0xff) as u8,
        });
    }
}

unsafe extern "C" fn bio_write(bio: *mut BIO, data: *const c_char, len: c_int) -> c_int {
    let outbox = BIO_get_data(bio) as *mut Outbox;
    let Some(outbox) = outbox.as_mut() else { return -1 };
    if len <= 0 {
        return len;
    }
    outbox.push(std::slice::from_raw_parts(data as *const u8, len as usize));
    len
}

/// Length of the DTLS record at the start of `data` (header included), or all of `data` if
/// it is too short to tell.
fn record_len(data: &[u8]) -> usize {
    match data {
        [_, _, _, _, _, _, _, _, _, _, _, hi, lo, ..] => 13 + usize::from(u16::from_be_bytes([*hi, *lo])),
        _ => data.len(),
    }
}

impl Outbox {
    /// Queues what OpenSSL flushed as datagrams. Its handshake write buffer may flush several
    /// records at once whose total exceeds the MTU (e.g. the last NewSessionTicket fragment,
    /// ChangeCipherSpec and Finished): those are split at record boundaries.
    fn push(&mut self, data: &[u8]) {
        let mtu = usize::try_from(self.mtu).unwrap_or(0);
        let mut start = 0;
        let mut pos = 0;
        while pos < data.len() {
            let end = (pos + record_len(&data[pos..])).min(data.len());
            if mtu > 0 && end - start > mtu && pos > start {
                self.push_datagram(&data[start..pos]);
                start = pos;
            }
            pos = end;
        }
        self.push_datagram(&data[start..]);
    }

    fn push_datagram(&mut self, datagram: &[u8]) {
        self.datagrams.extend_from_slice(datagram);
        self.ends.push(self.datagrams.len());
    }
}

unsafe extern "C" fn bio_ctrl(bio: *mut BIO, cmd: c_int, _num: c_long, _ptr: *mut c_void) -> c_long {
    match cmd as u32 {
        BIO_CTRL_FLUSH => 1,
        // The MTU OpenSSL must fit its records in, as configured (`dtls_mtu`).
        BIO_CTRL_DGRAM_QUERY_MTU => (BIO_get_data(bio) as *const Outbox).as_ref().map_or(0, |o| o.mtu),
        _ => 0,
    }
}

unsafe extern "C" fn bio_create(bio: *mut BIO) -> c_int {
    BIO_set_init(bio, 1);
    BIO_set_data(bio, ptr::null_mut());
    BIO_set_shutdown(bio, 0);
    1
}

unsafe extern "C" fn bio_destroy(bio: *mut BIO) -> c_int {
    if bio.is_null() {
        return 0;
    }
    BIO_set_data(bio, ptr::null_mut());
    1
}

/// The datagram write BIO's method table, created once.
fn datagram_bio_method() -> *const BIO_METHOD {
    struct Method(*mut BIO_METHOD);
    // SAFETY: the table is immutable once filled in.
    unsafe impl Send for Method {}
    unsafe impl Sync for Method {}
    static METHOD: OnceLock<Method> = OnceLock::new();
    METHOD
        .get_or_init(|| {
            // SAFETY: building a BIO_METHOD with our callbacks; never freed (process-wide).
            unsafe {
                let m = BIO_meth_new(BIO_TYPE_BIO as c_int, c"janus datagram writer".as_ptr());
                if !m.is_null() {
                    BIO_meth_set_write(m, Some(bio_write));
                    BIO_meth_set_ctrl(m, Some(bio_ctrl));
                    BIO_meth_set_create(m, Some(bio_create));
                    BIO_meth_set_destroy(m, Some(bio_destroy));
                }
                Method(m)
            }
        })
        .0
}

/// One DTLS connection (`SSL`) fed and drained through memory.
pub struct DtlsConnection {
    ssl: *mut SSL,
    read_bio: *mut BIO,
    outbox: *mut Outbox,
}

// SAFETY: the connection is used by one thread at a time (`&mut self` for every SSL call).
unsafe impl Send for DtlsConnection {}

impl DtlsConnection {
    /// A connection on `ctx`, fitting its records in `mtu` bytes, whose retransmission timer
    /// starts at `timeout_base` and doubles. ECDHE on P-256 as Janus enforces.
    pub fn new(ctx: &SslContext, mtu: u16, timeout_base: Duration) -> Option<Self> {
        let outbox = Box::into_raw(Box::new(Outbox {
            mtu: c_long::from(mtu),
            timeout_base_us: c_uint::try_from(timeout_base.as_micros()).unwrap_or(MAX_TIMEOUT_US).max(1),
            datagrams: Vec::with_capacity(2048),
            ends: Vec::with_capacity(8),
            sent: 0,
            alerts: Vec::new(),
        }));
        // SAFETY: `outbox` is freed by Drop (or here if the SSL cannot be made); SSL_set_bio
        // hands both BIOs to the SSL, which frees them.
        unsafe {
            let ssl = SSL_new(ctx.0);
            let method = datagram_bio_method();
            if ssl.is_null() || method.is_null() {
                drop(Box::from_raw(outbox));
                return None;
            }
            let mut conn = Self { ssl, read_bio: ptr::null_mut(), outbox };
            let read_bio = BIO_new(BIO_s_mem());
            let write_bio = BIO_new(method);
            if read_bio.is_null() || write_bio.is_null() {
                BIO_free(read_bio);
                BIO_free(write_bio);
                return None;
            }
            // An empty read BIO means "try again", not end of file.
            BIO_ctrl(read_bio, BIO_C_SET_BUF_MEM_EOF_RETURN as c_int, -1, ptr::null_mut());
            BIO_set_data(write_bio, outbox as *mut c_void);
            SSL_set_bio(ssl, read_bio, write_bio);
            conn.read_bio = read_bio;
            SSL_set_info_callback(ssl, Some(info_callback));
            DTLS_set_timer_cb(ssl, Some(timer_callback));
            let mut groups = [NID_X9_62_prime256v1 as c_int];
            SSL_ctrl(ssl, SSL_CTRL_SET_GROUPS as c_int, 1, groups.as_mut_ptr() as *mut c_void);
            SSL_set_options(ssl, SSL_OP_NO_SSLV3 | SSL_OP_NO_COMPRESSION);
            Some(conn)
        }
    }

    fn outbox(&mut self) -> &mut Outbox {
        // SAFETY: the outbox lives as long as `self`; OpenSSL only touches it during calls
        // that borrow `self` mutably, so this is the only live reference.
        unsafe { &mut *self.outbox }
    }

    pub fn set_connect_state(&mut self) {
        // SAFETY: valid SSL.
        unsafe { SSL_set_connect_state(self.ssl) }
    }

    pub fn set_accept_state(&mut self) {
        // SAFETY: valid SSL.
        unsafe { SSL_set_accept_state(self.ssl) }
    }

    /// `SSL_get_error` is only meaningful if the queue was empty before the call it explains.
    fn clear_errors() {
        // SAFETY: clears the calling thread's error queue.
        unsafe { ERR_clear_error() }
    }

    fn status(&self, ret: c_int) -> SslStatus {
        if ret > 0 {
            return SslStatus::Done(ret as usize);
        }
        // SAFETY: valid SSL; `ret` is the value the last call returned.
        match unsafe { SSL_get_error(self.ssl, ret) } as u32 {
            SSL_ERROR_WANT_READ | SSL_ERROR_WANT_WRITE => SslStatus::WantRead,
            SSL_ERROR_ZERO_RETURN => SslStatus::Closed,
            other => {
                let reason = take_error();
                SslStatus::Error(if reason.is_empty() { format!("SSL error {other}") } else { reason })
            }
        }
    }

    pub fn do_handshake(&mut self) -> SslStatus {
        Self::clear_errors();
        // SAFETY: valid SSL.
        let ret = unsafe { SSL_do_handshake(self.ssl) };
        match self.status(ret) {
            SslStatus::Done(_) => SslStatus::Done(0),
            other => other,
        }
    }

    /// Queues one received datagram for the next read (dropping leftovers of the previous
    /// one, so that a record OpenSSL refused cannot glue itself to the next datagram).
    pub fn feed(&mut self, datagram: &[u8]) -> bool {
        let Ok(len) = c_int::try_from(datagram.len()) else { return false };
        // SAFETY: the read BIO is alive as long as the SSL; it copies `len` bytes.
        unsafe {
            BIO_ctrl(self.read_bio, BIO_CTRL_RESET as c_int, 0, ptr::null_mut());
            len == 0 || BIO_write(self.read_bio, datagram.as_ptr() as *const c_void, len) == len
        }
    }

    /// Reads application data (or advances the handshake) into `buf`.
    pub fn read(&mut self, buf: &mut [u8]) -> SslStatus {
        let len = c_int::try_from(buf.len()).unwrap_or(c_int::MAX);
        Self::clear_errors();
        // SAFETY: `buf` is writable for `len` bytes.
        let ret = unsafe { SSL_read(self.ssl, buf.as_mut_ptr() as *mut c_void, len) };
        self.status(ret)
    }

    /// Encrypts application data into one record (a datagram in the outbox).
    pub fn write(&mut self, data: &[u8]) -> SslStatus {
        let Ok(len) = c_int::try_from(data.len()) else { return SslStatus::Error("too large".into()) };
        Self::clear_errors();
        // SAFETY: `data` is readable for `len` bytes.
        let ret = unsafe { SSL_write(self.ssl, data.as_ptr() as *const c_void, len) };
        self.status(ret)
    }

    pub fn is_init_finished(&self) -> bool {
        // SAFETY: valid SSL.
        unsafe { SSL_is_init_finished(self.ssl) == 1 }
    }

    pub fn peer_certificate(&self) -> Option<Certificate> {
        // SAFETY: returns a new reference (or NULL), which the wrapper owns.
        let cert = unsafe { SSL_get1_peer_certificate(self.ssl) };
        (!cert.is_null()).then_some(Certificate(cert))
    }

    /// The negotiated `use_srtp` profile id (RFC 5764 numbering).
    pub fn selected_srtp_profile(&self) -> Option<u64> {
        // SAFETY: returns a pointer into static tables, or NULL.
        unsafe { SSL_get_selected_srtp_profile(self.ssl).as_ref().map(|p| p.id as u64) }
    }

    /// RFC 5705 keying material export without context.
    pub fn export_keying_material(&self, out: &mut [u8], label: &str) -> bool {
        // SAFETY: `out` is writable for its length; the label is passed with its length.
        unsafe {
            SSL_export_keying_material(
                self.ssl,
                out.as_mut_ptr(),
                out.len(),
                label.as_ptr() as *const c_char,
                label.len(),
                ptr::null(),
                0,
                0,
            ) == 1
        }
    }

    /// The negotiated protocol version and cipher suite names.
    pub fn version_and_cipher(&self) -> (String, String) {
        let text = |p: *const c_char| {
            // SAFETY: OpenSSL returns static strings (or NULL).
            (!p.is_null()).then(|| unsafe { std::ffi::CStr::from_ptr(p) }.to_string_lossy().into_owned()).unwrap_or_default()
        };
        // SAFETY: valid SSL; the current cipher may be NULL before the handshake.
        unsafe {
            let cipher = SSL_get_current_cipher(self.ssl);
            (text(SSL_get_version(self.ssl)), if cipher.is_null() { String::new() } else { text(SSL_CIPHER_get_name(cipher)) })
        }
    }

    /// Sends close_notify (`SSL_shutdown`, once).
    pub fn shutdown(&mut self) {
        // SAFETY: valid SSL; a second call only waits for the peer's close_notify.
        unsafe {
            if SSL_get_shutdown(self.ssl) as u32 & SSL_SENT_SHUTDOWN == 0 {
                SSL_shutdown(self.ssl);
            }
        }
        take_error();
    }

    /// Time left on OpenSSL's retransmission timer, `None` if it is not running.
    pub fn timeout(&self) -> Option<Duration> {
        let mut tv = libc::timeval { tv_sec: 0, tv_usec: 0 };
        // SAFETY: DTLSv1_get_timeout(ssl, &tv) is this SSL_ctrl call.
        let running = unsafe { SSL_ctrl(self.ssl, DTLS_CTRL_GET_TIMEOUT as c_int, 0, &raw mut tv as *mut c_void) };
        (running == 1).then(|| Duration::from_secs(tv.tv_sec as u64) + Duration::from_micros(tv.tv_usec as u64))
    }

    /// Lets OpenSSL retransmit if its timer expired (`DTLSv1_handle_timeout`): `Ok(true)` if
    /// it did, `Err` if it gave up.
    pub fn handle_timeout(&mut self) -> Result<bool, String> {
        Self::clear_errors();
        // SAFETY: DTLSv1_handle_timeout(ssl) is this SSL_ctrl call.
        let ret = unsafe { SSL_ctrl(self.ssl, DTLS_CTRL_HANDLE_TIMEOUT as c_int, 0, ptr::null_mut()) };
        match ret {
            r if r > 0 => Ok(true),
            0 => Ok(false),
            r => match self.status(r as c_int) {
                SslStatus::WantRead => Ok(false),
                SslStatus::Error(e) => Err(e),
                other => Err(format!("{other:?}")),
            },
        }
    }

    /// The next queued outgoing datagram; once all were taken, the queue is emptied (keeping
    /// its memory) and `None` returned.
    pub fn next_datagram(&mut self) -> Option<&[u8]> {
        let outbox = self.outbox();
        if outbox.sent == outbox.ends.len() {
            outbox.datagrams.clear();
            outbox.ends.clear();
            outbox.sent = 0;
            return None;
        }
        let start = if outbox.sent == 0 { 0 } else { outbox.ends[outbox.sent - 1] };
        let end = outbox.ends[outbox.sent];
        outbox.sent += 1;
        Some(&self.outbox().datagrams[start..end])
    }

    /// The oldest alert sent or received not yet taken.
    pub fn next_alert(&mut self) -> Option<AlertRecord> {
        let alerts = &mut self.outbox().alerts;
        (!alerts.is_empty()).then(|| alerts.remove(0))
    }
}

impl Drop for DtlsConnection {
    fn drop(&mut self) {
        // SAFETY: SSL_free frees both BIOs (the write BIO's destroy clears its pointer to the
        // outbox) before the outbox itself goes.
        unsafe {
            SSL_free(self.ssl);
            drop(Box::from_raw(self.outbox));
        }
    }
}
