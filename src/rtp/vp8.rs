//! The VP8 payload descriptor (RFC 7741 section 4.2): reading the picture id, TL0PICIDX and
//! temporal layer, and rewriting picture id / TL0PICIDX so that a receiver sees one continuous
//! stream across simulcast substream switches (`janus_vp8_simulcast_context`).

/// The descriptor fields Janus reads (`janus_vp8_parse_descriptor`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Descriptor {
    /// The picture id is 15 bits (M bit set) rather than 7.
    pub m: bool,
    pub picture_id: u16,
    pub tl0picidx: u8,
    pub tid: u8,
    pub y: u8,
    /// Janus computes this as `(octet & 0x1F) >> 4`, i.e. only the top bit of KEYIDX.
    pub keyidx: u8,
}

/// `None` for payloads under 6 bytes, as in Janus (6 is the longest descriptor).
pub fn parse_descriptor(payload: &[u8]) -> Option<Descriptor> {
    if payload.len() < 6 {
        return None;
    }
    let mut d = Descriptor::default();
    if payload[0] & 0x80 == 0 {
        return Some(d);
    }
    let ext = payload[1];
    let mut at = 1;
    if ext & 0x80 != 0 {
        at += 1;
        d.m = payload[at] & 0x80 != 0;
        if d.m {
            d.picture_id = u16::from_be_bytes([payload[at], payload[at + 1]]) & 0x7fff;
            at += 1;
        } else {
            d.picture_id = u16::from(payload[at]);
        }
    }
    if ext & 0x40 != 0 {
        at += 1;
        d.tl0picidx = payload[at];
    }
    if ext & 0x30 != 0 {
        at += 1;
        d.tid = payload[at] >> 6;
        d.y = (payload[at] & 0x20) >> 5;
        d.keyidx = (payload[at] & 0x1f) >> 4;
    }
    Some(d)
}

/// Writes picture id and TL0PICIDX back where `parse_descriptor` found them. A 7-bit picture
/// id slot gets the low byte (as Janus does, the M bit is not forced off).
fn replace_descriptor(payload: &mut [u8], m: bool, picture_id: u16, tl0picidx: u8) {
    if payload.len() < 6 || payload[0] & 0x80 == 0 {
        return;
    }
    let ext = payload[1];
    let mut at = 1;
    if ext & 0x80 != 0 {
        at += 1;
        if payload[at] & 0x80 == 0 || !m {
            payload[at] = picture_id as u8;
        } else {
            payload[at..at + 2].copy_from_slice(&picture_id.to_be_bytes());
            payload[at] |= 0x80;
            at += 1;
        }
    }
    if ext & 0x40 != 0 {
        at += 1;
        payload[at] = tl0picidx;
    }
}

/// `janus_vp8_simulcast_context`: 10 bytes, Janus' layout (plugins embed it).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimulcastContext {
    pub last_picid: u16,
    pub base_picid: u16,
    pub base_picid_prev: u16,
    pub last_tlzi: u8,
    pub base_tlzi: u8,
    pub base_tlzi_prev: u8,
}

const _: () = {
    use std::mem::{align_of, offset_of, size_of};
    assert!(size_of::<SimulcastContext>() == 10 && align_of::<SimulcastContext>() == 2);
    assert!(offset_of!(SimulcastContext, base_picid_prev) == 4);
    assert!(offset_of!(SimulcastContext, last_tlzi) == 6);
    assert!(offset_of!(SimulcastContext, base_tlzi_prev) == 8);
};

impl SimulcastContext {
    pub fn reset(&mut self) {
        *self = SimulcastContext::default();
    }

