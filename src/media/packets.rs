//! The per-packet work of a PeerConnection, as pure functions over caller-provided buffers:
//! demultiplexing a datagram (RFC 7983), finding the medium an incoming RTP packet belongs
//! to, reading the header extensions plugins get, and rewriting a plugin's packet for the
//! peer (our SSRC, the negotiated extension ids). Nothing here allocates.

use crate::rtp::extensions as ext;
use crate::rtp::header::{set_ssrc, RtpHeader, RTP_HEADER_SIZE};
use crate::sdp::{ExtensionIds, MediumKind, PeerConnection as SdpPeer};

/// What a datagram that is not STUN carries (libnice keeps STUN to itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Datagram {
    Dtls,
    Rtp,
    Rtcp,
    Unknown,
}

/// Demultiplexes by the first byte (DTLS 20..63) and, for RTP version 2, by the payload
/// type byte: 192..223 are RTCP packet types (SR 200 .. XR 207, FIR 192) under rtcp-mux.
pub fn classify(datagram: &[u8]) -> Datagram {
    match datagram {
        [first, ..] if (20..64).contains(first) => Datagram::Dtls,
        [first, second, ..] if first >> 6 == 2 => {
            if (192..=223).contains(second) {
                Datagram::Rtcp
            } else if datagram.len() >= RTP_HEADER_SIZE {
                Datagram::Rtp
            } else {
                Datagram::Unknown
            }
        }
        _ => Datagram::Unknown,
    }
}

/// The longest mid Janus accepts, which is also what a one-byte extension element holds.
const MID_CAPACITY: usize = 16;

/// What the media path needs of one negotiated medium: a copy of the signalling state,
/// taken whenever a negotiation changes it, so that packets never wait on signalling.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Route {
    pub mindex: usize,
    pub video: bool,
    pub mid: Option<String>,
    /// Our SSRC towards the peer, and the one of our RFC 4588 retransmissions (0: none).
    pub ssrc: u32,
    pub ssrc_rtx: u32,
    /// The peer's SSRCs (one per simulcast substream) and their RTX ones.
    pub ssrc_peer: [u32; 3],
    pub ssrc_peer_rtx: [u32; 3],
    /// The rids the peer simulcasts with, by substream (`rid[0]` the lowest).
    pub rid: [Option<String>; 3],
    pub payload_types: Vec<i32>,
    pub send: bool,
    pub recv: bool,
    /// The peer does NACKs (`a=rtcp-fb:<pt> nack`): we ask it for lost packets.
    pub do_nacks: bool,
    /// RFC 4588: (rtx payload type, the payload type it repairs).
    pub rtx_payload_types: Vec<(i32, i32)>,
}

/// Every audio/video medium of a PeerConnection, and the extension ids negotiated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Routes {
    pub media: Vec<Route>,
    pub ext: ExtensionIds,
    /// Data channels were negotiated (an SCTP m-line is enabled).
    pub data_channels: bool,
    /// The peer's `a=max-message-size`.
    pub remote_max_message_size: Option<u32>,
    /// RFC 4588 retransmissions were negotiated.
    pub rfc4588_rtx: bool,
}

/// Where an incoming RTP packet goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Incoming {
    /// Index into [`Routes::media`].
    pub route: usize,
    pub substream: usize,
    pub rtx: bool,
    /// The SSRC was not known yet: the route learnt it (from the mid extension or the
    /// payload type), as Janus does for peers that do not signal SSRCs.
    pub learnt: bool,
}

impl Routes {
    pub fn from_peer(pc: &SdpPeer) -> Routes {
        let media = pc
            .media
            .iter()
            .filter(|m| matches!(m.kind, MediumKind::Audio | MediumKind::Video))
            .map(|m| Route {
                mindex: m.mindex,
                video: m.kind == MediumKind::Video,
                mid: m.mid.clone(),
                ssrc: m.ssrc,
                ssrc_rtx: m.ssrc_rtx,
                ssrc_peer: m.ssrc_peer,
                ssrc_peer_rtx: m.ssrc_peer_rtx,
                rid: m.rid.clone(),
                payload_types: m.payload_types.clone(),
                send: m.send,
                recv: m.recv,
                do_nacks: m.do_nacks,
                rtx_payload_types: m.rtx_payload_types.iter().flatten().map(|(pt, rtx)| (*rtx, *pt)).collect(),
            })
            .collect();
        Routes {
            media,
            ext: pc.extensions,
            data_channels: pc.data_channels,
            remote_max_message_size: pc.remote_max_message_size,
            rfc4588_rtx: pc.rfc4588_rtx,
        }
    }

