//! Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-
//! extensions-01, RTPFB FMT 15), read the way Janus reads it: packet status chunks first,
//! then one receive delta per received packet.
//!
//! Janus builds a list of statuses before reading deltas; here the chunks are walked twice
//! instead (once to find where the deltas start), so parsing allocates nothing.

use super::packet::{check_fci, get_u16, FCI_OFFSET};

/// Packet status symbols.
pub const STATUS_NOT_RECEIVED: u8 = 0;
pub const STATUS_SMALL_DELTA: u8 = 1;
pub const STATUS_LARGE_OR_NEGATIVE_DELTA: u8 = 2;
pub const STATUS_RESERVED: u8 = 3;

/// The fixed part of a feedback, and where its chunks and deltas lie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Feedback<'a> {
    pub base_seq: u16,
    pub status_count: u16,
    /// 24 bits, in multiples of 64 ms.
    pub reference_time: u32,
    pub fb_pkt_count: u8,
    chunks: &'a [u8],
    deltas: &'a [u8],
}

/// One packet the feedback reports on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketStatus {
    pub seq: u16,
    pub status: u8,
    /// The receive delta in microseconds (250 µs units on the wire; Janus reads 2-byte
    /// deltas as unsigned), 0 for packets without one.
    pub delta_us: u32,
}

/// Expands one chunk: how many statuses it carries (given how many are still due) and the
/// `i`-th of them. Run lengths go through an 8-bit counter in Janus, so they wrap at 256.
fn chunk_len(chunk: u16, due: u16) -> u16 {
    let len = if chunk & 0x8000 == 0 {
        u16::from((chunk & 0x1fff) as u8)
    } else if chunk & 0x4000 != 0 {
        7
    } else {
        14
    };
    len.min(due)
}

fn chunk_status(chunk: u16, i: u16) -> u8 {
    if chunk & 0x8000 == 0 {
        ((chunk >> 13) & 0x03) as u8
    } else if chunk & 0x4000 != 0 {
        // Seven 2-bit symbols, most significant first.
        ((chunk >> (12 - 2 * i)) & 0x03) as u8
    } else {
        // Fourteen 1-bit symbols: received (small delta) or not.
        ((chunk >> (13 - i)) & 0x01) as u8
    }
}

/// Reads the feedback at the start of `rest` (an RTPFB FMT 15 packet and whatever follows it
/// in the compound, which Janus lets the chunks and deltas run into). `None` if it is too
/// short for its header, or its chunks end before `status_count` statuses.
pub fn parse(rest: &[u8]) -> Option<Feedback<'_>> {
    if rest.len() < 20 || !check_fci(rest, 4) {
        return None;
    }
    let base_seq = get_u16(rest, FCI_OFFSET)?;
    let status_count = get_u16(rest, FCI_OFFSET + 2)?;
    let reference_time = u32::from_be_bytes([0, rest[16], rest[17], rest[18]]);
    let fb_pkt_count = rest[19];
    let body = &rest[20..];
    let mut due = status_count;
    let mut used = 0;
    // Every chunk consumes 2 bytes, so this ends within body.len() / 2 steps.
    while due > 0 && body.len() - used > 1 {
        let chunk = get_u16(body, used)?;
        due -= chunk_len(chunk, due);
        used += 2;
    }
    if due > 0 {
        return None;
    }
    Some(Feedback {
        base_seq,
        status_count,
        reference_time,
        fb_pkt_count,
        chunks: &body[..used],
        deltas: &body[used..],
    })
}

impl<'a> Feedback<'a> {
    /// The reported packets in order; like Janus, the list ends early if the deltas run out.
    pub fn packets(&self) -> Statuses<'a> {
        Statuses {
            chunks: self.chunks,
            in_chunk: 0,
            due: self.status_count,
            deltas: self.deltas,
            seq: self.base_seq,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Statuses<'a> {
    chunks: &'a [u8],
    in_chunk: u16,
    due: u16,
    deltas: &'a [u8],
    seq: u16,
}

impl Iterator for Statuses<'_> {
    type Item = PacketStatus;

    fn next(&mut self) -> Option<PacketStatus> {
        if self.due == 0 || self.deltas.is_empty() {
            return None;
        }
        let chunk = get_u16(self.chunks, 0)?;
        let status = chunk_status(chunk, self.in_chunk);
        self.in_chunk += 1;
        self.due -= 1;
        if self.in_chunk >= chunk_len(chunk, self.due + self.in_chunk) {
            self.chunks = &self.chunks[2..];
            self.in_chunk = 0;
        }
        let delta = match status {
            STATUS_SMALL_DELTA => {
                let d = u16::from(self.deltas[0]);
                self.deltas = &self.deltas[1..];
                d
            }
            STATUS_LARGE_OR_NEGATIVE_DELTA => {
                let d = get_u16(self.deltas, 0)?;
                self.deltas = &self.deltas[2..];
                d
            }
            _ => 0,
        };
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        Some(PacketStatus {
            seq,
            status,
            delta_us: u32::from(delta) * 250,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feedback(chunks_and_deltas: &[u8], status_count: u16) -> Vec<u8> {
        let mut p = vec![0x8f, 205, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2];
        p.extend_from_slice(&100u16.to_be_bytes());
        p.extend_from_slice(&status_count.to_be_bytes());
        p.extend_from_slice(&[0x00, 0x01, 0x02, 7]);
        p.extend_from_slice(chunks_and_deltas);
        while p.len() % 4 != 0 {
            p.push(0);
        }
        let words = (p.len() / 4 - 1) as u16;
        p[2..4].copy_from_slice(&words.to_be_bytes());
        p
    }

    #[test]
    fn run_length_and_vectors() {
        // Run of 2 small deltas; 2-bit vector: large, not received, small (+4 padding
        // symbols not due); deltas 10, 20, large 0x0102, 30.
        let p = feedback(&[0x20, 0x02, 0xe1, 0x00, 10, 20, 0x01, 0x02, 30], 5);
        let fb = parse(&p).unwrap();
        assert_eq!(
            (
                fb.base_seq,
                fb.status_count,
                fb.reference_time,
                fb.fb_pkt_count
            ),
            (100, 5, 0x102, 7)
        );
        let got: Vec<_> = fb
            .packets()
            .map(|s| (s.seq, s.status, s.delta_us))
            .collect();
        assert_eq!(
            got,
            [
                (100, 1, 2500),
                (101, 1, 5000),
                (102, 2, 0x0102 * 250),
                (103, 0, 0),
                (104, 1, 7500)
            ]
        );
    }

    #[test]
    fn one_bit_vector_and_truncation() {
        // 14 one-bit symbols 1010...: seven received packets.
        let p = feedback(&[0xaa, 0xaa, 1, 2, 3, 4, 5, 6, 7], 14);
        let fb = parse(&p).unwrap();
        let got: Vec<_> = fb
            .packets()
            .filter(|s| s.status == 1)
            .map(|s| s.delta_us / 250)
            .collect();
        assert_eq!(got, [1, 2, 3, 4, 5, 6, 7]);
        // Chunks short of the status count: nothing.
        assert!(parse(&feedback(&[0x20, 0x02], 3)).is_none());
        assert!(parse(&p[..19]).is_none());
    }

    #[test]
    fn run_lengths_wrap_at_256_like_janus() {
        // A run of 257 counts as 1.
        let p = feedback(&[0x21, 0x01, 0x20, 0x01, 9, 9], 2);
        assert_eq!(parse(&p).unwrap().packets().count(), 2);
    }
}
