//! Read-mostly helpers over compound packets: demultiplexing, SSRC lookup, the presence
//! tests plugins use to decide on keyframe requests, NACK parsing/removal and the filter the
//! core applies to RTCP that plugins relay.

use super::packet::{
    packet_at, packets, Compound, Malformed, Packet, FCI_OFFSET, REPORT_BLOCK_SIZE, RR_BLOCKS_OFFSET, RTCP_APP, RTCP_BYE, RTCP_FIR,
    RTCP_PSFB, RTCP_RR, RTCP_RTPFB, RTCP_SDES, RTCP_SR, RTCP_XR, SR_BLOCKS_OFFSET,
};

/// `janus_is_rtcp`: RTCP and RTP share a port; RTCP types 192..223 land in RTP payload
/// types 64..95 once the marker bit is masked off.
pub fn is_rtcp(buf: &[u8]) -> bool {
    buf.len() >= 8 && (64..96).contains(&(buf[1] & 0x7f))
}

/// The first packet of the walk that satisfies `pred`, stopping (like Janus) at the first
/// malformed one.
fn find<'a>(buf: &'a [u8], mut pred: impl FnMut(&Packet<'a>) -> bool) -> Option<Packet<'a>> {
    packets(buf).map_while(Result::ok).find(|p| pred(p))
}

/// `janus_rtcp_get_sender_ssrc`: the sender SSRC of the first SR, RR, RTPFB, PSFB or XR; 0 if
/// there is none.
pub fn sender_ssrc(buf: &[u8]) -> u32 {
    find(buf, |p| matches!(p.packet_type(), RTCP_SR | RTCP_RR | RTCP_RTPFB | RTCP_PSFB | RTCP_XR)).map_or(0, |p| p.ssrc())
}

/// `janus_rtcp_get_receiver_ssrc`: the SSRC of the first report block of an SR/RR, or the
/// media SSRC of an RTPFB; 0 if there is none. Packets failing their checks are skipped.
pub fn receiver_ssrc(buf: &[u8]) -> u32 {
    for p in packets(buf).map_while(Result::ok) {
        let found = match p.packet_type() {
            RTCP_SR if p.check_sr() && p.rc() > 0 => p.u32_at(SR_BLOCKS_OFFSET),
            RTCP_RR if p.check_rr() && p.rc() > 0 => p.u32_at(RR_BLOCKS_OFFSET),
            RTCP_RTPFB if p.check_fci(4) => p.u32_at(8),
            _ => None,
        };
        if let Some(ssrc) = found {
            return ssrc;
        }
    }
    0
}

/// `janus_rtcp_swap_report_blocks`: when the first report block of an SR/RR describes the
/// RTX stream and a second one exists, put the media block first.
pub fn swap_report_blocks(buf: &mut [u8], rtx_ssrc: u32) {
    let mut walk = Compound::new();
    while let Some(Ok(pos)) = walk.next_in(buf) {
        let p = packet_at(buf, pos);
        let blocks = match p.packet_type() {
            RTCP_SR if p.check_sr() => SR_BLOCKS_OFFSET,
            RTCP_RR if p.check_rr() => RR_BLOCKS_OFFSET,
            _ => continue,
        };
        if p.rc() < 2 || p.u32_at(blocks) != Some(rtx_ssrc) {
            continue;
        }
        let start = pos + blocks;
        if let Some(two) = buf.get_mut(start..start + 2 * REPORT_BLOCK_SIZE) {
            let (first, second) = two.split_at_mut(REPORT_BLOCK_SIZE);
            first.swap_with_slice(second);
        }
    }
}

/// `janus_rtcp_has_bye`.
pub fn has_bye(buf: &[u8]) -> bool {
    find(buf, |p| p.packet_type() == RTCP_BYE).is_some()
}

/// `janus_rtcp_has_fir`: true only for the legacy RFC 2032 FIR packet type (192), as in
/// Janus; an RFC 5104 FIR (PSFB FMT 4) does not count.
pub fn has_fir(buf: &[u8]) -> bool {
    find(buf, |p| p.packet_type() == RTCP_FIR).is_some()
}

/// `janus_rtcp_has_pli`: a PSFB with FMT 1.
pub fn has_pli(buf: &[u8]) -> bool {
    find(buf, |p| p.packet_type() == RTCP_PSFB && p.rc() == 1).is_some()
}

fn is_nack(p: &Packet<'_>) -> bool {
    p.packet_type() == RTCP_RTPFB && p.rc() == 1
}

/// The sequence numbers a NACK asks for, in Janus' order: each FCI's PID, then the PIDs its
/// bitmask marks, lowest bit first. Numbers past 65535 wrap, as a `guint16` reader sees them.
#[derive(Clone, Debug)]
pub struct NackSeqs<'a> {
    fcis: &'a [u8],
    /// 0 yields the PID of the current FCI, 1..=16 look at bit `step - 1` of its bitmask.
    step: u8,
}