    /// The medium (and substream) of an incoming RTP packet; learns unknown SSRCs from the
    /// mid extension (with the rid or repaired rid extension naming the substream when the
    /// medium simulcasts by rid), else from the payload type.
    pub fn incoming(&mut self, packet: &[u8]) -> Option<Incoming> {
        let rtp = RtpHeader::new(packet)?;
        let ssrc = rtp.ssrc();
        if ssrc == 0 {
            return None;
        }
        for (i, r) in self.media.iter().enumerate() {
            if let Some(s) = r.ssrc_peer.iter().position(|x| *x == ssrc) {
                return Some(Incoming { route: i, substream: s, rtx: false, learnt: false });
            }
            if let Some(s) = r.ssrc_peer_rtx.iter().position(|x| *x == ssrc) {
                return Some(Incoming { route: i, substream: s, rtx: true, learnt: false });
            }
        }
        let by_mid = (self.ext.mid > 0)
            .then(|| ext::element_bytes(packet, self.ext.mid).ok())
            .flatten()
            .and_then(|mid| self.media.iter().position(|r| r.mid.as_deref().is_some_and(|m| m.as_bytes() == mid)));
        let pt = i32::from(rtp.payload_type());
        let route = by_mid.or_else(|| self.media.iter().position(|r| r.ssrc_peer[0] == 0 && r.payload_types.contains(&pt)))?;
        let r = &mut self.media[route];
        if by_mid.is_some() && r.rid[0].is_some() && self.ext.rid > 0 {
            return learn_layer(r, route, packet, ssrc, self.ext.rid, self.ext.repaired_rid);
        }
        if r.ssrc_peer[0] != 0 {
            // A new SSRC on a medium that has one: a simulcast layer or RTX we were not told.
            return None;
        }
        r.ssrc_peer[0] = ssrc;
        Some(Incoming { route, substream: 0, rtx: false, learnt: true })
    }

    /// The medium a plugin's packet is for: by mindex, or (mindex -1) the first of its kind.
    pub fn outgoing(&self, mindex: i32, video: bool) -> Option<usize> {
        match usize::try_from(mindex) {
            Ok(m) => self.media.iter().position(|r| r.mindex == m),
            Err(_) => self.media.iter().position(|r| r.video == video),
        }
    }

    /// The medium whose peer SSRC is `ssrc` (for incoming RTCP).
    pub fn by_peer_ssrc(&self, ssrc: u32) -> Option<usize> {
        self.media.iter().position(|r| ssrc != 0 && (r.ssrc_peer.contains(&ssrc) || r.ssrc_peer_rtx.contains(&ssrc)))
    }
}

/// The header extensions plugins see (`janus_plugin_rtp_extensions`): -1 where absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtpExtensions {
    pub audio_level: i8,
    pub audio_level_vad: bool,
    pub video_rotation: i16,
    pub video_back_camera: bool,
    pub video_flipped: bool,
    pub min_delay: i16,
    pub max_delay: i16,
    pub dd_len: u8,
    pub dd_content: [u8; 256],
}

impl Default for RtpExtensions {
    /// What `janus_plugin_rtp_extensions_reset` leaves.
    fn default() -> Self {
        RtpExtensions {
            audio_level: -1,
            audio_level_vad: false,
            video_rotation: -1,
            video_back_camera: false,
            video_flipped: false,
            min_delay: -1,
            max_delay: -1,
            dd_len: 0,
            dd_content: [0; 256],
        }
    }
}

impl RtpExtensions {
    /// Reads the extensions of an incoming packet with the negotiated ids, as Janus does
    /// before `incoming_rtp`.
    pub fn parse(packet: &[u8], ids: &ExtensionIds, video: bool) -> RtpExtensions {
        let mut e = RtpExtensions::default();
        if !video && ids.audio_level > 0 {
            if let Some((vad, level)) = ext::audio_level(packet, ids.audio_level) {
                e.audio_level = level as i8;
                e.audio_level_vad = vad;
            }
        }
        if video && ids.video_orientation > 0 {
            if let Some(o) = ext::video_orientation(packet, ids.video_orientation) {
                e.video_rotation = match (o.r1, o.r0) {
                    (false, false) => 0,
                    (false, true) => 90,
                    (true, false) => 180,
                    (true, true) => 270,
                };
                e.video_back_camera = o.camera;
                e.video_flipped = o.flip;
            }
        }
        if ids.playout_delay > 0 {
            if let Ok((min, max)) = ext::playout_delay(packet, ids.playout_delay) {
                e.min_delay = min as i16;
                e.max_delay = max as i16;
            }
        }
        if video && ids.dependency_descriptor > 0 {
            if let Ok(n) = ext::dependency_descriptor(packet, ids.dependency_descriptor, &mut e.dd_content) {
                e.dd_len = n.min(255) as u8;
            }
        }
        e
    }
}

