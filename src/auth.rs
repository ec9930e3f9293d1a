//! Request authentication (Janus' `auth.c`): the API secret, and tokens, either stored
//! (managed through the Admin API, each with the plugins it may attach to) or signed
//! (`<expiry>,janus[,<plugin>...]:<base64 HMAC-SHA1>`, verified with `token_auth_secret`).

use std::sync::Mutex;

use crate::sys::crypto::hmac_sha1;
use crate::utils::strcmp_const_time;

/// The realm every Janus token is issued for.
const REALM: &str = "janus";

/// Stored tokens in the order they were added, each with its allowed plugin packages.
type TokenTable = Vec<(String, Vec<String>)>;

/// How tokens are checked, fixed at startup.
#[derive(Debug)]
enum Mode {
    Disabled,
    /// Tokens in the order they were added, each with the packages of the plugins it may
    /// attach to, in the order they were allowed.
    Stored(Mutex<TokenTable>),
    Signed {
        secret: String,
    },
}

#[derive(Debug)]
pub struct Auth {
    mode: Mode,
}

impl Auth {
    /// `token_auth` off gives a disabled checker; with a secret, signed mode; else stored mode.
    pub fn new(enabled: bool, secret: Option<&str>) -> Auth {
        let mode = match (enabled, secret) {
            (false, _) => Mode::Disabled,
            (true, Some(secret)) => Mode::Signed { secret: secret.to_string() },
            (true, None) => Mode::Stored(Mutex::default()),
        };
        Auth { mode }
    }

    pub fn is_enabled(&self) -> bool {
        !matches!(self.mode, Mode::Disabled)
    }

    pub fn is_stored_mode(&self) -> bool {
        matches!(self.mode, Mode::Stored(_))
    }

    pub fn is_signed_mode(&self) -> bool {
        matches!(self.mode, Mode::Signed { .. })
    }

    fn stored(&self) -> Option<std::sync::MutexGuard<'_, TokenTable>> {
        match &self.mode {
            Mode::Stored(m) => Some(m.lock().unwrap_or_else(|e| e.into_inner())),
            _ => None,
        }
    }

    /// Whether `token` admits a request (`janus_auth_check_token`); always true when disabled.
    pub fn check_token(&self, token: &str, now_secs: i64) -> bool {
        match &self.mode {
            Mode::Disabled => true,
            Mode::Stored(_) => self.stored().is_some_and(|t| t.iter().any(|(k, _)| k == token)),
            Mode::Signed { secret } => check_signature(secret, token, REALM, None, now_secs),
        }
    }

    /// Whether `token` may attach to the plugin `package` (`janus_auth_check_plugin`).
    pub fn check_plugin(&self, token: &str, package: &str, now_secs: i64) -> bool {
        match &self.mode {
            Mode::Disabled => true,
            Mode::Stored(_) => self.stored().is_some_and(|t| plugins_of(&t, token).is_some_and(|p| p.iter().any(|x| x == package))),
            Mode::Signed { secret } => check_signature(secret, token, REALM, Some(package), now_secs),
        }
    }

    /// What plugins see through `auth_signature_contains`: a token signed for `realm` (the
    /// plugin's package) listing `descriptor`; always true when not in signed mode.
    pub fn signature_contains(&self, token: Option<&str>, realm: &str, descriptor: &str, now_secs: i64) -> bool {
        match &self.mode {
            Mode::Signed { secret } => token.is_some_and(|t| check_signature(secret, t, realm, Some(descriptor), now_secs)),
            _ => true,
        }
    }

    /// `auth_is_signature_valid` for plugins: a valid token signed for `realm` (the plugin's
    /// package); false unless in signed mode.
    pub fn signature_valid(&self, token: &str, realm: &str, now_secs: i64) -> bool {
        match &self.mode {
            Mode::Signed { secret } => check_signature(secret, token, realm, None, now_secs),
            _ => false,
        }
    }

    /// Adds a stored token (idempotent); false unless in stored mode.
    pub fn add_token(&self, token: &str) -> bool {
        self.stored()
            .map(|mut t| {
                if !t.iter().any(|(k, _)| k == token) {
                    t.push((token.to_string(), Vec::new()));
                }
            })
            .is_some()
    }

    /// Removes a stored token and its permissions; false if it was not there.
    pub fn remove_token(&self, token: &str) -> bool {
        self.stored().is_some_and(|mut t| {
            let before = t.len();
            t.retain(|(k, _)| k != token);
            t.len() != before
        })
    }

    /// The stored tokens, in the order Janus' hash table of tokens lists them.
    pub fn list_tokens(&self) -> Vec<String> {
        self.stored()
            .map(|t| {
                let keys: Vec<&str> = t.iter().map(|(k, _)| k.as_str()).collect();
                crate::sys::glib::string_hash_table_order(&keys).into_iter().map(|i| keys[i].to_string()).collect()
            })
            .unwrap_or_default()
    }

    /// Lets a stored token attach to a plugin; false if the token is unknown.
    pub fn allow_plugin(&self, token: &str, package: &str) -> bool {
        self.stored().is_some_and(|mut t| match plugins_of_mut(&mut t, token) {
            Some(list) => {
                if !list.iter().any(|p| p == package) {
                    list.push(package.to_string());
                }
                true
            }
            None => false,
        })
    }

    /// Withdraws a plugin from a stored token; false if the token is unknown.
    pub fn disallow_plugin(&self, token: &str, package: &str) -> bool {
        self.stored().is_some_and(|mut t| match plugins_of_mut(&mut t, token) {
            Some(list) => {
                list.retain(|p| p != package);
                true
            }
            None => false,
        })
    }

    /// The plugins a stored token may attach to; `None` if the token is unknown.
    pub fn list_plugins(&self, token: &str) -> Option<Vec<String>> {
        self.stored().and_then(|t| plugins_of(&t, token).cloned())
    }
}

