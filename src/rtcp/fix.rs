//! Rewriting SSRCs in compound packets the core forwards between peers (the B2BUA behaviour
//! of draft-ietf-straw-b2bua-rtcp): `janus_rtcp_fix_ssrc`, which also feeds the stream's
//! statistics from SRs and RRs, and `janus_rtcp_fix_report_data` for relayed reports.

use super::context::{Now, ReportBlock, RtcpContext};
use super::packet::{
    get_u32, packet_at, set_u32, Compound, Malformed, FCI_OFFSET, RR_BLOCKS_OFFSET, RTCP_APP, RTCP_BYE, RTCP_PSFB, RTCP_RR, RTCP_RTPFB,
    RTCP_SDES, RTCP_SR, RTCP_XR, SR_BLOCKS_OFFSET,
};

/// The SSRCs `fix_ssrc` writes: `local` where the packet names its sender, `remote` where it
/// names the media it is about. A zero SSRC leaves those places alone, as in Janus.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SsrcFix {
    pub local: u32,
    pub remote: u32,
}

/// `janus_rtcp_fix_ssrc`: walks the compound, updates `ctx` from SRs and RRs, and, with
/// `fix`, rewrites SSRCs in place. `Err` (Janus' -2) on a malformed packet or a feedback
/// packet too short for the FCI it is about to rewrite; packets before it may already be
/// rewritten, as in Janus.
pub fn fix_ssrc(mut ctx: Option<&mut RtcpContext>, buf: &mut [u8], fix: Option<SsrcFix>, now: Now) -> Result<(), Malformed> {
    let fix = fix.unwrap_or_default();
    let (l, r) = (fix.local, fix.remote);
    let mut walk = Compound::new();
    while let Some(step) = walk.next_in(buf) {
        let pos = step?;
        let p = packet_at(buf, pos);
        let rc = p.rc();
        // Offsets (from the packet start) to set to `l`, `r` or 0, decided before writing.
        let mut writes: [(usize, u32); 4] = [(usize::MAX, 0); 4];
        let mut n = 0;
        let mut write = |off: usize, value: u32, cond: bool| {
            if cond {
                writes[n] = (off, value);
                n += 1;
            }
        };
        match p.packet_type() {
            RTCP_SR => {
                if !p.check_sr() {
                    return Err(Malformed);
                }
                if let Some(ctx) = ctx.as_deref_mut() {
                    let rest = p.rest();
                    let (msw, lsw) = (get_u32(rest, 8).unwrap_or(0), get_u32(rest, 12).unwrap_or(0));
                    ctx.incoming_sr(msw, lsw, now);
                }
                write(4, l, l != 0);
                write(SR_BLOCKS_OFFSET, r, l != 0 && rc > 0);
            }
            RTCP_RR => {
                if !p.check_rr() {
                    return Err(Malformed);
                }
                if let (Some(ctx), true) = (ctx.as_deref_mut(), rc > 0) {
                    if let Some(rb) = ReportBlock::read(p.rest(), RR_BLOCKS_OFFSET) {
                        ctx.incoming_report(&rb, now);
                    }
                }
                write(4, l, l != 0);
                write(RR_BLOCKS_OFFSET, r, l != 0 && rc > 0);
            }
            RTCP_SDES | RTCP_BYE | RTCP_APP | RTCP_XR => write(4, l, l != 0),
            RTCP_RTPFB => {
                match rc {
                    // Generic NACK: the FCIs must fit even when nothing is rewritten.
                    1 => {
                        if !p.check_fci(4) {
                            return Err(Malformed);
                        }
                        write(8, r, r != 0);
                    }
                    // TMMBR: the FCI starts with the media SSRC.
                    3 if r != 0 => {
                        if !p.check_fci(8) {
                            return Err(Malformed);
                        }
                        write(FCI_OFFSET, r, true);
                    }
                    // Transport-wide CC: Janus parses it only to log it.
                    _ => {}
                }
                write(4, l, l != 0);
            }
            RTCP_PSFB => {
                match rc {
                    1 if r != 0 => {
                        if !p.check_fci(0) {
                            return Err(Malformed);
                        }
                        write(8, r, true);
                    }
                    4 if r != 0 => {
                        if !p.check_fci(8) {
                            return Err(Malformed);
                        }
                        write(8, r, true);
                        write(FCI_OFFSET, r, true);
                    }
                    15 => {
                        if r != 0 && !p.check_fci(0) {
                            return Err(Malformed);
                        }
                        // Application layer feedback: sender becomes `r`, media 0 (then the
                        // generic sender rewrite below replaces `r` with `l` if set).
                        write(4, r, r != 0);
                        write(8, 0, r != 0);
                        let is_remb = p.check_remb() && &p.rest()[FCI_OFFSET..FCI_OFFSET + 4] == b"REMB";
                        write(FCI_OFFSET + 8, r, r != 0 && is_remb);
                    }
                    _ => {}
                }
                write(4, l, l != 0);
            }
            _ => {}
        }
        for &(off, value) in &writes[..n] {
            set_u32(buf, pos + off, value);
        }
    }
    Ok(())
}