/// One-byte header extension elements being appended to a block.
struct Elements<'a> {
    out: &'a mut [u8],
    at: usize,
}

impl Elements<'_> {
    fn push(&mut self, id: i32, data: &[u8]) -> Option<()> {
        if !(1..=14).contains(&id) || data.is_empty() || data.len() > 16 {
            return Some(());
        }
        let end = self.at + 1 + data.len();
        let slot = self.out.get_mut(self.at..end)?;
        slot[0] = ((id as u8) << 4) | (data.len() as u8 - 1);
        slot[1..].copy_from_slice(data);
        self.at = end;
        Some(())
    }
}

/// Per-packet values the sender adds: the transport-wide sequence number and the
/// abs-send-time, when negotiated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SendStamps {
    pub twcc_seq: Option<u16>,
    pub abs_send_time: Option<u32>,
}

/// Rewrites a plugin's RTP packet for the peer into `out`: our SSRC, the plugin's own
/// extension block replaced by ours (mid, audio level, video orientation, playout delay,
/// abs-send-time, transport-wide sequence number, with the ids negotiated), the payload
/// kept. Returns the new length, `None` if `packet` is not RTP or `out` is too small.
pub fn rewrite_outgoing(
    packet: &[u8],
    extensions: &RtpExtensions,
    route: &Route,
    ids: &ExtensionIds,
    stamps: SendStamps,
    out: &mut [u8],
) -> Option<usize> {
    let rtp = RtpHeader::new(packet)?;
    if rtp.version() != 2 {
        return None;
    }
    let fixed = RTP_HEADER_SIZE + 4 * rtp.csrc_count();
    let payload = rtp.payload_offset()?;
    if payload > packet.len() || fixed > packet.len() {
        return None;
    }
    out.get_mut(..fixed)?.copy_from_slice(&packet[..fixed]);
    set_ssrc(out, route.ssrc);
    let block = fixed + 4;
    let mut elements = Elements { out: out.get_mut(..)?, at: block };
    if ids.mid > 0 {
        if let Some(mid) = route.mid.as_deref().filter(|m| m.len() <= MID_CAPACITY) {
            elements.push(ids.mid, mid.as_bytes())?;
        }
    }
    if !route.video && ids.audio_level > 0 && extensions.audio_level >= 0 {
        let vad = if extensions.audio_level_vad { 0x80 } else { 0 };
        elements.push(ids.audio_level, &[vad | (extensions.audio_level as u8 & 0x7f)])?;
    }
    if route.video && ids.video_orientation > 0 && extensions.video_rotation >= 0 {
        let r = match extensions.video_rotation {
            90 => 1,
            180 => 2,
            270 => 3,
            _ => 0,
        };
        let b = (u8::from(extensions.video_back_camera) << 3) | (u8::from(extensions.video_flipped) << 2) | r;
        elements.push(ids.video_orientation, &[b])?;
    }
    if ids.playout_delay > 0 && extensions.min_delay >= 0 && extensions.max_delay >= 0 {
        let (min, max) = (extensions.min_delay as u32 & 0xfff, extensions.max_delay as u32 & 0xfff);
        let v = (min << 12) | max;
        elements.push(ids.playout_delay, &[(v >> 16) as u8, (v >> 8) as u8, v as u8])?;
    }
    if let Some(ast) = stamps.abs_send_time.filter(|_| ids.abs_send_time > 0) {
        elements.push(ids.abs_send_time, &[(ast >> 16) as u8, (ast >> 8) as u8, ast as u8])?;
    }
    if let Some(seq) = stamps.twcc_seq.filter(|_| ids.transport_wide_cc > 0) {
        elements.push(ids.transport_wide_cc, &seq.to_be_bytes())?;
    }
    let mut end = elements.at;
    if end == block {
        // No extension of ours: no block at all.
        out[0] &= !0x10;
        end = fixed;
    } else {
        while (end - block) % 4 != 0 {
            *out.get_mut(end)? = 0;
            end += 1;
        }
        let words = ((end - block) / 4) as u16;
        out[fixed..fixed + 2].copy_from_slice(&[0xBE, 0xDE]);
        out[fixed + 2..fixed + 4].copy_from_slice(&words.to_be_bytes());
        out[0] |= 0x10;
    }
    let body = &packet[payload..];
    out.get_mut(end..end + body.len())?.copy_from_slice(body);
    Some(end + body.len())
}