fn plugins_of<'a>(tokens: &'a [(String, Vec<String>)], token: &str) -> Option<&'a Vec<String>> {
    tokens.iter().find(|(k, _)| k == token).map(|(_, p)| p)
}

fn plugins_of_mut<'a>(tokens: &'a mut [(String, Vec<String>)], token: &str) -> Option<&'a mut Vec<String>> {
    tokens.iter_mut().find(|(k, _)| k == token).map(|(_, p)| p)
}

/// Verifies a signed token: exactly one ':' separating data and signature, data starting
/// with a non-negative unexpired expiry (seconds) and `realm`, then (when `descriptor` is
/// given) that descriptor among the remaining fields, and the signature matching.
fn check_signature(secret: &str, token: &str, realm_wanted: &str, descriptor: Option<&str>, now_secs: i64) -> bool {
    let Some((data, signature)) = token.split_once(':') else { return false };
    if signature.contains(':') {
        return false;
    }
    let mut fields = data.split(',');
    let (Some(expiry), Some(realm)) = (fields.next(), fields.next()) else { return false };
    let expiry = parse_leading_i64(expiry);
    if expiry < 0 || now_secs > expiry || realm != realm_wanted {
        return false;
    }
    if let Some(d) = descriptor {
        if !fields.any(|f| f == d) {
            return false;
        }
    }
    let expected = base64(&hmac_sha1(secret.as_bytes(), data.as_bytes()));
    strcmp_const_time(signature.as_bytes(), expected.as_bytes())
}

/// `strtoll(s, NULL, 10)`: leading blanks and sign, digits up to the first non-digit, 0 if
/// none, saturating on overflow.
fn parse_leading_i64(s: &str) -> i64 {
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut v: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        v = v.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if neg {
        -v
    } else {
        v
    }
}

/// Standard base64 with padding (what `g_base64_encode` produces).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16) | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8) | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, data: &str) -> String {
        format!("{data}:{}", base64(&hmac_sha1(secret.as_bytes(), data.as_bytes())))
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn hmac_sha1_rfc2202_vector() {
        let mac = hmac_sha1(b"key", b"The quick brown fox jumps over the lazy dog");
        assert_eq!(base64(&mac), "3nybhbi3iqa8ino29wqQcBydtNk=");
    }

    #[test]
    fn signed_tokens() {
        let auth = Auth::new(true, Some("s3cret"));
        assert!(auth.is_signed_mode());
        let token = sign("s3cret", "2000,janus,janus.plugin.echotest");
        assert!(auth.check_token(&token, 1999));
        assert!(auth.check_token(&token, 2000));
        assert!(!auth.check_token(&token, 2001), "expired");
        assert!(auth.check_plugin(&token, "janus.plugin.echotest", 10));
        assert!(!auth.check_plugin(&token, "janus.plugin.videoroom", 10));
        assert!(!auth.check_token(&sign("other", "2000,janus"), 10), "wrong secret");
        assert!(!auth.check_token(&sign("s3cret", "2000,notjanus"), 10), "wrong realm");
        assert!(!auth.check_token(&format!("{token}:x"), 10), "two colons");
        assert!(!auth.check_token("2000,janus", 10), "no signature");
        assert!(!auth.check_token(&sign("s3cret", "-1,janus"), -5), "negative expiry");
        // Plugins check tokens issued for their own realm.
        let plugin_token = sign("s3cret", "2000,janus.plugin.videoroom,room-1234");
        assert!(auth.signature_valid(&plugin_token, "janus.plugin.videoroom", 10));
        assert!(!auth.signature_valid(&plugin_token, "janus", 10));
        assert!(auth.signature_contains(Some(&plugin_token), "janus.plugin.videoroom", "room-1234", 10));
        assert!(!auth.signature_contains(Some(&plugin_token), "janus.plugin.videoroom", "room-9", 10));
        assert!(!auth.signature_contains(None, "janus.plugin.videoroom", "room-1234", 10));
    }

    #[test]
    fn stored_tokens_and_plugin_permissions() {
        let auth = Auth::new(true, None);
        assert!(auth.is_stored_mode());
        assert!(!auth.check_token("t", 0));
        assert!(auth.add_token("t") && auth.add_token("t"));
        assert!(auth.check_token("t", 0));
        assert!(!auth.check_plugin("t", "p", 0));
        assert!(auth.allow_plugin("t", "p") && auth.allow_plugin("t", "p"));
        assert_eq!(auth.list_plugins("t"), Some(vec!["p".to_string()]));
        assert!(auth.check_plugin("t", "p", 0));
        assert!(!auth.allow_plugin("unknown", "p"));
        assert!(auth.disallow_plugin("t", "p"));
        assert!(!auth.check_plugin("t", "p", 0));
        assert!(auth.remove_token("t") && !auth.remove_token("t"));
        assert!(!auth.check_token("t", 0));
        assert!(!auth.signature_valid("t", "janus", 0));
        assert!(auth.signature_contains(None, "janus", "x", 0));
    }

    #[test]
    fn disabled_admits_everything() {
        let auth = Auth::new(false, None);
        assert!(!auth.is_enabled());
        assert!(auth.check_token("", 0) && auth.check_plugin("x", "y", 0));
        assert!(!auth.add_token("t") && auth.list_tokens().is_empty());
    }
}