impl Iterator for NackSeqs<'_> {
    type Item = u16;

    fn next(&mut self) -> Option<u16> {
        loop {
            let fci = self.fcis.get(..4)?;
            let pid = u16::from_be_bytes([fci[0], fci[1]]);
            let blp = u16::from_be_bytes([fci[2], fci[3]]);
            let step = self.step;
            if step == 16 {
                self.fcis = &self.fcis[4..];
                self.step = 0;
            } else {
                self.step += 1;
            }
            if step == 0 {
                return Some(pid);
            }
            if blp & (1 << (step - 1)) != 0 {
                return Some(pid.wrapping_add(u16::from(step)));
            }
        }
    }
}

/// `janus_rtcp_get_nacks`: the sequence numbers of the first NACK in the compound (Janus
/// stops after it). `Err` if the walk hits a malformed packet or a NACK whose FCIs do not fit
/// before that; Janus then returns no list at all.
pub fn get_nacks(buf: &[u8]) -> Result<NackSeqs<'_>, Malformed> {
    for p in packets(buf) {
        let p = p?;
        if is_nack(&p) {
            if !p.check_fci(4) {
                return Err(Malformed);
            }
            let count = usize::from(p.length()).saturating_sub(2);
            let fcis = &p.rest()[FCI_OFFSET..FCI_OFFSET + 4 * count];
            return Ok(NackSeqs { fcis, step: 0 });
        }
    }
    Ok(NackSeqs { fcis: &[], step: 0 })
}

/// `janus_rtcp_remove_nacks`: cuts the first well-formed NACK out of the compound, moving
/// what follows it down; returns the new length (unchanged if there was nothing to cut).
pub fn remove_nacks(buf: &mut [u8]) -> usize {
    let len = buf.len();
    let found = packets(buf).map_while(Result::ok).find(is_nack);
    let Some(p) = found else { return len };
    // A NACK with a bad FCI or a zero length ends Janus' search without cutting anything.
    if !p.check_fci(4) || p.length() == 0 {
        return len;
    }
    let size = p.bytes().len();
    let start = len - p.rest().len();
    buf.copy_within(start + size.., start);
    len - size
}