/// Unwraps an RFC 4588 retransmission in place: the original sequence number (the first two
/// payload bytes) and payload type come back, with the primary `ssrc`. The original packet
/// starts two bytes into `packet`; returns that offset and its length, `None` if this is
/// not an RTX packet of `route` or it carries no original sequence number.
pub fn unwrap_rtx(packet: &mut [u8], route: &Route, ssrc: u32) -> Option<(usize, usize)> {
    let h = RtpHeader::new(packet)?;
    let rtx_pt = i32::from(h.payload_type());
    let (_, apt) = route.rtx_payload_types.iter().find(|(rtx, _)| *rtx == rtx_pt)?;
    let payload = h.payload_offset()?;
    if packet.len() < payload + 2 {
        return None;
    }
    let osn = [packet[payload], packet[payload + 1]];
    packet.copy_within(0..payload, 2);
    let original = &mut packet[2..];
    original[1] = (original[1] & 0x80) | (*apt as u8 & 0x7f);
    original[2..4].copy_from_slice(&osn);
    set_ssrc(original, ssrc);
    Some((2, original.len()))
}

/// Wraps a plaintext RTP `packet` as an RFC 4588 retransmission into `out`: its header with
/// `rtx_pt`, `rtx_ssrc` and `rtx_seq`, the original sequence number, then its payload (what
/// Janus sends for a NACKed video packet when the peer negotiated RTX). The length written.
pub fn wrap_rtx(packet: &[u8], rtx_pt: u8, rtx_ssrc: u32, rtx_seq: u16, out: &mut [u8]) -> Option<usize> {
    let h = RtpHeader::new(packet)?;
    let payload = h.payload_offset()?;
    let len = packet.len() + 2;
    if out.len() < len || payload >= packet.len() {
        return None;
    }
    out[..payload].copy_from_slice(&packet[..payload]);
    out[payload..payload + 2].copy_from_slice(&packet[2..4]);
    out[payload + 2..len].copy_from_slice(&packet[payload..]);
    out[1] = (out[1] & 0x80) | (rtx_pt & 0x7f);
    out[2..4].copy_from_slice(&rtx_seq.to_be_bytes());
    set_ssrc(&mut out[..len], rtx_ssrc);
    Some(len)
}

/// Tracks the highest sequence number received on a stream and reports the ones skipped,
/// for NACKs: a jump forward of up to [`MAX_GAP`] is a loss, a larger one (or a step back)
/// is a restart or reordering and is not reported.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LossDetector {
    highest: Option<u16>,
}

/// The largest gap NACKed at once.
pub const MAX_GAP: u16 = 32;

impl LossDetector {
    /// Accounts `seq`; the sequence numbers it skipped go into `missing` (returns how many).
    pub fn received(&mut self, seq: u16, missing: &mut [u16; MAX_GAP as usize]) -> usize {
        let Some(highest) = self.highest else {
            self.highest = Some(seq);
            return 0;
        };
        let ahead = seq.wrapping_sub(highest);
        if ahead == 0 || ahead > 0x8000 {
            return 0;
        }
        self.highest = Some(seq);
        if ahead == 1 || ahead > MAX_GAP {
            return 0;
        }
        let lost = usize::from(ahead - 1);
        for (i, slot) in missing.iter_mut().take(lost).enumerate() {
            *slot = highest.wrapping_add(1 + i as u16);
        }
        lost
    }
}

/// The media SSRC of the first generic NACK (RTPFB, FMT 1) of a compound packet.
pub fn nack_media_ssrc(compound: &[u8]) -> Option<u32> {
    let mut at = 0;
    while let Some(header) = compound.get(at..at + 12) {
        let len = 4 * (usize::from(u16::from_be_bytes([header[2], header[3]])) + 1);
        if header[1] == 205 && header[0] & 0x1f == 1 {
            return Some(u32::from_be_bytes([header[8], header[9], header[10], header[11]]));
        }
        at += len;
    }
    None
}

/// Packets sent on a medium, kept for retransmissions when the peer NACKs them: a ring
/// indexed by sequence number. A packet is kept as sent (i.e. protected: SRTP would refuse
/// to protect the same packet twice) or, to go out again as RTX, in the clear. The ring
/// starts small and doubles (up to a bound) only when it would overwrite a packet still
/// within the retransmission window, so a stream pays for the rate it actually sends at:
/// a few allocations in a stream's life, none per packet once its rate is known.
pub struct History {
    /// Per slot: sequence number, length, monotonic µs when sent, whether in the clear.
    slots: Vec<(u16, usize, i64, bool)>,
    data: Vec<u8>,
}

