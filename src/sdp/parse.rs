//! `janus_sdp_parse`: Janus' line-by-line SDP parser, with its exact acceptance rules and
//! error texts (the texts modules relay to clients).

use super::scan::{atoi, atol, Scanner};
use super::{Attribute, Direction, MLine, MediaType, Sdp};

/// Parses an SDP; the error is the text Janus writes into the caller's buffer.
pub fn parse(text: &str) -> Result<Sdp, String> {
    if !text.starts_with("v=") {
        return Err("Invalid SDP (doesn't start with v=)".into());
    }
    let mut sdp = Sdp { o_ipv4: true, c_ipv4: true, ..Sdp::default() };
    let mut in_mline = false;
    let mut lines = text.split('\n');
    // An m= met while inside an m-line closes it and is read again at session level.
    let mut replay: Option<&str> = None;
    while let Some(raw) = replay.take().or_else(|| lines.next()) {
        let line = raw.split('\r').next().unwrap_or_default();
        if line.is_empty() {
            continue;
        }
        if line.len() < 3 {
            return Err(format!("Invalid line ({} bytes): {}", line.len(), line));
        }
        if line.as_bytes()[1] != b'=' {
            return Err(format!("Invalid line (2nd char is not '='): {line}"));
        }
        // The 2nd byte is '=', so the 1st is a whole ASCII character.
        let rest = &line[2..];
        match (in_mline, line.as_bytes()[0]) {
            (false, b'v') => {
                let mut s = Scanner::new(line);
                s.literal("v=").ok_or_else(|| format!("Invalid v= line: {line}"))?;
                sdp.version = s.int().ok_or_else(|| format!("Invalid v= line: {line}"))?;
            }
            (false, b'o') => parse_origin(&mut sdp, line)?,
            (false, b's') => {
                if sdp.s_name.is_some() {
                    return Err(format!("Multiple s= lines: {line}"));
                }
                sdp.s_name = Some(rest.into());
            }
            (false, b't') => {
                let invalid = || format!("Invalid t= line: {line}");
                let mut s = Scanner::new(line);
                s.literal("t=").ok_or_else(invalid)?;
                sdp.t_start = s.unsigned().ok_or_else(invalid)?;
                sdp.t_stop = s.blank().unsigned().ok_or_else(invalid)?;
            }
            (false, b'c') => {
                if sdp.c_addr.is_some() {
                    return Err(format!("Multiple global c= lines: {line}"));
                }
                let (ipv4, addr) = parse_connection(line)?;
                sdp.c_ipv4 = ipv4;
                sdp.c_addr = Some(addr);
            }
            (false, b'a') => sdp.attributes.push(parse_attribute(rest)?),
            (false, b'm') => {
                let index = sdp.m_lines.len() as i32;
                sdp.m_lines.push(parse_media(line, index)?);
                in_mline = true;
            }
            // Janus warns "Ignoring '%c' property" and goes on.
            (false, _) => {}
            (true, b'c') => {
                let m = sdp.m_lines.last_mut().expect("inside an m-line");
                if m.c_addr.is_some() {
                    return Err(format!("Multiple m-line c= lines: {line}"));
                }
                let (ipv4, addr) = parse_connection(line)?;
                m.c_ipv4 = ipv4;
                m.c_addr = Some(addr);
            }
            (true, b'b') => {
                let m = sdp.m_lines.last_mut().expect("inside an m-line");
                // Only the first b= counts (later ones get a warning in Janus).
                if m.b_name.is_none() {
                    let (name, value) =
                        rest.split_once(':').filter(|(_, v)| !v.is_empty()).ok_or_else(|| format!("Invalid b= line: {rest}"))?;
                    // Only AS and TIAS are supported, other types are skipped.
                    if name == "AS" || name == "TIAS" {
                        m.b_name = Some(name.into());
                        m.b_value = atol(value) as u32;
                    }
                }
            }
            (true, b'a') => {
                let m = sdp.m_lines.last_mut().expect("inside an m-line");
                let direction = if rest.contains(':') { Direction::Invalid } else { Direction::parse(rest) };
                if direction == Direction::Invalid {
                    m.attributes.push(parse_attribute(rest)?);
                } else {
                    m.direction = direction;
                }
            }
            (true, b'm') => {
                in_mline = false;
                replay = Some(line);
            }
            // Janus warns "Ignoring '%c' property (m-line)" and goes on.
            (true, _) => {}
        }
    }
    if sdp.o_name.is_none() || sdp.o_addr.is_none() || sdp.s_name.is_none() || sdp.m_lines.is_empty() {
        return Err("Missing mandatory lines (o=, s= or m=)".into());
    }
    Ok(sdp)
}