/// `janus_rtcp_filter`: copies into `out` the packets the core lets through from a plugin
/// (BYE, APP, legacy FIR, PSFB, and RTPFB other than NACK and transport-wide CC) and returns
/// their length; reports, SDES, XR and the feedback the core generates itself are dropped.
/// `None` for a malformed compound (Janus returns NULL) or an `out` shorter than the kept
/// bytes (`out.len() >= buf.len()` always suffices). `Some(0)` means everything was dropped.
pub fn filter(buf: &[u8], out: &mut [u8]) -> Option<usize> {
    let mut kept = 0;
    for p in packets(buf) {
        let p = p.ok()?;
        // Janus stops before looking at a zero-length packet, so it is never kept.
        if p.length() == 0 {
            break;
        }
        let keep = match p.packet_type() {
            RTCP_BYE | RTCP_APP | RTCP_FIR | RTCP_PSFB => true,
            RTCP_RTPFB => p.rc() != 1 && p.rc() != 15,
            RTCP_SR | RTCP_RR | RTCP_SDES | RTCP_XR => false,
            _ => false,
        };
        if keep {
            let bytes = p.bytes();
            out.get_mut(kept..kept + bytes.len())?.copy_from_slice(bytes);
            kept += bytes.len();
        }
    }
    Some(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RR: [u8; 32] = [
        0x81, 201, 0, 7, 0, 0, 0, 0x11, // header, sender SSRC
        0, 0, 0, 0x22, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    const PLI: [u8; 12] = [0x81, 206, 0, 2, 0, 0, 0, 0x33, 0, 0, 0, 0x44];
    const NACK: [u8; 20] = [0x81, 205, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2, 0x00, 0x64, 0x80, 0x05, 0xff, 0xff, 0x00, 0x01];
    const BYE: [u8; 8] = [0x81, 203, 0, 1, 0, 0, 0, 0x55];

    fn compound(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    #[test]
    fn is_rtcp_masks_the_marker_bit() {
        assert!(is_rtcp(&RR));
        assert!(is_rtcp(&[0x80, 0xc8, 0, 0, 0, 0, 0, 0]));
        assert!(!is_rtcp(&[0x80, 96, 0, 0, 0, 0, 0, 0]));
        assert!(!is_rtcp(&RR[..7]));
    }

    #[test]
    fn ssrc_lookups() {
        let c = compound(&[&BYE, &RR, &PLI]);
        assert_eq!(sender_ssrc(&c), 0x11);
        assert_eq!(receiver_ssrc(&c), 0x22);
        assert_eq!(sender_ssrc(&BYE), 0);
        assert_eq!(receiver_ssrc(&NACK), 2);
        assert_eq!(receiver_ssrc(&PLI), 0);
        assert_eq!(sender_ssrc(&[]), 0);
    }

    #[test]
    fn presence_tests() {
        let c = compound(&[&RR, &PLI, &BYE]);
        assert!(has_pli(&c) && has_bye(&c) && !has_fir(&c));
        let fir5104 = [0x84, 206, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0, 0];
        assert!(!has_fir(&fir5104));
        let legacy = [0x80, 192, 0, 1, 0, 0, 0, 1];
        assert!(has_fir(&legacy));
        // A malformed packet hides what follows it.
        let mut c = compound(&[&RR, &PLI]);
        c[0] = 0x41;
        assert!(!has_pli(&c));
        // A lying length too.
        let mut c = compound(&[&RR, &PLI]);
        c[3] = 10;
        assert!(!has_pli(&c));
    }

    #[test]
    fn nack_sequences_in_janus_order() {
        let seqs: Vec<u16> = get_nacks(&NACK).unwrap().collect();
        assert_eq!(seqs, [100, 101, 103, 116, 65535, 0]);
        // Only the first NACK of a compound counts.
        let c = compound(&[&RR, &NACK, &NACK]);
        assert_eq!(get_nacks(&c).unwrap().count(), 6);
        assert_eq!(get_nacks(&RR).unwrap().count(), 0);
        assert!(get_nacks(&NACK[..16]).is_err());
    }

    #[test]
    fn remove_nacks_cuts_the_first_one() {
        let mut c = compound(&[&RR, &NACK, &PLI]);
        let n = remove_nacks(&mut c);
        assert_eq!(n, 44);
        assert_eq!(&c[..n], &compound(&[&RR, &PLI])[..]);
        let mut last = compound(&[&RR, &NACK]);
        assert_eq!(remove_nacks(&mut last), 32);
        let mut none = RR.to_vec();
        assert_eq!(remove_nacks(&mut none), 32);
    }

    #[test]
    fn swap_puts_media_block_first() {
        let mut rr = [0u8; 56];
        rr[..4].copy_from_slice(&[0x82, 201, 0, 13]);
        rr[8..12].copy_from_slice(&[0, 0, 0, 9]);
        rr[32..36].copy_from_slice(&[0, 0, 0, 7]);
        swap_report_blocks(&mut rr, 9);
        assert_eq!(&rr[8..12], &[0, 0, 0, 7]);
        assert_eq!(&rr[32..36], &[0, 0, 0, 9]);
        swap_report_blocks(&mut rr, 9);
        assert_eq!(&rr[8..12], &[0, 0, 0, 7]);
    }

    #[test]
    fn filter_keeps_what_plugins_may_send() {
        let c = compound(&[&RR, &PLI, &NACK, &BYE]);
        let mut out = vec![0u8; c.len()];
        let n = filter(&c, &mut out).unwrap();
        assert_eq!(&out[..n], &compound(&[&PLI, &BYE])[..]);
        assert_eq!(filter(&RR, &mut out), Some(0));
        let mut bad = c.clone();
        bad[0] = 0x40;
        assert_eq!(filter(&bad, &mut out), None);
        assert_eq!(filter(&c, &mut [0u8; 4]), None);
    }
}