/// Slots of a new [`History`], the most it grows to (powers of two), and the room of each.
const HISTORY_SLOTS_FIRST: usize = 32;
const HISTORY_SLOTS_MAX: usize = 256;
const HISTORY_ROOM: usize = 1500 + 32;

impl Default for History {
    fn default() -> Self {
        History::with_slots(HISTORY_SLOTS_FIRST)
    }
}

impl History {
    fn with_slots(n: usize) -> History {
        History { slots: vec![(0, 0, 0, false); n], data: vec![0; n * HISTORY_ROOM] }
    }

    /// Keeps `packet`, sent as `seq` at `now_us`; packets younger than `keep_us` are not
    /// overwritten while the ring may still grow.
    pub fn store(&mut self, seq: u16, packet: &[u8], now_us: i64, clear: bool, keep_us: i64) {
        if packet.len() > HISTORY_ROOM {
            return;
        }
        let (held_seq, held_len, held_at, _) = self.slots[self.slot(seq)];
        if held_len > 0 && held_seq != seq && now_us - held_at < keep_us && self.slots.len() < HISTORY_SLOTS_MAX {
            self.grow();
        }
        let slot = self.slot(seq);
        self.data[slot * HISTORY_ROOM..slot * HISTORY_ROOM + packet.len()].copy_from_slice(packet);
        self.slots[slot] = (seq, packet.len(), now_us, clear);
    }

    /// Twice the slots, each kept packet moved to its place in the larger ring.
    fn grow(&mut self) {
        let mut larger = History::with_slots(self.slots.len() * 2);
        for (i, &(seq, len, at, clear)) in self.slots.iter().enumerate() {
            if len > 0 {
                let to = larger.slot(seq);
                larger.data[to * HISTORY_ROOM..to * HISTORY_ROOM + len]
                    .copy_from_slice(&self.data[i * HISTORY_ROOM..i * HISTORY_ROOM + len]);
                larger.slots[to] = (seq, len, at, clear);
            }
        }
        *self = larger;
    }

    fn slot(&self, seq: u16) -> usize {
        usize::from(seq) % self.slots.len()
    }

    /// Forgets every packet (a keyframe went out: with NACK optimizations, older packets
    /// are not worth resending).
    pub fn clear(&mut self) {
        self.slots.fill((0, 0, 0, false));
    }

    /// The packet sent with `seq`, if still kept and not older than `max_age_us`, and
    /// whether it was kept in the clear.
    pub fn get(&self, seq: u16, now_us: i64, max_age_us: i64) -> Option<(&[u8], bool)> {
        let slot = self.slot(seq);
        let (s, len, sent, clear) = self.slots[slot];
        (s == seq && len > 0 && now_us - sent <= max_age_us).then(|| (&self.data[slot * HISTORY_ROOM..slot * HISTORY_ROOM + len], clear))
    }
}