    /// `janus_vp8_simulcast_descriptor_update`: renumbers the picture id and TL0PICIDX of this
    /// payload to continue from the last ones relayed; `switched` marks the first packet of a
    /// new source (substream), whose numbers become the new base.
    pub fn update_descriptor(&mut self, payload: &mut [u8], switched: bool) {
        let Some(d) = parse_descriptor(payload) else { return };
        if switched {
            self.base_picid_prev = self.last_picid;
            self.base_picid = d.picture_id;
            self.base_tlzi_prev = self.last_tlzi;
            self.base_tlzi = d.tl0picidx;
        }
        let mut picid = d.picture_id.wrapping_sub(self.base_picid).wrapping_add(self.base_picid_prev).wrapping_add(1);
        if !d.m && picid > 127 {
            picid -= 128;
            if picid > 127 {
                picid = 0;
            }
        } else if d.m && picid > 32767 {
            picid -= 32768;
        }
        self.last_picid = picid;
        self.last_tlzi = d.tl0picidx.wrapping_sub(self.base_tlzi).wrapping_add(self.base_tlzi_prev).wrapping_add(1);
        replace_descriptor(payload, d.m, self.last_picid, self.last_tlzi);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp::codecs::tests::vp8_payload;

    #[test]
    fn descriptor_fields() {
        let p = vp8_payload(true, true, 0x1234, 7, 2);
        let d = parse_descriptor(&p).unwrap();
        assert_eq!((d.m, d.picture_id, d.tl0picidx, d.tid), (true, 0x1234, 7, 2));
        // 7-bit picture id, no L/T.
        let d = parse_descriptor(&[0x90, 0x80, 0x35, 0, 0, 0]).unwrap();
        assert_eq!((d.m, d.picture_id, d.tl0picidx, d.tid), (false, 0x35, 0, 0));
        // KEYIDX quirk: only bit 4 of the octet survives.
        let d = parse_descriptor(&[0x80, 0x10, 0x1f, 0, 0, 0]).unwrap();
        assert_eq!(d.keyidx, 1);
        assert_eq!(parse_descriptor(&[0x80, 0xf0, 0x80, 0, 0]), None);
    }

    #[test]
    fn picture_ids_continue_across_a_switch() {
        let mut ctx = SimulcastContext::default();
        let mut first = vp8_payload(true, true, 100, 10, 0);
        ctx.update_descriptor(&mut first, true);
        let d = parse_descriptor(&first).unwrap();
        assert_eq!((d.picture_id, d.tl0picidx), (1, 1));
        let mut next = vp8_payload(true, false, 101, 11, 0);
        ctx.update_descriptor(&mut next, false);
        assert_eq!(parse_descriptor(&next).unwrap().picture_id, 2);
        // Switch to another substream whose numbers are elsewhere: still continuous.
        let mut other = vp8_payload(true, true, 30000, 200, 0);
        ctx.update_descriptor(&mut other, true);
        let d = parse_descriptor(&other).unwrap();
        assert_eq!((d.picture_id, d.tl0picidx), (3, 3));
        assert!(d.m && other[2] & 0x80 != 0);
        let mut after = vp8_payload(true, false, 30001, 201, 1);
        ctx.update_descriptor(&mut after, false);
        assert_eq!(
            ctx,
            SimulcastContext { last_picid: 4, base_picid: 30000, base_picid_prev: 2, last_tlzi: 4, base_tlzi: 200, base_tlzi_prev: 2 }
        );
        // 15-bit wrap.
        ctx.last_picid = 32767;
        let mut wrap = vp8_payload(true, false, 5, 1, 0);
        ctx.update_descriptor(&mut wrap, true);
        assert_eq!(parse_descriptor(&wrap).unwrap().picture_id, 0);
        ctx.reset();
        assert_eq!(ctx, SimulcastContext::default());
    }

    #[test]
    fn seven_bit_picture_ids_wrap_at_128() {
        let mut ctx = SimulcastContext { last_picid: 127, ..Default::default() };
        let mut p = [0x90, 0x80, 0x05, 0, 0, 0];
        ctx.update_descriptor(&mut p, true);
        assert_eq!((ctx.last_picid, p[2]), (0, 0));
        ctx.update_descriptor(&mut [0x90, 0x80, 0x06, 0, 0, 0], false);
        assert_eq!(ctx.last_picid, 1);
    }
}
