//! The C text-scanning primitives Janus' SDP code relies on (`atoi`, `atol` and the few
//! `sscanf` conversions it uses), reproduced with glibc's semantics so that the same lines
//! are accepted and the same numbers come out, overflow and signs included.

/// `isspace` in the C locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Skips leading whitespace and reads an optional sign, as the `strto*` functions do:
/// `(negative, bytes consumed)`.
fn sign(s: &[u8]) -> (bool, usize) {
    let i = s.iter().take_while(|b| is_c_space(**b)).count();
    match s.get(i) {
        Some(b'-') => (true, i + 1),
        Some(b'+') => (false, i + 1),
        _ => (false, i),
    }
}

/// Reads optional whitespace, an optional sign and decimal digits, as `strto(u)l` do:
/// `(negative, magnitude saturated to u64::MAX, bytes consumed)`; `None` without digits.
fn number(s: &[u8]) -> Option<(bool, u64, usize)> {
    let (negative, i) = sign(s);
    let digits = s[i..].iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let magnitude =
        s[i..i + digits].iter().try_fold(0u64, |acc, d| acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))).unwrap_or(u64::MAX);
    Some((negative, magnitude, i + digits))
}

/// `strtol(s, NULL, 10)`: saturates at `i64::MIN`/`i64::MAX`, 0 without digits.
fn strtol(s: &[u8]) -> Option<(i64, usize)> {
    number(s).map(|(neg, mag, used)| {
        let v = match (neg, i64::try_from(mag)) {
            (false, Ok(v)) => v,
            (false, Err(_)) => i64::MAX,
            (true, _) if mag >= 1u64 << 63 => i64::MIN,
            (true, Ok(v)) => -v,
            (true, Err(_)) => i64::MIN,
        };
        (v, used)
    })
}

/// `strtoul(s, NULL, 10)`: a minus sign negates modulo 2^64, overflow gives `u64::MAX`.
fn strtoul(s: &[u8]) -> Option<(u64, usize)> {
    number(s).map(|(neg, mag, used)| {
        let v = if mag == u64::MAX || !neg { mag } else { mag.wrapping_neg() };
        (v, used)
    })
}

/// glibc `atol`.
pub fn atol(s: &str) -> i64 {
    strtol(s.as_bytes()).map_or(0, |(v, _)| v)
}

/// glibc `atoi` (`(int) strtol`, truncating).
pub fn atoi(s: &str) -> i32 {
    atol(s) as i32
}

/// GLib's `g_ascii_strtoull(s, NULL, 0)`: white space, a sign (a minus negates modulo
/// 2^64), then hexadecimal after `0x`, octal after a leading `0`, decimal otherwise;
/// saturates at `u64::MAX`, 0 when nothing converts.
pub fn ascii_strtoull_auto(s: &str) -> u64 {
    let b = s.as_bytes();
    let (negative, mut i) = sign(b);
    let mut base = 10;
    if b.get(i) == Some(&b'0') {
        if b.get(i + 1).is_some_and(|c| c.eq_ignore_ascii_case(&b'x')) {
            i += 2;
            base = 16;
        } else {
            base = 8;
        }
    }
    let digits = b[i.min(b.len())..].iter().map_while(|c| char::from(*c).to_digit(base));
    let mut value: u64 = 0;
    let mut any = false;
    let mut overflow = false;
    for d in digits {
        any = true;
        match value.checked_mul(u64::from(base)).and_then(|v| v.checked_add(u64::from(d))) {
            Some(v) => value = v,
            None => overflow = true,
        }
    }
    if !any {
        0
    } else if overflow {
        u64::MAX
    } else if negative {
        value.wrapping_neg()
    } else {
        value
    }
}

/// A cursor running one `sscanf` format by hand: each method is one directive and returns
/// `None` where `sscanf` would stop converting.
pub struct Scanner<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    pub fn new(input: &'a str) -> Self {
        Scanner { input: input.as_bytes(), pos: 0 }
    }

    /// Ordinary characters of the format must match exactly.
    pub fn literal(&mut self, text: &str) -> Option<()> {
        let rest = &self.input[self.pos..];
        rest.starts_with(text.as_bytes()).then(|| self.pos += text.len())
    }

    /// A blank in the format matches any amount of white space, none included.
    pub fn blank(&mut self) -> &mut Self {
        self.pos += self.input[self.pos..].iter().take_while(|b| is_c_space(**b)).count();
        self
    }

    /// `%<width>s`: skips white space, then takes up to `width` non-blank bytes.
    pub fn word(&mut self, width: usize) -> Option<String> {
        self.blank();
        let len = self.input[self.pos..].iter().take(width).take_while(|b| !is_c_space(**b)).count();
        if len == 0 {
            return None;
        }
        let word = String::from_utf8_lossy(&self.input[self.pos..self.pos + len]).into_owned();
        self.pos += len;
        Some(word)
    }

    /// `%lu` (and `%hu` once truncated by the caller).
    pub fn unsigned(&mut self) -> Option<u64> {
        let (v, used) = strtoul(&self.input[self.pos..])?;
        self.pos += used;
        Some(v)
    }

    /// `%d`: converted as a `long`, stored truncated into an `int`.
    pub fn int(&mut self) -> Option<i32> {
        let (v, used) = strtol(&self.input[self.pos..])?;
        self.pos += used;
        Some(v as i32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_like_glibc() {
        assert_eq!(atoi("111 opus/48000/2"), 111);
        assert_eq!(atoi("  -3x"), -3);
        assert_eq!(atoi("webrtc-datachannel"), 0);
        assert_eq!(atoi("99999999999999999999"), -1);
        assert_eq!(atoi("4294967297"), 1);
        assert_eq!(atol("+42"), 42);
    }

    #[test]
    fn strtoull_bases() {
        assert_eq!(ascii_strtoull_auto("1001 cname:x"), 1001);
        assert_eq!(ascii_strtoull_auto(" 0x1F"), 31);
        assert_eq!(ascii_strtoull_auto("017"), 15);
        assert_eq!(ascii_strtoull_auto("08"), 0);
        assert_eq!(ascii_strtoull_auto("-1"), u64::MAX);
        assert_eq!(ascii_strtoull_auto("99999999999999999999999"), u64::MAX);
        assert_eq!(ascii_strtoull_auto("x"), 0);
    }

    #[test]
    fn scanner_directives() {
        let mut s = Scanner::new("o=- 18446744073709551617 -1 IN IP4 1.2.3.4");
        s.literal("o=").unwrap();
        assert_eq!(s.word(255).as_deref(), Some("-"));
        assert_eq!(s.blank().unsigned(), Some(u64::MAX));
        assert_eq!(s.blank().unsigned(), Some(u64::MAX));
        s.blank().literal("IN").unwrap();
        assert_eq!(s.blank().word(5).as_deref(), Some("IP4"));
        assert_eq!(s.blank().word(3).as_deref(), Some("1.2"));
        assert_eq!(s.word(255).as_deref(), Some(".3.4"));
        assert_eq!(s.word(255), None);
        assert_eq!(Scanner::new("v=x").literal("v=").and(None::<()>), None);
        let mut v = Scanner::new("v= -7");
        v.literal("v=").unwrap();
        assert_eq!(v.int(), Some(-7));
    }
}