/// Learns the SSRC of a simulcast layer from the rid extension (or, for its RFC 4588
/// retransmissions, the repaired rid one): the substream whose rid it names. A packet
/// naming no known rid is dropped, as Janus drops it.
fn learn_layer(r: &mut Route, route: usize, packet: &[u8], ssrc: u32, rid_id: i32, repaired_id: i32) -> Option<Incoming> {
    let slot = |id: i32| {
        let rid = ext::element_bytes(packet, id).ok()?;
        // Janus reads the item into 16 bytes, NUL included.
        let rid = &rid[..rid.len().min(15)];
        r.rid.iter().position(|known| known.as_deref().is_some_and(|k| k.as_bytes() == rid))
    };
    if let Some(substream) = slot(rid_id) {
        r.ssrc_peer[substream] = ssrc;
        return Some(Incoming { route, substream, rtx: false, learnt: true });
    }
    let substream = (repaired_id > 0).then(|| slot(repaired_id)).flatten()?;
    r.ssrc_peer_rtx[substream] = ssrc;
    Some(Incoming { route, substream, rtx: true, learnt: true })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rtp(pt: u8, ssrc: u32, ext_block: &[u8], payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x80, pt, 0, 1, 0, 0, 0, 160];
        p.extend_from_slice(&ssrc.to_be_bytes());
        if !ext_block.is_empty() {
            p[0] |= 0x10;
            p.extend_from_slice(&[0xBE, 0xDE]);
            p.extend_from_slice(&((ext_block.len() / 4) as u16).to_be_bytes());
            p.extend_from_slice(ext_block);
        }
        p.extend_from_slice(payload);
        p
    }

    fn routes() -> Routes {
        Routes {
            media: vec![
                Route { mindex: 0, video: false, mid: Some("0".into()), ssrc: 1111, payload_types: vec![111], ..Route::default() },
                Route { mindex: 1, video: true, mid: Some("1".into()), ssrc: 2222, payload_types: vec![96, 97], ..Route::default() },
            ],
            ext: ExtensionIds { mid: 4, audio_level: 1, ..ExtensionIds::default() },
            ..Routes::default()
        }
    }

    #[test]
    fn demultiplexing() {
        assert_eq!(classify(&[22, 254, 253]), Datagram::Dtls);
        assert_eq!(classify(&[63]), Datagram::Dtls);
        assert_eq!(classify(&rtp(111, 5, &[], b"x")), Datagram::Rtp);
        assert_eq!(classify(&[0x80, 200, 0, 6]), Datagram::Rtcp);
        assert_eq!(classify(&[0x81, 223, 0, 1]), Datagram::Rtcp);
        // Marker bit set on payload type 96: 224, RTP.
        assert_eq!(classify(&rtp(96 | 0x80, 5, &[], b"x")), Datagram::Rtp);
        assert_eq!(classify(&[0x80, 96]), Datagram::Unknown);
        assert_eq!(classify(&[0, 1, 2]), Datagram::Unknown);
        assert_eq!(classify(&[]), Datagram::Unknown);
    }

    #[test]
    fn simulcast_layers_learnt_by_rid() {
        let mut r = routes();
        r.ext.rid = 10;
        r.ext.repaired_rid = 11;
        r.media[1].rid = [Some("l".into()), Some("m".into()), Some("h".into())];
        // mid "1" (id 4) and rid (id 10), padded to a word.
        let layer = |ssrc: u32, rid_id: u8, rid: u8| rtp(96, ssrc, &[0x40, b'1', rid_id << 4, rid, 0, 0, 0, 0], b"v");
        let learnt = |substream, rtx| Some(Incoming { route: 1, substream, rtx, learnt: true });
        assert_eq!(r.incoming(&layer(300, 10, b'h')), learnt(2, false));
        assert_eq!(r.incoming(&layer(100, 10, b'l')), learnt(0, false));
        assert_eq!(r.incoming(&layer(200, 10, b'm')), learnt(1, false));
        assert_eq!(r.media[1].ssrc_peer, [100, 200, 300]);
        assert_eq!(r.incoming(&layer(200, 10, b'm')), Some(Incoming { route: 1, substream: 1, rtx: false, learnt: false }));
        // A retransmission stream names its layer with the repaired rid.
        assert_eq!(r.incoming(&layer(301, 11, b'h')), learnt(2, true));
        assert_eq!(r.media[1].ssrc_peer_rtx, [0, 0, 301]);
        // An unknown rid, or no rid at all, is dropped.
        assert_eq!(r.incoming(&layer(400, 10, b'x')), None);
        assert_eq!(r.incoming(&rtp(96, 401, &[0x40, b'1', 0, 0], b"v")), None);
    }

    #[test]
    fn incoming_by_ssrc_then_learnt_by_mid_or_payload_type() {
        let mut r = routes();
        r.media[0].ssrc_peer[0] = 42;
        assert_eq!(r.incoming(&rtp(111, 42, &[], b"a")), Some(Incoming { route: 0, substream: 0, rtx: false, learnt: false }));
        // mid "1" (id 4, one byte) on an unknown SSRC: the video medium learns it.
        let p = rtp(96, 77, &[0x40, b'1', 0, 0], b"v");
        assert_eq!(r.incoming(&p), Some(Incoming { route: 1, substream: 0, rtx: false, learnt: true }));
        assert_eq!(r.media[1].ssrc_peer[0], 77);
        assert_eq!(r.by_peer_ssrc(77), Some(1));
        // A third SSRC: nothing left to learn it.
        assert_eq!(r.incoming(&rtp(96, 78, &[], b"v")), None);
        let mut fresh = routes();
        fresh.ext.mid = 0;
        assert_eq!(fresh.incoming(&rtp(97, 9, &[], b"v")).map(|i| i.route), Some(1));
        assert_eq!(fresh.incoming(&[0x80, 96, 0, 1]), None);
        assert_eq!(fresh.outgoing(-1, true), Some(1));
        assert_eq!(fresh.outgoing(0, true), Some(0));
        assert_eq!(fresh.outgoing(5, false), None);
    }

    #[test]
    fn extensions_for_plugins() {
        let ids = ExtensionIds { audio_level: 1, video_orientation: 3, playout_delay: 6, ..ExtensionIds::default() };
        let audio = rtp(111, 1, &[0x10, 0x80 | 30, 0, 0], b"a");
        let e = RtpExtensions::parse(&audio, &ids, false);
        assert_eq!((e.audio_level, e.audio_level_vad, e.video_rotation), (30, true, -1));
        let video = rtp(96, 1, &[0x30, 0b1101, 0x62, 0x00, 0x10, 0x20, 0, 0], b"v");
        let e = RtpExtensions::parse(&video, &ids, true);
        assert_eq!((e.video_rotation, e.video_back_camera, e.video_flipped), (90, true, true));
        let (min, max) = ext::playout_delay(&video, 6).unwrap();
        assert_eq!((e.min_delay, e.max_delay, e.audio_level), (min as i16, max as i16, -1));
        assert_eq!(RtpExtensions::parse(&rtp(96, 1, &[], b"v"), &ids, true), RtpExtensions::default());
    }

    #[test]
    fn outgoing_rewrite_sets_ssrc_and_our_extensions() {
        let r = routes();
        // The plugin's packet carries some extension of its own (id 9), which goes.
        let plugin = rtp(111, 999, &[0x90, 7, 0, 0], b"opus");
        let e = RtpExtensions { audio_level: 20, ..RtpExtensions::default() };
        let mut out = [0u8; 100];
        let n =
            rewrite_outgoing(&plugin, &e, &r.media[0], &r.ext, SendStamps { twcc_seq: Some(5), ..Default::default() }, &mut out).unwrap();
        let p = &out[..n];
        let h = RtpHeader::new(p).unwrap();
        assert_eq!((h.ssrc(), h.payload_type(), h.sequence_number()), (1111, 111, 1));
        assert_eq!(ext::element_bytes(p, 4).unwrap(), b"0");
        assert_eq!(ext::audio_level(p, 1), Some((false, 20)));
        assert!(ext::find_element(p, 9).is_none(), "no twcc id negotiated, no plugin extension kept");
        assert_eq!(&p[h.payload_offset().unwrap()..], b"opus");
        // Nothing negotiated: no extension block at all.
        let bare = Routes { ext: ExtensionIds::default(), ..routes() };
        let n = rewrite_outgoing(&plugin, &e, &bare.media[1], &bare.ext, SendStamps::default(), &mut out).unwrap();
        assert_eq!(n, 12 + 4);
        assert_eq!(out[0], 0x80);
        assert_eq!(&out[8..12], &2222u32.to_be_bytes());
        // Too small an output, or not RTP: refused, no panic.
        assert_eq!(rewrite_outgoing(&plugin, &e, &r.media[0], &r.ext, SendStamps::default(), &mut out[..14]), None);
        assert_eq!(rewrite_outgoing(&[0x80, 1], &e, &r.media[0], &r.ext, SendStamps::default(), &mut out), None);
    }

    #[test]
    fn rtx_unwrapped() {
        let route = Route {
            video: true,
            ssrc_peer: [100, 0, 0],
            ssrc_peer_rtx: [200, 0, 0],
            rtx_payload_types: vec![(97, 96)],
            ..Route::default()
        };
        // RTX (pt 97, marker set, seq 9, SSRC 200) carrying original seq 0x1234.
        let mut p = rtp(97 | 0x80, 200, &[0x40, b'1', 0, 0], &[0x12, 0x34, b'v', b'p', b'8']);
        p[2..4].copy_from_slice(&[0, 9]);
        let (at, len) = unwrap_rtx(&mut p, &route, 100).unwrap();
        let original = &p[at..at + len];
        let h = RtpHeader::new(original).unwrap();
        assert_eq!((h.payload_type(), h.marker(), h.sequence_number(), h.ssrc()), (96, true, 0x1234, 100));
        assert_eq!(&original[h.payload_offset().unwrap()..], b"vp8");
        assert_eq!(ext::element_bytes(original, 4).unwrap(), b"1");
        // Not an rtx type of the route, or no room for the original sequence number.
        assert_eq!(unwrap_rtx(&mut rtp(96, 200, &[], b"xx"), &route, 100), None);
        assert_eq!(unwrap_rtx(&mut rtp(97, 200, &[], b"x"), &route, 100), None);
    }

    #[test]
    fn losses_for_nacks() {
        let mut d = LossDetector::default();
        let mut missing = [0u16; MAX_GAP as usize];
        assert_eq!(d.received(65534, &mut missing), 0);
        assert_eq!(d.received(65535, &mut missing), 0);
        assert_eq!(d.received(2, &mut missing), 2, "across the wrap");
        assert_eq!(&missing[..2], &[0, 1]);
        assert_eq!(d.received(1, &mut missing), 0, "late (a retransmission)");
        assert_eq!(d.received(2, &mut missing), 0, "duplicate");
        assert_eq!(d.received(2 + MAX_GAP + 1, &mut missing), 0, "too far: a jump, not a loss");
        assert_eq!(d.received(2 + MAX_GAP + 3, &mut missing), 1);
        assert_eq!(missing[0], 2 + MAX_GAP + 2);
    }

    #[test]
    fn rtx_wrapping_round_trips() {
        let original = rtp(96, 0x1111, &[0x10, 7, 0, 0], b"payload");
        let mut out = [0u8; 64];
        let n = wrap_rtx(&original, 97, 0x2222, 500, &mut out).unwrap();
        assert_eq!(n, original.len() + 2);
        let h = RtpHeader::new(&out[..n]).unwrap();
        assert_eq!((h.payload_type(), h.ssrc(), h.sequence_number()), (97, 0x2222, 500));
        let route = Route { rtx_payload_types: vec![(97, 96)], ..Route::default() };
        let (at, len) = unwrap_rtx(&mut out[..n], &route, 0x1111).unwrap();
        assert_eq!(&out[at..at + len], &original[..]);
        assert_eq!(wrap_rtx(&original, 97, 1, 1, &mut out[..original.len() + 1]), None, "no room");
        assert_eq!(wrap_rtx(&original[..11], 97, 1, 1, &mut out), None, "not RTP");
    }

    #[test]
    fn nack_history() {
        const KEEP: i64 = 500_000;
        let mut h = History::default();
        h.store(10, b"ten", 1000, false, KEEP);
        // A packet a ring's length later overwrites one older than the window...
        let later = 10 + HISTORY_SLOTS_FIRST as u16;
        h.store(later, b"later", 1000 + KEEP, true, KEEP);
        assert_eq!(h.get(10, 1000 + KEEP, 1_000_000), None, "overwritten by a newer sequence number");
        assert_eq!(h.get(later, 1000 + KEEP, 1_000_000), Some((&b"later"[..], true)));
        assert_eq!(h.get(later, 3_000_000, 1_000_000), None, "too old");
        assert_eq!(h.get(11, 2000, 1_000_000), None);
        assert_eq!(h.slots.len(), HISTORY_SLOTS_FIRST);
        // ... and makes the ring grow when the older one is still within it.
        let next = later + HISTORY_SLOTS_FIRST as u16;
        h.store(next, b"next", 2000 + KEEP, false, KEEP);
        assert_eq!(h.slots.len(), 2 * HISTORY_SLOTS_FIRST);
        assert_eq!(h.get(later, 2000 + KEEP, 1_000_000), Some((&b"later"[..], true)), "kept through the growth");
        assert_eq!(h.get(next, 2000 + KEEP, 1_000_000), Some((&b"next"[..], false)));
        // A fast stream grows it to the bound, and no further.
        for seq in 0..2000u16 {
            h.store(seq, b"fast", 10_000_000 + i64::from(seq), false, KEEP);
        }
        assert_eq!(h.slots.len(), HISTORY_SLOTS_MAX);
        assert_eq!(h.get(1999, 10_002_000, 1_000_000), Some((&b"fast"[..], false)));
        assert_eq!(h.get(1999 - HISTORY_SLOTS_MAX as u16, 10_002_000, 1_000_000), None);
        // RR then NACK (media SSRC 0x0a0b0c0d): the NACK's media SSRC.
        let mut compound = vec![0x80, 201, 0, 1, 0, 0, 0, 1];
        compound.extend_from_slice(&[0x81, 205, 0, 3, 0, 0, 0, 1, 0x0a, 0x0b, 0x0c, 0x0d, 0, 10, 0, 0]);
        assert_eq!(nack_media_ssrc(&compound), Some(0x0a0b0c0d));
        assert_eq!(nack_media_ssrc(&compound[..8]), None);
        assert_eq!(nack_media_ssrc(&[0x81, 205, 0xff, 0xff]), None);
    }

    #[test]
    fn rtp_corpus_survives() {
        let ids = ExtensionIds {
            mid: 1,
            audio_level: 2,
            video_orientation: 3,
            playout_delay: 4,
            dependency_descriptor: 5,
            ..ExtensionIds::default()
        };
        let mut out = [0u8; 1600];
        for path in crate::test_support::corpus_files("rtp_fuzzer") {
            let data = std::fs::read(&path).expect("corpus file");
            let mut r = routes();
            let _ = r.incoming(&data);
            let _ = classify(&data);
            let e = RtpExtensions::parse(&data, &ids, true);
            let _ = rewrite_outgoing(&data, &e, &r.media[0], &ids, SendStamps { twcc_seq: Some(1), abs_send_time: Some(2) }, &mut out);
        }
    }
}