/// Why `fix_report_data` gave up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFixError {
    /// Janus' -2.
    Malformed,
    /// Janus' -3: an SR from another SSRC than the expected one.
    UnexpectedSsrc,
}

/// `janus_rtcp_fix_report_data`: makes relayed SRs/RRs speak for our stream: sender SSRC to
/// `ssrc_peer`, first report block to `ssrc_local`, SR RTP timestamps moved from the
/// `base_ts` timeline to `base_ts_prev`. Returns how many fields were rewritten.
pub fn fix_report_data(
    buf: &mut [u8],
    base_ts: u32,
    base_ts_prev: u32,
    ssrc_peer: u32,
    ssrc_local: u32,
    ssrc_expected: u32,
) -> Result<u32, ReportFixError> {
    let mut status = 0;
    let mut walk = Compound::new();
    while let Some(step) = walk.next_in(buf) {
        let pos = step.map_err(|Malformed| ReportFixError::Malformed)?;
        let p = packet_at(buf, pos);
        let rc = p.rc();
        let blocks = match p.packet_type() {
            RTCP_RR => {
                if !p.check_rr() {
                    return Err(ReportFixError::Malformed);
                }
                RR_BLOCKS_OFFSET
            }
            RTCP_SR => {
                if !p.check_sr() {
                    return Err(ReportFixError::Malformed);
                }
                if p.ssrc() != ssrc_expected {
                    return Err(ReportFixError::UnexpectedSsrc);
                }
                let rtp_ts = p.u32_at(16).unwrap_or(0);
                set_u32(buf, pos + 16, rtp_ts.wrapping_sub(base_ts).wrapping_add(base_ts_prev));
                SR_BLOCKS_OFFSET
            }
            _ => continue,
        };
        set_u32(buf, pos + 4, ssrc_peer);
        status += 1;
        if rc > 0 {
            set_u32(buf, pos + blocks, ssrc_local);
            status += 1;
        }
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtcp::feedback;

    const NOW: Now = Now { monotonic_us: 5_000_000, unix_us: 1_700_000_000_000_000 };
    const FIX: Option<SsrcFix> = Some(SsrcFix { local: 0xAAAA_AAAA, remote: 0xBBBB_BBBB });

    fn word(buf: &[u8], off: usize) -> u32 {
        get_u32(buf, off).unwrap()
    }

    fn sr() -> Vec<u8> {
        let mut sr = vec![0u8; 52];
        sr[..4].copy_from_slice(&[0x81, 200, 0, 12]);
        sr[4..8].copy_from_slice(&1u32.to_be_bytes());
        sr[8..16].copy_from_slice(&[0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0]);
        sr[16..20].copy_from_slice(&1000u32.to_be_bytes());
        sr[28..32].copy_from_slice(&2u32.to_be_bytes());
        sr
    }

    fn rr() -> Vec<u8> {
        let mut rr = vec![0u8; 32];
        rr[..4].copy_from_slice(&[0x81, 201, 0, 7]);
        rr[4..8].copy_from_slice(&1u32.to_be_bytes());
        rr[8..12].copy_from_slice(&2u32.to_be_bytes());
        rr[12..16].copy_from_slice(&0x0000_0007u32.to_be_bytes());
        rr[20..24].copy_from_slice(&33u32.to_be_bytes());
        rr
    }

    #[test]
    fn sr_and_rr_rewritten_and_accounted() {
        let mut c = [sr(), rr()].concat();
        let mut ctx = RtcpContext::default();
        fix_ssrc(Some(&mut ctx), &mut c, FIX, NOW).unwrap();
        assert_eq!((word(&c, 4), word(&c, 28)), (0xAAAA_AAAA, 0xBBBB_BBBB));
        assert_eq!((word(&c, 56), word(&c, 60)), (0xAAAA_AAAA, 0xBBBB_BBBB));
        assert_eq!(ctx.lsr, 0x5678_9abc);
        assert_eq!(ctx.lsr_ts, NOW.monotonic_us);
        assert_eq!((ctx.lost_remote, ctx.jitter_remote), (7, 33.0));
        // Parsing only: statistics, no rewrite.
        let mut c2 = [sr(), rr()].concat();
        fix_ssrc(None, &mut c2, None, NOW).unwrap();
        assert_eq!(c2, [sr(), rr()].concat());
    }

    #[test]
    fn sdes_bye_app_xr_get_the_local_ssrc() {
        for pt in [202u8, 203, 204, 207] {
            let mut p = vec![0x81, pt, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2];
            fix_ssrc(None, &mut p, FIX, NOW).unwrap();
            assert_eq!((word(&p, 4), word(&p, 8)), (0xAAAA_AAAA, 2), "type {pt}");
        }
        // Without a local SSRC nothing changes.
        let mut p = vec![0x81, 203, 0, 1, 0, 0, 0, 1];
        fix_ssrc(None, &mut p, Some(SsrcFix { local: 0, remote: 9 }), NOW).unwrap();
        assert_eq!(word(&p, 4), 1);
    }

    #[test]
    fn rtpfb_nack_and_tmmbr() {
        let mut nack = [0u8; 16];
        feedback::nacks(&mut nack, &[5]).unwrap();
        fix_ssrc(None, &mut nack, FIX, NOW).unwrap();
        assert_eq!((word(&nack, 4), word(&nack, 8), word(&nack, 12)), (0xAAAA_AAAA, 0xBBBB_BBBB, 5 << 16));
        // A NACK without room for one FCI fails even without rewriting.
        let mut bad = [0x81, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2];
        assert!(fix_ssrc(None, &mut bad, None, NOW).is_err());
        let mut tmmbr = vec![0x83, 205, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0];
        fix_ssrc(None, &mut tmmbr, FIX, NOW).unwrap();
        assert_eq!((word(&tmmbr, 4), word(&tmmbr, 8), word(&tmmbr, 12)), (0xAAAA_AAAA, 2, 0xBBBB_BBBB));
    }

    #[test]
    fn psfb_pli_fir_remb() {
        let mut pli = [0u8; 12];
        feedback::pli(&mut pli).unwrap();
        fix_ssrc(None, &mut pli, FIX, NOW).unwrap();
        assert_eq!((word(&pli, 4), word(&pli, 8)), (0xAAAA_AAAA, 0xBBBB_BBBB));
        let mut fir = [0u8; 20];
        feedback::fir(&mut fir, &mut 0).unwrap();
        fix_ssrc(None, &mut fir, FIX, NOW).unwrap();
        assert_eq!((word(&fir, 8), word(&fir, 12), fir[16]), (0xBBBB_BBBB, 0xBBBB_BBBB, 1));
        let mut remb = [0u8; 24];
        feedback::remb_for(&mut remb, 100_000, &[7]).unwrap();
        remb[8..12].copy_from_slice(&[1, 1, 1, 1]);
        fix_ssrc(None, &mut remb, FIX, NOW).unwrap();
        // Sender: the remote SSRC, then overwritten by the local one; media zeroed.
        assert_eq!((word(&remb, 4), word(&remb, 8), word(&remb, 20)), (0xAAAA_AAAA, 0, 0xBBBB_BBBB));
        feedback::remb_for(&mut remb, 100_000, &[7]).unwrap();
        fix_ssrc(None, &mut remb, Some(SsrcFix { local: 0, remote: 9 }), NOW).unwrap();
        assert_eq!((word(&remb, 4), word(&remb, 20)), (9, 9));
        assert_eq!(feedback::get_remb(&remb), 100_000);
    }

    #[test]
    fn fix_report_data_counts_and_checks() {
        let mut c = [sr(), rr()].concat();
        assert_eq!(fix_report_data(&mut c, 400, 100, 0x10, 0x20, 1), Ok(4));
        assert_eq!((word(&c, 4), word(&c, 16), word(&c, 28)), (0x10, 700, 0x20));
        assert_eq!((word(&c, 56), word(&c, 60)), (0x10, 0x20));
        let mut c = [sr(), rr()].concat();
        assert_eq!(fix_report_data(&mut c, 0, 0, 0, 0, 5), Err(ReportFixError::UnexpectedSsrc));
        let mut short = sr();
        short.truncate(40);
        short[3] = 9;
        assert_eq!(fix_report_data(&mut short, 0, 0, 0, 0, 1), Err(ReportFixError::Malformed));
    }
}