/// `o=<name> <sessid> <version> IN IP4|IP6 <address>`.
fn parse_origin(sdp: &mut Sdp, line: &str) -> Result<(), String> {
    if sdp.o_name.is_some() || sdp.o_addr.is_some() {
        return Err(format!("Multiple o= lines: {line}"));
    }
    let invalid = || format!("Invalid o= line: {line}");
    let mut s = Scanner::new(line);
    s.literal("o=").ok_or_else(invalid)?;
    let name = s.word(255).ok_or_else(invalid)?;
    let sessid = s.blank().unsigned().ok_or_else(invalid)?;
    let version = s.blank().unsigned().ok_or_else(invalid)?;
    s.blank().literal("IN").ok_or_else(invalid)?;
    let addrtype = s.blank().word(5).ok_or_else(invalid)?;
    let addr = s.blank().word(255).ok_or_else(invalid)?;
    sdp.o_sessid = sessid;
    sdp.o_version = version;
    sdp.o_ipv4 = ip_version(&addrtype).ok_or_else(|| format!("Invalid o= line (unsupported protocol {addrtype}): {line}"))?;
    sdp.o_name = Some(name);
    sdp.o_addr = Some(addr);
    Ok(())
}

/// `c=IN IP4|IP6 <address>`, session or media level: (is IPv4, address).
fn parse_connection(line: &str) -> Result<(bool, String), String> {
    let invalid = || format!("Invalid c= line: {line}");
    let mut s = Scanner::new(line);
    s.literal("c=IN").ok_or_else(invalid)?;
    let addrtype = s.blank().word(5).ok_or_else(invalid)?;
    let addr = s.blank().word(255).ok_or_else(invalid)?;
    let ipv4 = ip_version(&addrtype).ok_or_else(|| format!("Invalid c= line (unsupported protocol {addrtype}): {line}"))?;
    Ok((ipv4, addr))
}

fn ip_version(addrtype: &str) -> Option<bool> {
    if addrtype.eq_ignore_ascii_case("IP4") {
        Some(true)
    } else if addrtype.eq_ignore_ascii_case("IP6") {
        Some(false)
    } else {
        None
    }
}

/// The text after `a=`: `name` or `name:value` (an empty value is an error); a direction
/// suffix anywhere in the line (as in `extmap:2/sendonly uri`) is remembered.
fn parse_attribute(text: &str) -> Result<Attribute, String> {
    let Some((name, value)) = text.split_once(':') else {
        return Ok(Attribute::new(text, None));
    };
    if value.is_empty() {
        return Err(format!("Invalid a= line: {text}"));
    }
    let mut direction = Direction::Default;
    if text.contains("/sendonly") {
        direction = Direction::SendOnly;
    } else if text.contains("/recvonly") {
        direction = Direction::RecvOnly;
    }
    if text.contains("/inactive") {
        direction = Direction::Inactive;
    }
    Ok(Attribute { name: Some(name.into()), value: Some(value.into()), direction })
}

/// `m=<type> <port> <proto> <fmt>...`.
fn parse_media(line: &str, index: i32) -> Result<MLine, String> {
    if line.len() > 200 {
        return Err(format!("Invalid m= line (too long): {}", line.len()));
    }
    let invalid = || format!("Invalid m= line: {line}");
    let mut s = Scanner::new(line);
    s.literal("m=").ok_or_else(invalid)?;
    let type_str = s.word(31).ok_or_else(invalid)?;
    let port = s.blank().unsigned().ok_or_else(invalid)? as u16;
    let proto = s.blank().word(63).ok_or_else(invalid)?;
    let mtype = MediaType::parse(&type_str);
    if mtype == MediaType::Other {
        return Err(invalid());
    }
    // Formats are what follows the 3rd single-space-separated token (so doubled blanks
    // yield empty formats, as with g_strsplit); negative payload types are dropped.
    let fmts: Vec<String> = line[2..].split(' ').skip(3).map(String::from).collect();
    let ptypes: Vec<i32> = fmts.iter().map(|f| atoi(f)).filter(|pt| *pt >= 0).collect();
    if fmts.is_empty() || ptypes.is_empty() {
        return Err(format!("Invalid m= line (no payload types/formats): {line}"));
    }
    Ok(MLine {
        index,
        mtype,
        type_str: Some(type_str),
        port,
        proto: Some(proto),
        fmts,
        ptypes,
        c_ipv4: true,
        direction: Direction::SendRecv,
        ..MLine::default()
    })
}
